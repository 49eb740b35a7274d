"""Photo or video frame -> MNIST-like 28x28 digit crops (white ink on black, centred by mass).

An MNIST model fed a raw photo scores near chance, because MNIST digits were prepared in a
specific way: white on black, the digit's longest side fitted into 20x20 keeping its aspect
ratio, then placed in a 28x28 field so that its centre of mass is the centre. This module
finds digits in an arbitrary grayscale image (edge_runtime/polarity.py decides which way round
the ink is, edge_runtime/threshold.py what of it is ink) and has each one prepared the same
way (edge_runtime/digit_crop.py).
"""

import collections
import dataclasses

import cv2
import numpy as np

from edge_runtime import digit_crop, grayscale, lines, pen_ink, polarity, segment, shadows, source_boxes, threshold

# Work on at most this many pixels along the longest side: the crops end up 20 pixels tall,
# so more resolution only costs time.
WORKING_SIDE = 1024
# Pictures shorter than this on their longer side are worked on enlarged, twice their size at
# most and at most ENLARGED_SIDE long (no more working pixels than a 640x480 frame): a page
# photographed small writes its digits 10-20 pixels tall in 1-pixel strokes, which the 3x3 blur
# before the threshold and the blobs' smallest size wipe out. The 19 real photos at half size
# (150-579 pixels by 205-774): recall 89.2 % at their size, 94.6 % enlarged. A 640x480 camera
# frame keeps its size, and so does a tight crop of at most 128 pixels (padded instead).
SMALL_PICTURE = 480
ENLARGED_SIDE = 640
# The brightest 1 % of a well-lit picture is at least this bright (165-248 on the real photos,
# over 165 on 95 % of the generated pages); in a dimmer one the threshold's floor is lower...
WELL_LIT = 150
EXPOSURE_PERCENTILE = 0.99
# ...but never under this share of it: in a dark frame (a covered lens, a dark room) sensor
# noise then turned into thousands of blobs and a frame took 55 ms instead of 1 ms. The real
# photos dimmed to a third measure 0.38-0.57.
LEAST_EXPOSURE = 0.35
BACKGROUND_DIVISOR = 6  # the background kernel is the picture's shorter side over this
SHARPEN_SIGMA = 3.0   # pixels of the picture as given: sharpening a picture out of focus (classify.sharper_look)...
SHARPEN_AMOUNT = 2.0  # ...steepens its edges this much (sigma 2 and amount 1 mended a third as much)
CLOSE_UP_SIDE = 256     # the close-up look's longest side, at most (a digit filling a frame is still 150+ pixels)
CLOSE_UP_BACKGROUND_DIVISOR = 2  # wider than a close-up's thickest ink, where strokes cross
# A picture with over this many times the plausible regions it may read (per_frame) is grain,
# texture or specks. Measured, as a multiple of that budget: pages with digits 1.83 at most
# (squared paper; the harder sets' 880), the real photos 0.9 at most in all 14 ways they are
# taken (noisy sensors included), blank desk textures 3.3-5.6, the speckled benchmark frame 8.
# Reading half the budget of candidates there took that frame from 61 to 50 ms here (median of
# 7), spending half the budget of crops too from 47-78 to 40-42 ms (medians of 7, three times
# alternately); no page of the harder sets, the letter pages or the real photos read
# differently, nor, after the crops, the 600 pages without digits or the easier photo set.
GRAIN_FLOOD = 3.0

Candidate = collections.namedtuple("Candidate", ["box", "image"])
Candidate.__doc__ = "A digit-like region: box (x, y, w, h) in source pixels and its 28x28 uint8 crop."


@dataclasses.dataclass(frozen=True)
class FindOptions:
    """Thresholds for telling digits from specks, lines, blobs and things cut by the frame."""

    min_height_px: int = 7             # in working pixels; smaller is noise or too far away
    min_height_fraction: float = 0.35  # of the digits around it; drops dots and specks beside digits
    max_height_fraction: float = 1.0   # of the image height; a digit may fill a close-up frame
    max_aspect: float = 1.6            # width / height of one digit; wider is tried as touching digits
    min_aspect: float = 0.05           # narrower is a ruler-straight line (a page edge), not even a 1
    max_run_aspect: float = 6.0        # a run of touching digits wider than this is a line or a rule
    split_aspect: float = 0.9          # from here on a blob may be two touching digits
    typical_aspect: float = 0.8        # width / height of a wide hand's digits: a count guess without this hand's own
    max_pieces: int = 6                # touching digits cut from one blob, at most
    max_fragments: int = 4             # ink pieces joined into one candidate; more is a speck cluster
    min_fill: float = 0.06             # ink pixels / box area; below is a thin frame or line art
    max_fill: float = 0.85             # above is a solid blob (a 1 is exempt: it is thin)
    border_margin_px: int = 1          # small candidates touching the frame edge are cut by it
    min_threshold: float = 20.0        # ink is at least this far above flattened paper (0..255) in a well-lit picture
    max_candidates: int = 80           # regions read per 640x480 of picture, at most (bounds a frame's time)
    max_crops: int = 120               # crops classified + cut judgements per 640x480, then no more cuts
    working_side: int = WORKING_SIDE   # a picture longer than this is read shrunk to it


def sharpened(gray, sigma=SHARPEN_SIGMA, amount=SHARPEN_AMOUNT):
    """The picture with its edges steepened (an unsharp mask: `amount` times the difference
    from a Gaussian blur of `sigma` pixels added): writing out of focus stands out from the
    paper again, and its crops look more like MNIST's."""
    return cv2.addWeighted(gray, 1.0 + amount, cv2.GaussianBlur(gray, (0, 0), sigma), -amount, 0)


def ink_image(gray, small=None, dark_ink=None):
    """(ink, its quarter-size copy): ink bright and paper dark, whatever the input's polarity
    (`dark_ink`, decided here when not given)."""
    small = grayscale.quarter_size(gray) if small is None else small
    dark_ink = polarity.is_dark_on_light(gray, small) if dark_ink is None else dark_ink
    if dark_ink:
        return cv2.bitwise_not(gray), cv2.bitwise_not(small)
    return gray, small


def is_mnist_style(gray):
    """A 28x28 image with a dark border already is an MNIST digit: it goes straight through."""
    if gray.shape != (digit_crop.MNIST_SIZE, digit_crop.MNIST_SIZE):
        return False
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return float(border.mean()) < 64.0


def flatten_background(ink, small=None, divisor=BACKGROUND_DIVISOR):
    """Remove lighting gradients: subtract a background estimate that strokes are too thin for.

    A morphological opening with a kernel wider than any stroke (the picture's shorter side
    over `divisor`) keeps only the slowly varying paper; it runs on the quarter-size copy
    `small` because the background is smooth.
    """
    height, width = ink.shape
    small = grayscale.quarter_size(ink) if small is None else small
    side = max(5, min(small.shape) // divisor) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    background = cv2.morphologyEx(small, cv2.MORPH_OPEN, kernel)
    background = cv2.resize(background, (width, height), interpolation=cv2.INTER_LINEAR)
    return cv2.subtract(ink, background)


def working_copy(gray, side=WORKING_SIDE, least=0):
    """Downscale images longer than `side`, enlarge (bicubic) those shorter than `least`, twice
    at most and to at most ENLARGED_SIDE; return (image, factor back to source pixels)."""
    longest = max(gray.shape)
    if longest < least:
        scale = min(2.0, ENLARGED_SIDE / float(longest))
        size = (round(gray.shape[1] * scale), round(gray.shape[0] * scale))
        return cv2.resize(gray, size, interpolation=cv2.INTER_CUBIC), 1.0 / scale
    if longest <= side:
        return gray, 1.0
    factor = longest / float(side)
    # A 1x3000 strip would round its short side to 0 pixels, which cv2.resize refuses.
    size = (max(1, round(gray.shape[1] / factor)), max(1, round(gray.shape[0] / factor)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA), factor


Page = collections.namedtuple("Page", ["flat", "mask", "contours", "boxes", "ids", "level", "factor", "offset",
                                       "source_shape", "doubtful_level", "dark_ink", "polarity_sure", "ink"],
                              defaults=(None, None, True, None))
Page.__doc__ = """An image prepared for finding digits, in working pixels: flattened ink, its
binary mask, the blobs' outer contours, [x, y, w, h, box area] per kept blob and its contour's
index, the ink threshold, how to map a box back to source pixels (scale, padding, and the
source picture's (height, width)), a lower threshold that may be the writing's (threshold.Levels),
whether the ink is darker than the paper (None when not decided by prepare) and whether that
was decided surely or given (polarity.ink_polarity), and the ink before the lighting correction
(page_edges tells a page's rim from pen by it)."""


def pad_small(gray, small_side=128):
    """Pad a small picture with its own paper colour.

    A tight crop of one digit (20-60 px, ink touching the edges, like OpenCV's digits.png
    cells) would otherwise look like a shape cut by the frame border.
    """
    if max(gray.shape) > small_side:
        return gray, 0
    pad = max(4, max(gray.shape) // 2)
    paper = grayscale.percentiles(gray, (0.5,))[0]
    return cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=paper), pad


def prepare(image, options=FindOptions(), side=None, divisor=BACKGROUND_DIVISOR, least=SMALL_PICTURE,
            at_level=None, dark_ink=None):
    """Grayscale, pad, downscale to at most `side` pixels (options.working_side unless given),
    or enlarge when under `least`, find the ink and its components: everything but decisions.
    `divisor`: the lighting correction's kernel is the picture's shorter side over it
    (flatten_background). `at_level`: the ink threshold to use instead of finding one (a
    page's doubtful level, threshold.Levels).
    `dark_ink`: the picture's polarity when decided already (a first look's, or its opposite:
    classify.other_polarity); decided again on a close-up's few pixels, a big blurred marker
    digit's strokes passed for paper."""
    source = grayscale.to_grayscale(image)
    work, factor, offset = padded_working_copy(source, options.working_side if side is None else side, least)
    small = grayscale.quarter_size(work)
    sure = True
    if dark_ink is None:
        dark_ink, sure = polarity.ink_polarity(work, small)
    ink, ink_small = ink_image(work, small, dark_ink)
    page = page_from_ink(ink, ink_small, factor, offset, source.shape, for_the_light(options, small), divisor,
                         at_level)
    return page._replace(dark_ink=dark_ink, polarity_sure=sure)


def padded_working_copy(gray, side=WORKING_SIDE, least=SMALL_PICTURE):
    """(working image, factor, offset): a small picture padded (pad_small), then scaled
    (working_copy). A padded tight crop keeps its size: the padding already gave it room."""
    padded, offset = pad_small(gray)
    work, factor = working_copy(padded, side, 0 if offset else least)
    return work, factor, offset


def for_the_light(options, small):
    """The options with the threshold's floor scaled by the picture's exposure."""
    return dataclasses.replace(options, min_threshold=options.min_threshold * exposure(small))


def exposure(small):
    """How bright the picture's brightest 1 % is against a well-lit page's, from
    LEAST_EXPOSURE to 1: ink on paper photographed in dim light is as much fainter as the
    paper is darker, and the threshold's floor must fall with it. (On a chalkboard it is the
    chalk when chalk covers 1 % of the picture, else the board.)"""
    brightest = grayscale.percentiles(small, (EXPOSURE_PERCENTILE,))[0]
    return min(1.0, max(brightest / WELL_LIT, LEAST_EXPOSURE))


def close_up(image, options=FindOptions(), dark_ink=None):
    """The picture prepared for a second look at one digit held close to the camera: at most
    CLOSE_UP_SIDE pixels long, the lighting correction's kernel half the picture's shorter
    side. The first look's kernel, a sixth of it, is narrower than where a marker digit's
    strokes cross in a close-up (a 6's loop, an 8's waist): those parts vanish with the paper.
    `dark_ink`: the first look's polarity (prepare)."""
    return prepare(image, options, CLOSE_UP_SIDE, CLOSE_UP_BACKGROUND_DIVISOR, least=0, dark_ink=dark_ink)


def page_from_ink(ink, small, factor, offset, shape, options, divisor=BACKGROUND_DIVISOR, at_level=None):
    """The Page of an ink-bright working image: lighting flattened, thresholded (at `at_level`
    when given), cast shadows taken out (told by their tone too, except in the close-up look:
    see edge_runtime/shadows.py), its blobs found."""
    flat, mask, level, doubtful = thresholded(ink, small, options, divisor, at_level)
    flat, mask = shadows.without_shadows(ink, flat, mask, level, by_tone=divisor == BACKGROUND_DIVISOR)
    contours, boxes, ids = segment.components(mask)
    return Page(flat, mask, contours, boxes, ids, level, factor, offset, shape, doubtful, ink=ink)


def thresholded(ink, small, options, divisor=BACKGROUND_DIVISOR, at_level=None):
    """(flat, mask, level, doubtful level): the ink with its lighting flattened, and what of it
    is ink (threshold.ink_levels), or what is over `at_level` when that is given."""
    flat = flatten_background(ink, small, divisor)
    # Denoise only the image that decides what is ink; crops keep their sharp strokes.
    blurred = cv2.GaussianBlur(flat, (3, 3), 0)
    if at_level is not None:
        return flat, threshold.mask_over(blurred, at_level), float(at_level), None
    return (flat, *threshold.ink_levels(blurred, options.min_threshold))


def per_frame(page, count):
    """`count` per 640x480 of this picture, at least `count`: a page photo may hold hundreds
    of digits, a camera frame that holds hundreds of candidates is grain or texture."""
    height, width = page.mask.shape
    source_share = min(1.0, page.factor) ** 2  # an enlarged picture counts by its own pixels
    return max(count, int(count * height * width * source_share / (640 * 480)))


def candidate_regions(page, options=FindOptions()):
    """Regions that could be digits or runs of touching digits, the biggest first, at most
    `max_candidates` per 640x480 (a frame strewn with specks must take milliseconds), half
    that in a picture of grain or texture (is_flooded)."""
    return reading_plan(page, options)[0]


def reading_plan(page, options=FindOptions()):
    """(candidate_regions, the crops they may spend: `max_crops` per 640x480, half that in a
    picture of grain or texture, as for its candidates). The speckled benchmark frame then
    makes 137 invokes, not 168; with the default 80 candidates no page with digits is flooded
    (see GRAIN_FLOOD). The close-up look reads 4 (classify.closer_look), so there over 12
    plausible regions flood a picture and halve its crops too; the harder sets and the real
    photos, close-up looks included, read the same with the crops halved."""
    regions = segment.plausible_regions(page.boxes, page.ids, page.contours, page.mask, options)
    limit, budget = per_frame(page, options.max_candidates), per_frame(page, options.max_crops)
    if is_flooded(len(regions), limit):
        limit, budget = limit // 2, budget // 2
    if len(regions) > limit:
        size = [region.box[2] * region.box[3] for region in regions]
        regions = [regions[i] for i in np.argsort(size, kind="stable")[::-1][:limit]]
    if not regions:
        return regions, budget
    return pen_ink.pen_ink_regions(page, regions), budget  # here, not in every Page: only candidates need the grain


def is_flooded(count, limit):
    """Whether a picture holds over GRAIN_FLOOD times as many plausible regions as it may read:
    grain, texture or specks, where its biggest half as many are read."""
    return count > GRAIN_FLOOD * limit


def mnist_passthrough(gray):
    """An MNIST-style 28x28 image goes straight to the model; a blank one holds no digit."""
    if gray.max() < 64:
        return []
    return [Candidate((0, 0, digit_crop.MNIST_SIZE, digit_crop.MNIST_SIZE), np.ascontiguousarray(gray))]


def find_digits(image, options=FindOptions()):
    """Digit candidates in an image in reading order, each as a 28x28 MNIST-style crop.

    Geometry only: touching digits stay one candidate here; edge_runtime/reading.py splits
    them with the classifier's help.
    """
    gray = grayscale.to_grayscale(image)
    if is_mnist_style(gray):
        return mnist_passthrough(gray)
    page = prepare(gray, options)
    found = []
    for region in candidate_regions(page, options):
        image, box = digit_crop.digit_image(page, region, options)
        if image is not None and box[2] / box[3] <= options.max_aspect:
            found.append(Candidate(box, image))
    return [Candidate(source_boxes.to_source_box(page, found[i].box), found[i].image) for i in
            relative_size_order(found, options)]


def relative_size_order(candidates, options):
    """Indices of candidates in reading order, without specks much smaller than their line's digits."""
    return [i for line in lines_in_reading_order([c.box for c in candidates], options) for i in line]


def lines_in_reading_order(boxes, options):
    """Box indices per text line, in reading order; a box under `min_height_fraction` of its
    line's median height (or, alone, of the picture's typical digit) is a speck and left out."""
    grouped = lines.group_lines(boxes)
    reference = typical_height(boxes, grouped)
    ordered = []
    for line in grouped:
        heights = [boxes[i][3] for i in line]
        floor = options.min_height_fraction * (segment.middle(heights) if len(line) > 1 else reference)
        kept = [i for i in line if boxes[i][3] >= floor]
        if kept:
            ordered.append(kept)
    return ordered


def typical_height(boxes, grouped):
    """The height of a digit in this picture: the median over lines of two or more digits,
    else the tallest candidate (a single digit, or a column of single digits)."""
    heights = [boxes[i][3] for line in grouped if len(line) > 1 for i in line]
    if heights:
        return segment.middle(heights)
    return float(max((b[3] for b in boxes), default=0))
