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

from edge_runtime import blob_boxes, grayscale

# A 1 is a page's edge when its ink stands out of the inkiest tenth of the band around its box
# by under MIN_STANDING_OUT of how far it stands out of the band's least inky tenth (the
# paper), in the ink before the lighting correction (ink bright: for dark ink on paper, the
# band's darkest and lightest tenths). The band runs from BAND_GAP to BAND_REACH pixels out
# from the box: a rim touches the desk, so the desk lies in it; a pen stroke has paper there,
# unless something dark lies that close to it. Measured on the harder set's 500 generated
# pages: the edges read as 1s 0.071 or less, the other false digits (letters, a speck) 0.63
# or more, the true 1s 0.42 or more. MNIST 1s written beside a dark desk or a black phone
# (tests/test_edge_page_edges.py): none lost 4 pixels away, 3 and 4 of 6 lost 3 pixels away.
# A band as wide as half the box (the first version) reached the desk beside big 1s.
MIN_STANDING_OUT = 0.2
INKIEST = 0.9
PAPER = 0.1
BAND_GAP = 2    # pixels of the band left out next to the box: the stroke's own soft edge
BAND_REACH = 3  # the band's outer edge, in pixels from the box
BAND_PIXELS = 10  # a band of fewer pixels (a box filling the picture) says nothing: kept


def without_page_edges(page, readings):
    """The readings less the 1s that are strips along a page's edge (is_page_edge)."""
    if page.ink is None:
        return readings
    return [r for r in readings if r.label != "1" or not is_page_edge(page.ink, page.mask, r.box)]


def is_page_edge(ink, mask, box):
    """A 1's box whose ink stands out of the inkiest tenth of the band around it by under
    MIN_STANDING_OUT of how far it stands out of the paper there (standing_out)."""
    return standing_out(ink, mask, box) < MIN_STANDING_OUT


def standing_out(ink, mask, box):
    """(stroke - band's inkiest tenth) / (stroke - band's paper) in an ink-bright picture: the
    stroke is the median of its mask pixels in the box. 1.0 (stands out) when the band is
    too small to say or the stroke is no brighter than the paper."""
    stroke, band, window = stroke_and_band(mask, box)
    if cv2.countNonZero(band) < BAND_PIXELS or not cv2.countNonZero(stroke):
        return 1.0
    pixels = ink[window]
    level = grayscale.percentiles(pixels, (0.5,), stroke)[0]
    inkiest, paper = grayscale.percentiles(pixels, (INKIEST, PAPER), band)
    if level <= paper:
        return 1.0
    return (level - inkiest) / (level - paper)


def stroke_and_band(mask, box):
    """(stroke, band, window): 0/255 masks over `window`, the slice of the picture BAND_REACH
    pixels around the box: the ink in the box, and what is not ink from BAND_GAP to
    BAND_REACH pixels out from it."""
    x, y, w, h = box
    window = blob_boxes.window(box, mask.shape, BAND_REACH)
    top, left = window[0].start, window[1].start
    ink_mask = mask[window]
    stroke = np.zeros_like(ink_mask)
    inner = (slice(y - top, y - top + h), slice(x - left, x - left + w))
    stroke[inner] = ink_mask[inner]
    band = cv2.bitwise_not(ink_mask)
    gap = BAND_GAP - 1  # the box grown by this much is left out: the band starts BAND_GAP out
    band[max(0, y - top - gap):y - top + h + gap, max(0, x - left - gap):x - left + w + gap] = 0
    return stroke, band, window
