"""Ink components -> digit regions: join broken strokes, reject non-digits by shape.

Works on a binary ink mask in working pixels. Everything here is geometry, and a wide blob
stays one region: edge_runtime/touching.py proposes where it may be cut, and
edge_runtime/reading.py lets the classifier choose.
"""

import collections

import cv2
import numpy as np

Region = collections.namedtuple("Region", ["box", "ids", "columns"])
Region.__doc__ = """A digit candidate in working pixels: (x, y, w, h) box, the indices of the
contours whose ink it owns, and the (start, stop) column range of that ink it keeps (a
piece of a split blob, touching.split_at), or None for all of it."""

SQUARE = np.ones((3, 3), np.uint8)  # a pixel and its eight neighbours: one step of erosion or dilation
# Columns: x, y, w, h, box area (merging takes the largest first).
X, Y, W, H, AREA = range(5)
# A detached bar (a 5's top, a 7's cross-stroke) is short and at least this wide for its
# height; a whole digit beside a slanted neighbour is short too, but taller than wide (a 5
# under a 7's overhang, 20x32 px, was merged into the 7 as its "bar").
BAR_ASPECT = 0.7
# A blob whose strokes are thinner than this share of its longer side is a page's edge, a
# rule or a crease, not a digit (is_hairline): digits measured 0.033 or more on the real
# photos and 0.05 or more on generated pages (12,550), the edges of tilted pages 0.005-0.011.
MIN_STROKE = 0.015
# Pieces both under this share of the picture's typical blob height may be the halves of one
# broken digit, and join up to 1.5 times that height (one_digit_tall).
HALF_DIGIT = 0.75
NEIGHBOUR_BANDS = (-1.0, 0.0, 1.0)  # candidate_pairs: the bands a piece of an anchor's digit may lie in


def components(mask, min_side=3):
    """(outer contours, float array of [x, y, w, h, box area] per blob of at least `min_side`,
    and the index of each row's contour). External contours cost a twentieth of labelling
    every pixel (connectedComponentsWithStats) here, and a frame must take milliseconds; ink
    is counted later, only for the few candidates that pass the cheaper tests."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = np.array([cv2.boundingRect(contour) for contour in contours], dtype=np.float64).reshape(-1, 4)
    kept = np.flatnonzero(np.maximum(boxes[:, W], boxes[:, H]) >= min_side)
    boxes = boxes[kept]
    return contours, np.column_stack([boxes, boxes[:, W] * boxes[:, H]]), kept


def blob_count(mask):
    """How many blobs a binary mask holds: its outer contours, without the boxes components
    measures (a grainy mask holds hundreds)."""
    return len(cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0])


def mergeable(anchor, pieces, digit_height=0.0):
    """Which pieces belong to the anchor's digit (a 5's detached bar, a 4's open top); the
    anchor is one [x, y, w, h, area] row or one row per piece.

    They overlap it in x by half the narrower width (a quarter for a flat bar, under 0.4 of
    the anchor's height and BAR_ASPECT or wider, which often juts out sideways), are a fair
    part of it (a whole digit inside a big blob's box, desk texture or a shadow, is not a
    piece of that blob), and together stay about one digit tall: 1.5 times the taller of
    the two, or of `digit_height`, the picture's typical blob (a 2 broken at its middle has
    two short halves that together are as tall as their neighbours).
    """
    ax, ay, aw, ah = (anchor[..., k] for k in (X, Y, W, H))
    px, py, pw, ph = (pieces[:, k] for k in (X, Y, W, H))
    overlap = np.minimum(ax + aw, px + pw) - np.maximum(ax, px)
    flat = (ph < 0.4 * ah) & (pw >= BAR_ASPECT * ph)
    overlaps = overlap >= np.where(flat, 0.25, 0.5) * np.minimum(aw, pw)
    sizeable = np.maximum(pw / aw, ph / ah) >= 0.15
    height = np.maximum(ay + ah, py + ph) - np.minimum(ay, py)
    return overlaps & sizeable & (height <= one_digit_tall(ah, ph, digit_height))


def one_digit_tall(ah, ph, digit_height):
    """The tallest a joined pair may be: 1.5 times the taller piece, or the picture's typical
    blob when both pieces are well under it (the halves of a broken digit; two whole small
    digits stacked under big ones are not joined)."""
    taller = np.maximum(ah, ph)
    halves = taller < HALF_DIGIT * digit_height
    return 1.5 * np.where(halves, np.maximum(taller, digit_height), taller)


def candidate_pairs(boxes, anchors, reach):
    """(anchor, piece) index arrays, a superset of the pieces whose x-range can overlap an
    anchor's and whose top lies within `reach` of its top, in no particular order.

    Pieces are sorted by x within bands `reach` rows tall, and each anchor takes a window in
    x in its own band and the two beside it: thousands of specks make thousands of pairs,
    not millions (a window in x alone over a whole speckled frame made 116,000).
    """
    widest = boxes[:, W].max(initial=0.0)
    band = np.floor(boxes[:, Y] / max(reach, 1.0))
    stride = boxes[:, X].max(initial=0.0) + 2.0 * widest + 1.0  # keys of one band never reach the next
    key = band * stride + boxes[:, X]
    by_key = np.argsort(key, kind="stable")
    sorted_key = key[by_key]
    # One window per anchor and band: its own, the one above and the one below.
    base = ((band[anchors, np.newaxis] + np.array(NEIGHBOUR_BANDS)) * stride + boxes[anchors, X, np.newaxis]).ravel()
    low = np.searchsorted(sorted_key, base - widest)
    high = np.searchsorted(sorted_key, base + np.repeat(boxes[anchors, W], len(NEIGHBOUR_BANDS)), side="right")
    counts = high - low
    starts = np.repeat(low - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return np.repeat(np.repeat(anchors, len(NEIGHBOUR_BANDS)), counts), by_key[np.arange(counts.sum()) + starts]


def merge_pieces(boxes, min_anchor_side=0, digit_height=0.0):
    """Groups of component indices that form one digit, largest component first
    (`digit_height`: see mergeable).

    Each unclaimed component at least `min_anchor_side` long, largest first, claims the
    smaller unclaimed ones it should merge with; smaller pieces left unclaimed are specks and
    dropped. Which pairs could merge is worked out for all components at once, over the pairs
    whose x-ranges can overlap and whose tops lie near enough (candidate_pairs): comparing
    every pair, one at a time, took 20 s on a frame strewn with specks.
    """
    order = np.argsort(-boxes[:, AREA], kind="stable")
    rank = np.empty(len(boxes), dtype=np.int64)
    rank[order] = np.arange(len(boxes))
    anchors = np.flatnonzero(np.maximum(boxes[:, W], boxes[:, H]) >= min_anchor_side)
    # No pair stays one digit tall with tops further apart than this (one_digit_tall).
    reach = 1.5 * max(boxes[:, H].max(initial=0.0), digit_height)
    anchor_of, piece = candidate_pairs(boxes, anchors, reach)
    # Cheap tests first: a smaller piece, its top near enough for the pair to stay one digit
    # tall (mergeable's height test implies this); on a speckled frame most pairs fail here.
    tall = one_digit_tall(boxes[anchor_of, H], boxes[piece, H], digit_height)
    near = (rank[piece] > rank[anchor_of]) & (np.abs(boxes[anchor_of, Y] - boxes[piece, Y]) <= tall)
    anchor_of, piece = anchor_of[near], piece[near]
    keep = mergeable(boxes[anchor_of], boxes[piece], digit_height)
    left_to_right = np.lexsort((piece[keep], boxes[piece[keep], X], anchor_of[keep]))  # each anchor's pieces
    claims = {}
    for a, p in zip(anchor_of[keep][left_to_right].tolist(), piece[keep][left_to_right].tolist()):
        claims.setdefault(a, []).append(p)
    is_anchor = np.zeros(len(boxes), dtype=bool)
    is_anchor[anchors] = True
    owner = [-1] * len(boxes)
    groups = []
    for anchor in order[is_anchor[order]].tolist():
        if owner[anchor] >= 0:
            continue
        members = [anchor] + [p for p in claims.get(anchor, ()) if owner[p] < 0]
        for member in members:
            owner[member] = anchor
        groups.append(members)
    return groups


def group_box(boxes, members):
    """The box around a group's members (indices into `boxes`), the sum of their areas last."""
    return group_boxes(boxes, [members])[0]


def group_boxes(boxes, groups):
    """group_box of every group at once (lists of indices into `boxes`, none empty)."""
    if not groups:
        return np.zeros((0, boxes.shape[1]))
    rows = boxes[np.concatenate(groups)]
    starts = np.cumsum([0] + [len(members) for members in groups[:-1]])
    x, y = np.minimum.reduceat(rows[:, X], starts), np.minimum.reduceat(rows[:, Y], starts)
    right = np.maximum.reduceat(rows[:, X] + rows[:, W], starts)
    bottom = np.maximum.reduceat(rows[:, Y] + rows[:, H], starts)
    return np.column_stack([x, y, right - x, bottom - y, np.add.reduceat(rows[:, AREA], starts)])


def spans(boxes, shape, share):
    """Whether an (x, y, w, h, ...) box is at least `share` of the picture's width or height;
    for an array of such rows, which of them are."""
    boxes = np.asarray(boxes)
    return (boxes[..., W] >= share * shape[1]) | (boxes[..., H] >= share * shape[0])


def touches_border(boxes, shape, margin):
    """Whether an (x, y, w, h, ...) box comes within `margin` of the picture's border; for an
    array of such rows, which of them do."""
    height, width = shape
    boxes = np.asarray(boxes)
    x, y, w, h = (boxes[..., k] for k in (X, Y, W, H))
    return (x < margin) | (y < margin) | (x + w > width - margin) | (y + h > height - margin)


def away_from_border(mask):
    """255 where no ink blob touching the picture's border lies. A flood fill from an ink
    frame drawn around the picture: a tenth of the cost of labelling every blob."""
    framed = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=255)
    cv2.floodFill(framed, None, (0, 0), 128, flags=8)
    return cv2.compare(framed[1:-1, 1:-1], 128, cv2.CMP_NE)


def ink_on_border(mask):
    """Ink on the picture's outermost rows or columns."""
    return any(cv2.countNonZero(edge) for edge in (mask[0], mask[-1], mask[:, 0], mask[:, -1]))


def border_contact(mask, box, margin):
    """Ink pixels of the box that lie on the frame's edge rows and columns."""
    x, y, w, h = (int(v) for v in box[:4])
    height, width = mask.shape
    inside = mask[y:y + h, x:x + w]
    contact = 0
    if y < margin:
        contact += cv2.countNonZero(inside[0])
    if y + h > height - margin:
        contact += cv2.countNonZero(inside[-1])
    if x < margin:
        contact += cv2.countNonZero(inside[:, 0])
    if x + w > width - margin:
        contact += cv2.countNonZero(inside[:, -1])
    return contact


def runs_along_border(mask, box, margin):
    """A page edge or the desk beside it lies along the frame's edge; a digit held close to the
    camera only crosses it, touching it over about one stroke width."""
    return border_contact(mask, box, margin) > 0.25 * max(box[W], box[H])


def plausible_sizes(boxes, shape, options):
    """Which boxes pass the size, aspect and border tests that any digit (or run of touching
    digits) passes, for all of them at once: a speckled frame has hundreds of groups.

    A blob cut by the frame edge is part of something outside the picture, unless it is big:
    a digit held close to the camera fills most of the frame and may touch its edge.
    """
    w, h = boxes[:, W], boxes[:, H]
    sized = (h >= options.min_height_px) & (h <= options.max_height_fraction * shape[0])
    aspect = w / h  # a bounding box is at least one pixel tall
    shaped = (aspect >= options.min_aspect) & (aspect <= options.max_run_aspect)
    return sized & shaped & (~touches_border(boxes, shape, options.border_margin_px) | spans(boxes, shape, 0.5))


def plausible_fill(box, mask, options):
    """The ink share of a box that passed plausible_sizes: neither a thin frame nor a solid
    blob (a 1 fills its own narrow box)."""
    x, y, w, h = map(int, box[:4].tolist())
    fill = cv2.countNonZero(mask[y:y + h, x:x + w]) / float(w * h)
    thin = w / h < 0.35
    return fill >= options.min_fill and (thin or fill <= options.max_fill)


def is_hairline(contour, box):
    """A blob whose strokes are under MIN_STROKE of its longer side: a page's edge, a rule, a
    crease. The stroke is twice the area inside the outer contour over its length, plus the
    pixel the contour's polygon through pixel centres leaves out: right for an open stroke,
    and an outline closing around a hole (a 0, a whole page) measures thick. Blobs under
    1 / MIN_STROKE pixels long are not measured: no stroke is thinner than a pixel."""
    if max(box[W], box[H]) * MIN_STROKE < 1.0:
        return False
    stroke = 2.0 * cv2.contourArea(contour) / max(1.0, cv2.arcLength(contour, True)) + 1.0
    return stroke < MIN_STROKE * max(box[W], box[H])


def frame_edge_blobs(boxes, mask, margin):
    """Components that lie along the frame's edge: a page edge, the desk around the paper.

    They are neither digits nor pieces of one, and their boxes span the picture, so they
    are removed before merging, or every digit inside their box would join them.
    """
    edge = np.zeros(len(boxes), dtype=bool)
    for index in np.flatnonzero(touches_border(boxes, mask.shape, margin)):
        edge[index] = runs_along_border(mask, boxes[index], margin)
    return edge


def speck_clusters(boxes, groups, boxes_of_groups, options):
    """Which groups hold many pieces, or pieces of which none spans half the group: grain, not
    a digit (which always has one long stroke)."""
    counts = np.array([len(members) for members in groups])
    anchors = boxes[[members[0] for members in groups]].reshape(-1, boxes.shape[1])
    scattered = (anchors[:, H] < 0.5 * boxes_of_groups[:, H]) & (anchors[:, W] < 0.5 * boxes_of_groups[:, W])
    return (counts > options.max_fragments) | ((counts > 1) & scattered)


def plausible_regions(boxes, ids, contours, mask, options):
    """Regions whose merged shape could be one digit or a run of touching digits; `ids` are
    the components' contour indices.

    A group that cannot be a digit (a shadow or a page's edge that claimed the digits beside
    it as its pieces, then failed as a speck cluster, by its shape or as a hairline) loses
    its anchor, and its smaller pieces are grouped once more on their own. Before, such
    digits were dropped with the group: recall on 500 generated pages rose from 93.9 % to
    94.6 %.
    """
    usable = np.flatnonzero(~frame_edge_blobs(boxes, mask, options.border_margin_px))
    kept = boxes[usable]
    contour_of = ids[usable].tolist()

    def outline(index):
        return contours[contour_of[index]]
    digit_height = median_blob_height(kept, options.min_height_px)
    regions, failed = plausible_groups(kept, outline, np.arange(len(kept)), mask, options, digit_height)
    released = [m for box, members in failed for m in released_pieces(kept, box, members)]
    if released:
        regions += plausible_groups(kept, outline, np.array(released), mask, options, digit_height)[0]
        regions.sort(key=lambda region: -kept[region[1][0], AREA])  # biggest anchor first, as merged
    return [Region(tuple(map(int, box[:4].tolist())), tuple(contour_of[m] for m in members), None)
            for box, members in regions]


def middle(values):
    """The median of a few numbers. (np.median imports numpy.ma on first use, a tenth of the
    runtime's cold start on a small machine.)"""
    ranked = sorted(values)
    half = len(ranked) // 2
    return float(ranked[half]) if len(ranked) % 2 else (ranked[half - 1] + ranked[half]) / 2.0


def median_blob_height(boxes, min_height):
    """The median height of the blobs at least `min_height` tall (0 when there are none): on a
    page of digits, about a digit's height."""
    heights = np.sort(boxes[boxes[:, H] >= min_height, H])
    return float(heights[len(heights) // 2]) if len(heights) else 0.0


def released_pieces(boxes, group, members):
    """The pieces of a failed group let go to be grouped again: not its anchor, and none whose
    box covers over a quarter of the group's box (a shadow's patch beside a page's outline)."""
    return [m for m in members[1:] if boxes[m, W] * boxes[m, H] <= 0.25 * group[W] * group[H]]


def plausible_groups(boxes, outline, indices, mask, options, digit_height=0.0):
    """([(box, members)] of the groups of these components that could be digits, the same of
    the groups of several pieces that could not); members are indices into `boxes`, the
    group's anchor first, and `outline(index)` is a component's outer contour."""
    index_of = indices.tolist()
    groups = [[index_of[m] for m in group]
              for group in merge_pieces(boxes[indices], options.min_height_px, digit_height)]
    boxes_of_groups = group_boxes(boxes, groups)
    sized = plausible_sizes(boxes_of_groups, mask.shape, options)
    fits = (sized & ~speck_clusters(boxes, groups, boxes_of_groups, options)).tolist()
    plausible, failed = [], []
    for members, box, fit in zip(groups, boxes_of_groups, fits):
        if fit and plausible_fill(box, mask, options) and not is_hairline(outline(members[0]), boxes[members[0]]):
            plausible.append((box, members))
        elif len(members) > 1:
            failed.append((box, members))
    return plausible, failed
