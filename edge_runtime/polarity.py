"""Which way round the ink is: darker than the paper (most photos: pen on paper, a page on a
desk) or lighter (chalk on a board, a white-on-black scan), and whether that is sure enough to
read the picture one way only (classify.look reads a doubtful picture both ways).
"""

import cv2
import numpy as np

from edge_runtime import grayscale

POLARITY_KERNEL = 3  # pixels of the quarter-size copy: wider than a pen stroke, narrower than gaps between strokes
# The dark tail (median - darkest) at least this share of the range (darkest to brightest) is
# too close to the bright one to call the ink light surely on the tails alone (ink_polarity).
LIGHT_TAILS = 0.25
# ...unless next to nothing stands out from the grain either way (black-hat plus top-hat under
# this much a pixel of the quarter-size copy): blank or flat paper, nothing to read twice
# (noisy blank paper 0.0003 or less; the shaded sheets read as light ink 0.28-4.5).
BLANK_STROKES = 0.01
POLARITY_NOISE = 12  # grey levels of paper grain and sensor noise, ignored when weighing strokes


def is_dark_on_light(gray, small=None):
    """True when ink is darker than the paper (the common case for photos): ink_polarity's call."""
    return ink_polarity(gray, small)[0]


def ink_polarity(gray, small=None):
    """(dark ink?, sure?): whether ink is darker than the paper, and whether that is sure
    enough to read the picture one way only.

    Decided on a quarter-size copy (`small`, made here if not given), in this order:
    1. A large, compact bright region is a sheet of paper (on a desk or filling the frame):
       dark ink. A dark desk filling most of the frame no longer makes the page "ink" (the
       global median decided before, and such a page read as one big blob).
    2. Thin strokes: a closing with a small kernel fills dark strokes in (black-hat), an
       opening takes bright ones out (top-hat); clearly more of one is the ink (chalk on a
       board, a white-on-black scan).
    3. Otherwise the paper is most of the picture, and the histogram's tails decide: light
       ink when the bright tail is the longer and longer than grain and sensor noise
       (POLARITY_NOISE): a few small digits on paper that fills a big photo are too few
       pixels for the dark tail, which then measured the paper's noise as the bright one did,
       and the ink was taken for light. Not surely when the dark tail is a quarter of
       the range or more (LIGHT_TAILS): a sheet on a textured grey desk with a shadow across
       it fails the sheet test (its lit part is no compact region) and the desk's bright
       grain lengthens the bright tail (dark tails 0.29-0.48 on the 5 generated pages with
       digits read as light ink; a page of 40 digits read "007500"), but so does an unevenly
       lit chalk board or a dark page inverted (0.26-0.49): classify.look reads such a
       picture both ways.
    """
    small = grayscale.quarter_size(gray) if small is None else small
    if min(small.shape) >= 16 and has_sheet_of_paper(small):
        return True, True
    kernel = np.ones((POLARITY_KERNEL, POLARITY_KERNEL), np.uint8)
    dark = strong_sum(cv2.morphologyEx(small, cv2.MORPH_BLACKHAT, kernel))
    bright = strong_sum(cv2.morphologyEx(small, cv2.MORPH_TOPHAT, kernel))
    if max(dark, bright) > 2.0 * min(dark, bright) + 0.2 * small.size:
        return dark > bright, True
    low, median, high = grayscale.percentiles(gray, (0.0005, 0.5, 0.9995))
    if median - low == high - median:
        low, high = int(gray.min()), int(gray.max())
    if (median - low) > (high - median) or high - median <= POLARITY_NOISE:
        return True, True
    return False, (median - low) < LIGHT_TAILS * (high - low) or dark + bright < BLANK_STROKES * small.size


def has_sheet_of_paper(small):
    """A bright region of at least a tenth of the picture that fills most of its box: paper,
    not strokes (even a frame-filling white digit fills far less of its box)."""
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    otsu, bright = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark = blurred[bright == 0]
    dark_side = float(dark.mean()) if dark.size else otsu
    if otsu - dark_side < 25:  # no real light/dark split: blank paper, or one flat colour
        return False
    area, box = largest_bright_region(bright)
    return area >= 0.1 * small.size and area >= 0.6 * box


def largest_bright_region(bright):
    """(area, bounding box area) of the largest 4-connected region of a binary image's 255s,
    (0, 0) when there is none. A sheet of paper usually covers the picture's centre: filled
    from there (a sixth of the time of labelling every region), the region is the largest
    when it holds over half of the bright pixels; otherwise every region is labelled."""
    height, width = bright.shape
    if bright[height // 2, width // 2]:
        flags = 4 | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE | (255 << 8)
        mask = np.zeros((height + 2, width + 2), np.uint8)
        area, _, _, (_, _, w, h) = cv2.floodFill(bright, mask, (width // 2, height // 2), 0, 0, 0, flags)
        if 2 * area > cv2.countNonZero(bright):
            return area, w * h
    count, _, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
    if count < 2:
        return 0, 0
    largest = stats[1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))]
    return int(largest[cv2.CC_STAT_AREA]), int(largest[cv2.CC_STAT_WIDTH] * largest[cv2.CC_STAT_HEIGHT])


def strong_sum(response):
    """Sum of a morphological response above paper grain and sensor noise."""
    return float(cv2.subtract(response, POLARITY_NOISE).sum())
