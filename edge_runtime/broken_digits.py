"""Stacked pieces that may be the halves of one digit broken across its middle: a pen that
skipped, a faint stroke the threshold lost. edge_runtime/merging.py joins such halves by
geometry when the picture's other blobs tell a digit's height; with few digits, or digits of
mixed sizes, it cannot tell halves from whole digits and leaves them apart: a 3 read as a 7
over a 1, a lone digit held up to the camera read as two. This module only proposes the
pairs; edge_runtime/reading.py reads each pair whole and lets the classifier and the
rejecter decide (joined_halves). Pure functions on (x, y, w, h) boxes, tested without images
or a model.
"""

import numpy as np

from edge_runtime import segment

# Two boxes are stacked halves when they overlap in x by half the narrower one's width, the
# space between them is at most GAP of their joint height (they may overlap a little,
# OVERLAP), each is at most PART of it, and together they are no wider than tall (WIDE)...
GAP = 0.25
OVERLAP = 0.1
PART = 0.75
WIDE = 1.0
# ...and, when the picture holds two or more other readings, each is at most HALF of their
# middle height and together at most TALL times it: two whole digits of two close rows are
# not halves. With fewer (a lone digit, a tight crop) the classifier and the rejecter decide.
HALF = 0.75
TALL = 1.5


def stacked_pairs(boxes):
    """(upper, lower) index pairs of the boxes that lie one over the other as the two halves
    of one digit would, by their own geometry (see GAP); all pairs at once. Boxes side by side
    in a row overlap in x by less than half a width, so a frame of one row stops at that test."""
    x, y, w, h = np.asarray(boxes, dtype=np.float64).reshape(-1, 4).T[:, :, None]
    overlap = np.minimum(x + w, x.T + w.T) - np.maximum(x, x.T)
    stacked = (overlap >= 0.5 * np.minimum(w, w.T)) & (y < y.T)
    if not stacked.any():
        return []
    tall = np.maximum(y + h, y.T + h.T) - np.minimum(y, y.T)
    gap = np.maximum(y, y.T) - np.minimum(y + h, y.T + h.T)
    wide = np.maximum(x + w, x.T + w.T) - np.minimum(x, x.T)
    stacked &= ((gap >= -OVERLAP * tall) & (gap <= GAP * tall) & (np.maximum(h, h.T) <= PART * tall)
                & (wide <= WIDE * tall))
    return [(int(i), int(j)) for i, j in zip(*np.nonzero(stacked))]


def are_halves(upper, lower, heights):
    """Whether two stacked boxes are short enough against the `heights` of the picture's
    other readings to be halves of one digit (HALF, TALL); always, with fewer than two."""
    if len(heights) < 2:
        return True
    typical = segment.middle(heights)
    tall = max(upper[1] + upper[3], lower[1] + lower[3]) - min(upper[1], lower[1])
    return max(upper[3], lower[3]) <= HALF * typical and tall <= TALL * typical


def stacked_halves(boxes, heights):
    """(upper, lower) index pairs of regions that may be one broken digit: `boxes` are the
    regions', `heights` per region the heights of what was read in it."""
    pairs = []
    for upper, lower in stacked_pairs(boxes):
        others = [height for k, found in enumerate(heights) if k not in (upper, lower) for height in found]
        if are_halves(boxes[upper], boxes[lower], others):
            pairs.append((upper, lower))
    return pairs


def joined(upper, lower):
    """One region holding both regions' ink, in the box around both."""
    ux, uy, uw, uh = upper.box
    lx, ly, lw, lh = lower.box
    x, y = min(ux, lx), min(uy, ly)
    box = (x, y, max(ux + uw, lx + lw) - x, max(uy + uh, ly + lh) - y)
    return segment.Region(box, tuple(upper.ids) + tuple(lower.ids), None)
