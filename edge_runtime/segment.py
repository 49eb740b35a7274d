"""Ink components -> digit regions: join broken strokes, reject non-digits by shape, cut wide blobs.

Works on a binary ink mask in working pixels. Everything here is geometry; which of several
readings of a region wins (one wide digit or two touching ones) is decided with the
classifier in edge_runtime/reading.py.
"""

import collections

import cv2
import numpy as np

Region = collections.namedtuple("Region", ["box", "ids", "columns"])
Region.__doc__ = """A digit candidate in working pixels: (x, y, w, h) box, the indices of the
contours whose ink it owns, and the (start, stop) column range of that ink it keeps (a
piece of a split blob), or None for all of it."""

# Columns: x, y, w, h, ink pixels.
X, Y, W, H, AREA = range(5)


def components(mask, min_side=3):
    """(outer contours, float array of [x, y, w, h, ink pixels] per blob of at least `min_side`,
    and the index of each row's contour). External contours cost a twentieth of labelling
    every pixel (connectedComponentsWithStats) here, and a frame must take milliseconds."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    rows, kept = [], []
    for index, contour in enumerate(contours):
        x, y, w, h = cv2.boundingRect(contour)
        if max(w, h) >= min_side:
            rows.append((x, y, w, h, cv2.countNonZero(mask[y:y + h, x:x + w])))
            kept.append(index)
    return contours, np.array(rows, dtype=np.float64).reshape(-1, 5), np.array(kept, dtype=np.int64)


def mergeable(anchor, pieces):
    """Which pieces belong to the anchor's digit (a 5's detached bar, a 4's open top).

    They overlap it in x by half the narrower width, and together they stay about one
    digit tall.
    """
    left = np.maximum(anchor[X], pieces[:, X])
    right = np.minimum(anchor[X] + anchor[W], pieces[:, X] + pieces[:, W])
    top = np.minimum(anchor[Y], pieces[:, Y])
    bottom = np.maximum(anchor[Y] + anchor[H], pieces[:, Y] + pieces[:, H])
    # A bar (a 5's, a 7's) often juts out sideways: a flat piece needs less overlap.
    flat = pieces[:, H] < 0.4 * anchor[H]
    overlaps = (right - left) >= np.where(flat, 0.25, 0.5) * np.minimum(anchor[W], pieces[:, W])
    # A piece of a digit is a fair part of it; a whole digit inside a big blob's box (desk
    # texture, a shadow) is not a piece of that blob.
    sizeable = np.maximum(pieces[:, W] / anchor[W], pieces[:, H] / anchor[H]) >= 0.15
    return overlaps & sizeable & ((bottom - top) <= 1.5 * np.maximum(anchor[H], pieces[:, H]))


def union_box(boxes):
    x, y = boxes[:, X].min(), boxes[:, Y].min()
    right, bottom = (boxes[:, X] + boxes[:, W]).max(), (boxes[:, Y] + boxes[:, H]).max()
    return np.array([x, y, right - x, bottom - y, boxes[:, AREA].sum()])


def merge_pieces(boxes, min_anchor_side=0):
    """Groups of component indices that form one digit, largest component first.

    Each unclaimed component at least `min_anchor_side` long, largest first, claims the
    smaller unclaimed ones it should merge with; smaller pieces left unclaimed are specks and
    dropped. Only components whose x-range can overlap it are compared (a window in an
    x-sorted order), so thousands of specks cost milliseconds, not the quadratic seconds
    that comparing every pair took.
    """
    order = np.argsort(-boxes[:, AREA], kind="stable")
    by_x = np.argsort(boxes[:, X], kind="stable")
    sorted_x = boxes[by_x, X]
    widest = boxes[:, W].max(initial=0.0)
    owner = np.full(len(boxes), -1)
    groups = []
    can_anchor = np.maximum(boxes[:, W], boxes[:, H]) >= min_anchor_side
    for anchor in order:
        if owner[anchor] >= 0 or not can_anchor[anchor]:
            continue
        low = np.searchsorted(sorted_x, boxes[anchor, X] - widest)
        high = np.searchsorted(sorted_x, boxes[anchor, X] + boxes[anchor, W], side="right")
        nearby = by_x[low:high]
        nearby = nearby[(owner[nearby] < 0) & (nearby != anchor)]
        members = np.concatenate([[anchor], nearby[mergeable(boxes[anchor], boxes[nearby])]])
        owner[members] = anchor
        groups.append(members)
    return groups


def group_box(boxes, members):
    return union_box(boxes[members]) if len(members) > 1 else boxes[members[0]]


def touches_border(box, shape, margin):
    height, width = shape
    x, y, w, h = box[:4]
    return x < margin or y < margin or x + w > width - margin or y + h > height - margin


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


def shape_is_plausible(box, shape, options):
    """Size, fill and border tests that any digit (or run of touching digits) passes.

    A blob cut by the frame edge is part of something outside the picture, unless it is big:
    a digit held close to the camera fills most of the frame and may touch its edge.
    """
    x, y, w, h, area = box
    height, width = shape
    if h < options.min_height_px or h > options.max_height_fraction * height:
        return False
    if not options.min_aspect <= w / h <= options.max_run_aspect:
        return False
    big = h >= 0.5 * height or w >= 0.5 * width
    if touches_border(box, shape, options.border_margin_px) and not big:
        return False
    fill = area / float(w * h)
    thin = w / h < 0.35  # a 1 fills its own narrow box
    return fill >= options.min_fill and (thin or fill <= options.max_fill)


def frame_edge_blobs(boxes, mask, margin):
    """Components that lie along the frame's edge: a page edge, the desk around the paper.

    They are neither digits nor pieces of one, and their boxes span the picture, so they
    are removed before merging, or every digit inside their box would join them.
    """
    height, width = mask.shape
    touching = ((boxes[:, X] < margin) | (boxes[:, Y] < margin) | (boxes[:, X] + boxes[:, W] > width - margin)
                | (boxes[:, Y] + boxes[:, H] > height - margin))
    edge = np.zeros(len(boxes), dtype=bool)
    for index in np.flatnonzero(touching):
        edge[index] = runs_along_border(mask, boxes[index], margin)
    return edge


def plausible_regions(boxes, ids, mask, options):
    """Regions whose merged shape could be one digit or a run of touching digits; `ids` are
    the components' contour indices."""
    usable = np.flatnonzero(~frame_edge_blobs(boxes, mask, options.border_margin_px))
    kept = boxes[usable]
    regions = []
    for members in merge_pieces(kept, options.min_height_px):
        box = group_box(kept, members)
        if len(members) <= options.max_fragments and shape_is_plausible(box, mask.shape, options):
            labels = tuple(int(ids[usable[m]]) for m in members)
            regions.append(Region(tuple(int(v) for v in box[:4]), labels, None))
    return regions


def column_profile(own):
    """Ink per column of a region's own mask."""
    return own.sum(axis=0, dtype=np.int64)


def cut_positions(profile, pieces):
    """Columns that cut a run of `pieces` touching digits: the least-ink column near each
    evenly spaced cut, where touching strokes are thinnest."""
    width = len(profile)
    step = width / float(pieces)
    cuts = []
    for index in range(1, pieces):
        centre = int(round(index * step))
        low, high = max(1, centre - int(0.3 * step)), min(width - 1, centre + int(0.3 * step) + 1)
        cuts.append(low + int(np.argmin(profile[low:high])) if high > low else centre)
    return cuts


def pair_cuts(profile, tries=3):
    """Columns where two touching digits may part: the `tries` thinnest local minima of the ink
    profile between a fifth and four fifths of the width (a 1 beside a 6 parts off-centre)."""
    width = len(profile)
    low, high = max(1, width // 5), min(width - 1, width - width // 5)
    if high - low < 2:
        return [width // 2]
    window = profile[low - 1:high + 1].astype(np.float64)
    minima = [low + i for i in range(len(window) - 2) if window[i + 1] <= window[i] and window[i + 1] <= window[i + 2]]
    minima = minima or [low + int(np.argmin(profile[low:high]))]
    chosen = []
    for column in sorted(minima, key=lambda c: profile[c]):
        if all(abs(column - c) > width // 10 for c in chosen):
            chosen.append(column)
    return chosen[:tries]


def split_candidates(region, own, pieces):
    """Ways to cut a region into `pieces` touching digits: for two, one per likely parting
    column; for more, the least-ink column near each even share of the width."""
    profile = column_profile(own)
    if pieces == 2:
        cuts = [[column] for column in pair_cuts(profile)]
    else:
        cuts = [cut_positions(profile, pieces)]
    splits = [split_at(region, profile, columns) for columns in cuts]
    return [split for split in splits if split]


def split_region(region, own, pieces):
    """A region cut into `pieces` column ranges (the least-ink cuts near even shares), or None
    when a piece would hold no ink."""
    profile = column_profile(own)
    return split_at(region, profile, cut_positions(profile, pieces))


def split_at(region, profile, columns):
    """The region's ink cut at these columns into pieces, or None when a piece would be empty."""
    edges = [0, *columns, len(profile)]
    parts = []
    for start, stop in zip(edges[:-1], edges[1:]):
        if stop <= start or profile[start:stop].sum() == 0:
            return None
        parts.append(Region(region.box, region.ids, (start, stop)))
    return parts


def piece_counts(box, options, typical_aspect=None):
    """How many digits a region of this shape could hold: 1 when narrow, a few guesses when
    wide, around its width over a typical digit's (`typical_aspect`, width / height)."""
    x, y, w, h = box[:4]
    aspect = w / float(h)
    if aspect < options.split_aspect:
        return [1]
    estimate = max(1, int(round(aspect / (typical_aspect or options.typical_aspect))))
    counts = {max(1, estimate - 1), estimate, estimate + 1}
    if aspect > options.max_aspect:
        counts.discard(1)
    return sorted(c for c in counts if c <= options.max_pieces)
