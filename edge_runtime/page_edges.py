"""Whether a 1 is a stroke of pen or a strip along a page's edge.

A sheet on a desk has a dark rim where it meets the desk: its own edge, a drop shadow. The
lighting correction (preprocess.flatten_background) takes the desk for paper, so the rim stands
out of it like a pen stroke, breaks into straight pieces, and the classifier reads each as a
1 with confidence; the rejecter cannot tell a lone stroke from a 1 by its crop. In the picture
itself, before that correction, the rim is hardly darker than the desk beside it, while a pen
stroke is far darker than the paper on both of its sides.
"""

import cv2
import numpy as np

from edge_runtime import grayscale

# How far a 1's ink must stand out of the darker of its surroundings (the RING_DARK share of
# the ring around its box), as a share of how far it stands out of the paper (the RING_PAPER
# share), in the ink before the lighting correction (ink bright). On the harder set's 500
# generated pages, the edges read as 1s measured 0.11 or less and the other false digits
# (letters, a speck) 0.7 or more; of 5,646 true digits, 8 measured under 0.2, one of them a
# 1 (-0.39, beside another digit).
MIN_STANDING_OUT = 0.2
RING_DARK = 0.9    # the ring's share under which the dark side is measured (ink bright: desk, rim)
RING_PAPER = 0.1   # ...and under which the paper is
RING_PIXELS = 10   # a ring of fewer pixels (a tight crop's 1) says nothing: kept
RING_MIN = 3       # the ring's width in pixels, at least; half the box's shorter side plus 2


def without_page_edges(page, readings):
    """The readings less the 1s that are strips along a page's edge (is_page_edge)."""
    if page.ink is None:
        return readings
    return [r for r in readings if r.label != "1" or not is_page_edge(page.ink, page.mask, r.box)]


def is_page_edge(ink, mask, box):
    """A 1's box whose ink stands out of the dark side of its surroundings by under
    MIN_STANDING_OUT of how far it stands out of the paper (standing_out)."""
    return standing_out(ink, mask, box) < MIN_STANDING_OUT


def standing_out(ink, mask, box):
    """(stroke - dark side) / (stroke - paper) around a box of the ink-bright picture: the
    stroke is its mask pixels' median, the sides the ring's RING_DARK and RING_PAPER shares.
    1.0 (stands out) when the ring is too small to say."""
    x, y, w, h = box
    pad = max(RING_MIN, min(w, h) // 2 + 2)
    height, width = mask.shape
    left, top = max(0, x - pad), max(0, y - pad)
    right, bottom = min(width, x + w + pad), min(height, y + h + pad)
    pixels, ink_mask = ink[top:bottom, left:right], mask[top:bottom, left:right]
    stroke = np.zeros(ink_mask.shape, np.uint8)
    stroke[y - top:y - top + h, x - left:x - left + w] = ink_mask[y - top:y - top + h, x - left:x - left + w]
    near = np.zeros(ink_mask.shape, np.uint8)
    near[max(0, y - top - 1):y - top + h + 1, max(0, x - left - 1):x - left + w + 1] = 255
    ring = cv2.bitwise_not(cv2.bitwise_or(near, ink_mask))
    if cv2.countNonZero(ring) < RING_PIXELS or not cv2.countNonZero(stroke):
        return 1.0
    level = grayscale.percentiles(pixels, (0.5,), stroke)[0]
    dark, paper = grayscale.percentiles(pixels, (RING_DARK, RING_PAPER), ring)
    return (level - dark) / max(1.0, level - paper)
