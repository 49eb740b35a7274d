"""Ink components -> digit regions: the pieces of one digit joined (edge_runtime/merging.py),
non-digits rejected by shape.

Works on a binary ink mask in working pixels. Everything here is geometry, and a wide blob
stays one region: edge_runtime/touching.py proposes where it may be cut, and
edge_runtime/reading.py lets the classifier choose.
"""

import collections

import cv2
import numpy as np

from edge_runtime import blob_boxes, merging
from edge_runtime.blob_boxes import AREA, H, W

Region = collections.namedtuple("Region", ["box", "ids", "columns"])
Region.__doc__ = """A digit candidate in working pixels: (x, y, w, h) box, the indices of the
contours whose ink it owns, and the (start, stop) column range of that ink it keeps (a
piece of a split blob, touching.split_at), or None for all of it."""

SQUARE = np.ones((3, 3), np.uint8)  # a pixel and its eight neighbours: one step of erosion or dilation
# A blob whose strokes are thinner than this share of its longer side is a page's edge, a
# rule or a crease, not a digit (is_hairline): digits measured 0.033 or more on the real
# photos and 0.05 or more on generated pages (12,550), the edges of tilted pages 0.005-0.011.
MIN_STROKE = 0.015
# Blobs in other blobs' holes (held_blobs): a holder is this many pixels or more on both sides
# (a frame around a digit of FindOptions.min_height_px), holds one at least HELD_HEIGHT tall,
# and its outline encloses at least HOLLOW times its box's ink (a solid blob holds nothing).
HOLDER_SIDE = 14
HELD_HEIGHT = 7
HOLLOW = 2.0


def components(mask, min_side=3):
    """(outer contours, float array of [x, y, w, h, box area] per blob of at least `min_side`,
    and the index of each row's contour). External contours cost a twentieth of labelling
    every pixel (connectedComponentsWithStats) here, and a frame must take milliseconds; ink
    is counted later, only for the few candidates that pass the cheaper tests. A blob that
    holds others in its holes gives way to them (held_blobs)."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = blob_boxes.contour_boxes(contours)
    held, holders = held_blobs(mask, contours, boxes)
    if held:
        contours = [c for index, c in enumerate(contours) if index not in holders] + held
        boxes = blob_boxes.contour_boxes(contours)
    kept = np.flatnonzero(np.maximum(boxes[:, W], boxes[:, H]) >= min_side)
    boxes = boxes[kept]
    return contours, np.column_stack([boxes, boxes[:, W] * boxes[:, H]]), kept


def held_blobs(mask, contours, boxes):
    """(outer contours of the blobs inside other blobs' holes, indices of those holders). A
    printed box around an amount, a form's row of boxes, a grid, a frame drawn around a number
    or a page's outline closed all round holds the writing in its holes, where outer contours
    do not see it: the whole read as nothing. A blob holds writing when one blob in its holes
    is at least HELD_HEIGHT tall (a speck in a 0's loop is no writing); it is then left out,
    a frame and no digit, and what it holds is read. Only blobs HOLDER_SIDE or more on both
    sides whose outline encloses at least HOLLOW times their box's ink are looked into."""
    held, holders = [], set()
    roomy = np.flatnonzero(np.minimum(boxes[:, W], boxes[:, H]) >= HOLDER_SIDE)
    for index, box in zip(roomy.tolist(), boxes[roomy, :4].astype(np.intp).tolist()):
        inside = blobs_in_holes(mask, contours[index], box)
        if any(cv2.boundingRect(blob)[3] >= HELD_HEIGHT for blob in inside):
            held += inside
            holders.add(index)
    return held, holders


def blobs_in_holes(mask, outline, box):
    """Outer contours of the blobs in the holes of the blob with this outer contour and (x, y,
    w, h) box, at any depth, less those that hold writing themselves: a printed box inside a
    page's closed outline gives way to the digit it holds, as the outline does (a speck in the
    loop of a digit in a box is no writing, and the digit stays whole)."""
    x, y, w, h = box
    window = mask[y:y + h, x:x + w]
    if cv2.contourArea(outline) < HOLLOW * cv2.countNonZero(window):
        return []  # mostly ink: no hole that could hold a digit
    found, hierarchy = cv2.findContours(window, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE, offset=(x, y))
    parents = hierarchy[0][:, 3].tolist()
    roots = [i for i, contour in enumerate(found) if parents[i] < 0 and cv2.boundingRect(contour) == tuple(box)]
    if not roots:
        return []
    depths = {i: held_depth(parents, i, roots[0]) for i in range(len(found))}
    inside = [i for i, depth in depths.items() if depth >= 2]
    holders = {parents[parents[i]] for i in inside if depths[i] >= 4 and cv2.boundingRect(found[i])[3] >= HELD_HEIGHT}
    return [found[i] for i in inside if i not in holders]


def held_depth(parents, index, root):
    """How many steps contour `index` of a RETR_TREE hierarchy (`parents`: each contour's
    parent, -1 for none) lies below `root` when it is an outer contour there (an even number
    of steps: outline, hole, outline...), else 0."""
    depth, parent = 0, index
    while parents[parent] >= 0:
        parent = parents[parent]
        depth += 1
    return depth if parent == root and depth % 2 == 0 else 0


def blob_count(mask):
    """How many blobs a binary mask holds: its outer contours, without the boxes components
    measures (a grainy mask holds hundreds)."""
    return len(cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0])


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
    inside = ~blob_boxes.touches_border(boxes, shape, options.border_margin_px)
    return sized & shaped & (inside | blob_boxes.spans(boxes, shape, 0.5))


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
    for index in np.flatnonzero(blob_boxes.touches_border(boxes, mask.shape, margin)):
        edge[index] = blob_boxes.runs_along_border(mask, boxes[index], margin)
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
    corners = np.array([box[:4] for box, _ in regions], dtype=np.int64).reshape(-1, 4).tolist()
    return [Region(tuple(corner), tuple(contour_of[m] for m in members), None)
            for corner, (_, members) in zip(corners, regions)]


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
              for group in merging.merge_pieces(boxes[indices], options.min_height_px, digit_height)]
    boxes_of_groups = blob_boxes.group_boxes(boxes, groups)
    sized = plausible_sizes(boxes_of_groups, mask.shape, options)
    fits = (sized & ~speck_clusters(boxes, groups, boxes_of_groups, options)).tolist()
    plausible, failed = [], []
    for members, box, fit in zip(groups, boxes_of_groups, fits):
        if fit and plausible_fill(box, mask, options) and not is_hairline(outline(members[0]), boxes[members[0]]):
            plausible.append((box, members))
        elif len(members) > 1:
            failed.append((box, members))
    return plausible, failed
