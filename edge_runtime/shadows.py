"""Take cast shadows out of the ink: a hand's, a phone's or a lamp arm's shadow on the page.

The lighting correction (preprocess.flatten_background) subtracts a background estimated with
a kernel a sixth of the picture wide, so that no stroke, however bold, is taken for paper. A
shadow narrower than that kernel (its edge, the wedge of a phone's shadow, a pen's) stays in
the flattened ink above the threshold: one thick blob that swallows the digits it crosses,
read as one big digit or dropped as too wide.

Such a blob is several times thicker than the picture's strokes and, unlike a bold digit, no
darker than its writing. Inside its box the background is estimated again with a kernel a few
strokes wide: the shadow goes with the paper, the digits in it stay.
"""

import cv2
import numpy as np

from edge_runtime import segment

SAMPLE = 4  # the cheap test looks at every fourth pixel of every fourth row
SQUARE = np.ones((3, 3), np.uint8)
# A shadow's widest point lies at least this many times as far from its edge as a typical
# stroke's does (measured on generated pages: shadows 4.6-20 times; bold or big digits beside
# smaller writing 3.1-19 times, which FAINTER keeps), and more than MIN_HALF_WIDTH pixels: the
# cheap look opens only for ink about 25 pixels across or more (three erosions of the sample
# at the least), so narrower shadows (a pen's) are left as they are.
THICKER = 3.0
MIN_HALF_WIDTH = 12.0
# ...and its ink, on average, under this many times the other blobs' (a bold digit is at least
# as dark as the writing around it: 1.3-2.0 times on generated pages). A shadow is fainter
# than marker or ballpoint (0.36-0.89 on generated pages), but over fine pencil about as dark
# (a band with 55 % of the light over the real photos: 0.53-1.14).
FAINTER = 1.2
KERNEL_STROKES = 3.0  # the local background's kernel, in stroke widths: wider than where strokes cross
MIN_BLOB_AREA = 30    # pixels; smaller blobs are specks, no measure of the strokes


def without_shadows(ink, flat, mask, level):
    """(flat, mask) with each shadow blob flattened again by its own background and thresholded
    at `level`: new arrays, or the inputs themselves when there is no shadow (most frames: a
    cheap look decides). A picture of one blob has no writing to compare it with."""
    if not has_thick_ink(mask):
        return flat, mask
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    sized = [label for label in range(1, count) if stats[label, cv2.CC_STAT_AREA] >= MIN_BLOB_AREA]
    if len(sized) < 2:
        return flat, mask
    widest = {label: half_width(distance, labels, stats[label], label) for label in sized}
    stroke = lower_middle(widest.values())
    thick = [label for label in sized if widest[label] > max(THICKER * stroke, MIN_HALF_WIDTH)]
    shadows = fainter_than_writing(flat, labels, stats, thick, [label for label in sized if label not in thick])
    if not shadows:
        return flat, mask
    flat, mask = flat.copy(), mask.copy()
    side = int(KERNEL_STROKES * 2 * stroke) | 1
    for label in shadows:
        reflatten(ink, flat, mask, labels, stats[label], label, side, level)
    return flat, mask


def lower_middle(values):
    """The lower median: of two blobs, a shadow and a digit, the digit's stroke (the median,
    their mean, would never let one be three times the other)."""
    ranked = sorted(values)
    return float(ranked[(len(ranked) - 1) // 2])


def has_thick_ink(mask):
    """A cheap look for ink THICKER times as thick as the writing, on every SAMPLE-th pixel
    of every SAMPLE-th row. The writing's thickness: how many erosions leave at most half
    of the ink that does not touch the border (a shadow or a desk reaching in from the border
    can outweigh the writing), one at the least. Some ink must then survive THICKER times as
    many; only then is the full test worth its cost. An erosion leaves an all-ink sample as
    it is (OpenCV pads with ink), so they are counted only up to half the sample's shorter
    side: from there no ink could survive THICKER times as many anyway."""
    sample = np.ascontiguousarray(mask[::SAMPLE, ::SAMPLE])
    inner = cv2.bitwise_and(sample, segment.away_from_border(sample)) if segment.ink_on_border(sample) else sample
    core = inner if cv2.countNonZero(inner) else sample
    ink, strokes, most = cv2.countNonZero(core), 0, min(sample.shape) // 2
    while ink and strokes <= most and cv2.countNonZero(core) * 2 > ink:
        core = cv2.erode(core, SQUARE)
        strokes += 1
    deep = int(THICKER * strokes)  # erosions by a 3x3 square: one by a (2 deep + 1) square
    return bool(ink) and min(sample.shape) > 2 * deep + 1 and cv2.erode(sample, SQUARE, iterations=deep).any()


def window(stats, shape, pad=0):
    """The blob's box widened by `pad` pixels each way, clipped to the picture: row and column slices."""
    x, y, w, h = (int(v) for v in stats[:4])
    return slice(max(0, y - pad), min(shape[0], y + h + pad)), slice(max(0, x - pad), min(shape[1], x + w + pad))


def own_pixels(labels, stats, label, pad=0):
    """The blob's pixels within its (widened) box, as an OpenCV mask."""
    return cv2.compare(labels[window(stats, labels.shape, pad)], int(label), cv2.CMP_EQ)


def half_width(distance, labels, stats, label):
    """How far the blob's innermost pixel lies from its edge (a blob on the picture's border
    measures thicker: the distance runs on past the border)."""
    return cv2.minMaxLoc(distance[window(stats, labels.shape)], own_pixels(labels, stats, label))[1]


def fainter_than_writing(flat, labels, stats, thick, others):
    """The thick blobs whose flattened ink is on average under FAINTER times the other blobs'
    (those weighed on every other pixel of every other row: a quarter of the cost)."""
    if not thick or not others:
        return []
    lookup = np.zeros(len(stats), np.uint8)
    lookup[others] = 255
    writing = cv2.mean(flat[::2, ::2], mask=lookup[labels[::2, ::2]])[0]
    return [label for label in thick if mean_ink(flat, labels, stats[label], label) < FAINTER * writing]


def mean_ink(flat, labels, stats, label):
    """The blob's mean flattened ink."""
    return cv2.mean(flat[window(stats, labels.shape)], mask=own_pixels(labels, stats, label))[0]


def reflatten(ink, flat, mask, labels, stats, label, side, level):
    """The blob's pixels, in flat and mask (changed in place), from a background estimated
    around it with a kernel `side` wide: the shadow is wider than that and goes, strokes in it
    stay."""
    rows, columns = window(stats, mask.shape, pad=side)
    part = ink[rows, columns]
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    local = cv2.subtract(part, cv2.morphologyEx(part, cv2.MORPH_OPEN, kernel))
    own = own_pixels(labels, stats, label, pad=side) > 0
    flat[rows, columns][own] = local[own]
    mask[rows, columns][own] = np.where(cv2.GaussianBlur(local, (3, 3), 0)[own] > level, 255, 0)
