"""Whether a candidate's ink is pen on paper: it stands out from the paper's grain, and it is
not a soft shadow.

The threshold that finds the ink lets through what is a little darker than the paper around
it: grain, desk texture and faint rulings in specks, and the body of a shadow that the lighting
correction leaves (a pen's or a hand's, narrower than its kernel). Both come out as blobs of
digit size, which the classifier reads with confidence (a shadow's stripe as a 1 at 0.99).
Pen ink differs from both in how it looks, measured on the flattened ink (bright on black).
"""

import cv2
import numpy as np

from edge_runtime import grayscale, segment

# A stroke's mean brightness in the flattened ink must be this many times the paper's grain (its
# brightest 1 % away from any ink): pen on paper measured at 4.2x or more on real photos, the
# specks that grain, desk texture and faint rulings leave above the threshold at 1.1-1.3x.
# Of 1.4, 1.6, 1.8 and 2.0, 1.6 left the fewest missed plus false digits on two generated sets.
MIN_STROKE_TO_GRAIN = 1.6
GRAIN_PERCENTILE = 0.99
GRAIN_MARGIN = 4  # pixels around the ink left out of the grain: the soft edges of strokes
GRAIN_STEP = 4    # the grain is sampled on every fourth pixel of every fourth row...
GRAIN_SAMPLE_SIDE = 120  # ...or more densely where that leaves fewer rows or columns than this
NOISE_FALL = 1.5  # how many times smoothing must lower the grain for it to be fine, as noise is (is_fine_grain)

# A shadow is faint and soft: its flattened ink averages under SHADOW_LEVEL, and at the edge of
# its mask the ink rises by under SHADOW_EDGE of that average per pixel. On the generated pages
# the shadows and smudges read as digits measured 0.042-0.059 at levels 30-56; the readings of
# true digits as faint (732 of 4,227 on those pages and on the real photos as they are and
# blurred by 2 and 3 pixels) 0.15 or more, but for one big 6 misread as a 1 (0.055). Small
# writing blurred far out of focus is as soft (the real photos blurred by 4 pixels lost 20 of
# their 94 readings to this test), so only blobs spanning SHADOW_SPAN of the picture's width
# or height are looked at: the shadows spanned 0.24 or more, those digits 0.11 or less.
SHADOW_LEVEL = 80.0
SHADOW_EDGE = 0.1
SHADOW_SPAN = 0.15


def pen_ink_regions(page, regions):
    """The regions whose ink is pen on paper (is_pen_ink). The paper is looked at again for
    sensor noise (grain_without_noise) only when some region does not stand out of its grain:
    never on the unaltered real photos, in one look of six at the harder set's generated
    pages, for 0.08 ms per 640x480."""
    step, paper = paper_sample(page.flat, page.mask)
    grain = sampled_grain(page.flat, step, paper)
    levels = [ink_level(page, region.box) for region in regions]
    if not all(stands_out(level, grain) for level in levels):
        grain = grain_without_noise(page.flat, step, paper, grain)
    return [region for region, level in zip(regions, levels) if is_pen_ink(page, region.box, grain, level)]


def grain_without_noise(flat, step, paper, grain):
    """The paper's `grain` (sampled_grain), or, where it is mostly fine detail (is_fine_grain),
    the geometric mean of it and the smoothed paper's, never under `grain` over
    MIN_STROKE_TO_GRAIN: a speck dimmer than the grain itself never stands out.
    A stroke's mean brightness averages the noise of its many pixels, as the threshold's
    blurred picture does (preprocess.thresholded); measured against each pixel's noise, a
    dim or small camera's faint writing stood out of none of it (real photos with noise of
    sigma 30 read 16 % of their digits). Against the smoothed paper alone, noisy desk
    texture stood out as digits."""
    # Smoothed before it is sampled: pixels four apart, smoothed, would lower any grain.
    smoothed = sampled_grain(cv2.GaussianBlur(flat, (3, 3), 0), step, paper)
    if not is_fine_grain(grain, smoothed):
        return grain
    return max(float(np.sqrt(grain * smoothed)), grain / MIN_STROKE_TO_GRAIN)


def paper_sample(flat, mask):
    """(step, paper): the grid the grain is sampled on, and where on it the paper lies at
    least GRAIN_MARGIN from any ink (255)."""
    step = max(1, min(GRAIN_STEP, min(flat.shape) // GRAIN_SAMPLE_SIDE))
    reach = 2 * (GRAIN_MARGIN // step) + 1
    near_ink = cv2.dilate(mask[::step, ::step].copy(), np.ones((reach, reach), np.uint8))
    return step, cv2.bitwise_not(near_ink)


def sampled_grain(flat, step, paper):
    """How bright the paper alone gets in the flattened ink: the GRAIN_PERCENTILE brightest of
    the pixels at least GRAIN_MARGIN from any ink (`step` and `paper`: paper_sample), 0 for
    none. On a blank page, a desk or ruled paper the threshold still lets some grain through;
    those specks are no brighter than this. A sample on a GRAIN_STEP grid is enough, at a
    tenth of the cost (0.07 ms per 640x480); small pictures (a tight crop of one digit) are
    sampled more densely, having little paper."""
    return float(grayscale.percentiles(flat[::step, ::step], (GRAIN_PERCENTILE,), paper)[0])


def is_fine_grain(grain, smoothed):
    """Whether the paper's grain is mostly detail a pixel or two across, as sensor noise is:
    smoothing lowers it NOISE_FALL times or more. Measured: the real photos with noise of
    sigma 20-30 added 1.50-2.0 (the lowest on the mark), 1.11-1.9 at sigma 10; the unaltered
    photos 0.89-1.14. Some clean paper is as fine: at the first look 3 of the 1,500 generated
    pages (tight crops of one digit, with little paper) 1.50-1.67, the rest at most 1.40; a
    squared page looked at closer (256 pixels) 1.68. Rulings a pixel wide lower as far. They
    read the same either way."""
    return grain >= NOISE_FALL * max(smoothed, 1.0)


def is_pen_ink(page, box, grain, level=None):
    """The ink in this box of the page (preprocess.Page) stands out from the paper's `grain`
    and is no soft shadow; `level`: its ink_level, when measured already."""
    level = ink_level(page, box) if level is None else level
    return stands_out(level, grain) and not is_soft_shadow(page, box, level)


def ink_level(page, box):
    """The mean brightness of the flattened ink under the mask in this box."""
    x, y, w, h = box[:4]
    return cv2.mean(page.flat[y:y + h, x:x + w], mask=page.mask[y:y + h, x:x + w])[0]


def stands_out(level, grain):
    """Ink this bright on average (ink_level) is at least MIN_STROKE_TO_GRAIN times the paper's grain."""
    return level >= MIN_STROKE_TO_GRAIN * grain


def is_soft_shadow(page, box, level):
    """A blob spanning SHADOW_SPAN of the working picture (a small picture's padding
    included) whose ink is faint (its ink_level) and whose edges are soft."""
    x, y, w, h = box[:4]
    height, width = page.mask.shape
    if (h < SHADOW_SPAN * height and w < SHADOW_SPAN * width) or level >= SHADOW_LEVEL:
        return False
    # A pixel more on each side: the blob's outermost pixels lie on its box's sides.
    left, top, right, bottom = max(x - 1, 0), max(y - 1, 0), min(x + w + 1, width), min(y + h + 1, height)
    return edge_rise(page.flat[top:bottom, left:right], page.mask[top:bottom, left:right]) < SHADOW_EDGE * level


def edge_rise(flat, mask):
    """How fast the ink rises at the mask's edge: the mean gradient (grey levels per pixel) over
    the mask's outermost pixels (those beside a pixel outside it, within the picture)."""
    ink = flat.astype(np.float32)
    gradient = cv2.magnitude(cv2.Sobel(ink, cv2.CV_32F, 1, 0, scale=0.125),
                             cv2.Sobel(ink, cv2.CV_32F, 0, 1, scale=0.125))
    edge = cv2.subtract(mask, cv2.erode(mask, segment.SQUARE))
    return cv2.mean(gradient, mask=edge)[0]
