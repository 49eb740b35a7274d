"""A picture of one digit -> the 28x28 image the model sees, by the runtime's own preparation.

Training on a user's crops must see what reading sees: the same polarity decision, lighting
flattening, ink threshold, stroke thickening and MNIST fitting as reading a photo applies to
a digit found in it (edge_runtime/preprocess.py, threshold.py, digit_crop.py). Only the
finding differs: the picture is known to hold one digit, so its ink (the largest blob and the
pieces that belong to it) is that digit, and digit_crop prepares it.
"""

import cv2
import numpy as np

from edge_runtime import blob_boxes, digit_crop, grayscale, merging, preprocess, segment

# A tiny crop (an 8x8 scan cell, a 12-pixel webcam digit) is enlarged until its longer side
# has this many pixels before it is prepared: thresholding and stroke measurement need a
# few pixels per stroke, and find_digits drops anything under 7 pixels tall.
MIN_SIDE = 32


def prepare_crop(image, options=preprocess.FindOptions()):
    """(28, 28) uint8, white digit on black, for any gray/BGR picture of one digit, dark ink on
    light paper or the reverse. A 28x28 picture that already is MNIST-like comes back unchanged
    (a copy). ValueError when the picture holds no ink."""
    gray = grayscale.to_grayscale(image)
    if preprocess.is_mnist_style(gray):
        return np.array(gray)
    page = prepare_page(enlarge_small(gray), options)
    region = digit_region(page)
    if region is None:
        raise ValueError("no ink found: the picture is blank or too faint")
    crop, _ = digit_crop.crop_digit(page, region)
    return digit_crop.fit_to_mnist(crop)


def is_ink_darker_than_border(gray):
    """A crop's frame is paper: ink is whichever end of the histogram lies further from the
    border's median. (polarity.is_dark_on_light judges whole scenes: a thick white digit
    filling a small picture looks to it like a sheet of paper.)"""
    border = np.concatenate([gray[0], gray[-1], gray[1:-1, 0], gray[1:-1, -1]])
    paper = float(np.median(border))
    low, high = grayscale.percentiles(gray, (0.02, 0.98))
    return paper - low > high - paper


def prepare_page(gray, options):
    """preprocess.prepare with the crop's own polarity: pad and scale as reading does, flatten
    the lighting, threshold, find the blobs."""
    work, factor, offset = preprocess.padded_working_copy(gray)
    ink = cv2.bitwise_not(work) if is_ink_darker_than_border(gray) else work
    options = preprocess.for_the_light(options, grayscale.quarter_size(work))
    return preprocess.page_from_ink(ink, None, factor, offset, gray.shape, options)


def enlarge_small(gray):
    """Upscale smoothly (bicubic) so the longer side has MIN_SIDE pixels; larger pictures as they are."""
    longest = max(gray.shape)
    if longest >= MIN_SIDE:
        return gray
    factor = MIN_SIDE / float(longest)
    size = (max(1, round(gray.shape[1] * factor)), max(1, round(gray.shape[0] * factor)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_CUBIC)


def digit_region(page):
    """The largest blob with the pieces that join it into one digit (merging.merge_pieces, as
    when reading), or None when the page has no ink."""
    if len(page.boxes) == 0:
        return None
    members = merging.merge_pieces(page.boxes)[0]
    box = blob_boxes.group_box(page.boxes, members)
    return segment.Region(tuple(int(v) for v in box[:4]), tuple(int(page.ids[m]) for m in members), None)
