"""Photo or video frame -> MNIST-like 28x28 digit crops (white ink on black, centred by mass).

An MNIST model fed a raw photo scores near chance, because MNIST digits were prepared in a
specific way: white on black, the digit's longest side fitted into 20x20 keeping its aspect
ratio, then placed in a 28x28 field so that its centre of mass is the centre. This module
finds digits in an arbitrary grayscale image and prepares each one the same way.
"""

import collections
import dataclasses

import cv2
import numpy as np

MNIST_SIZE = 28
MNIST_BOX = 20
# Work on at most this many pixels along the longest side: the crops end up 20 pixels tall,
# so more resolution only costs time.
WORKING_SIDE = 1024

Candidate = collections.namedtuple("Candidate", ["box", "image"])
Candidate.__doc__ = "A digit-like region: box (x, y, w, h) in source pixels and its 28x28 uint8 crop."


@dataclasses.dataclass(frozen=True)
class FindOptions:
    """Thresholds for telling digits from specks, lines, blobs and things cut by the frame."""

    min_height_px: int = 7             # in working pixels; smaller is noise or too far away
    min_height_fraction: float = 0.35  # of the tallest candidate; drops dots and specks beside digits
    max_height_fraction: float = 0.95  # of the image height; a full-height blob is not a digit
    max_aspect: float = 2.0            # width / height; handwritten 0s and 2s can be 1.5 wide
    min_fill: float = 0.06             # ink pixels / box area; below is a thin frame or line art
    max_fill: float = 0.85             # above is a solid blob (a 1 is exempt: it is thin)
    border_margin_px: int = 1          # candidates touching the frame edge are partly outside it
    min_threshold: float = 20.0        # ink is at least this far above flattened paper (0..255)


def to_grayscale(image):
    """uint8 2-D image from gray, BGR, BGRA or 16-bit input; ValueError for anything else."""
    pixels = np.asarray(image)
    if pixels.dtype == np.uint16:
        pixels = (pixels >> 8).astype(np.uint8)
    if pixels.dtype != np.uint8:
        raise ValueError(f"expected uint8 or uint16 pixels, got {pixels.dtype}")
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    if pixels.ndim == 2:
        return pixels
    if pixels.ndim == 3 and pixels.shape[2] in (3, 4):
        code = cv2.COLOR_BGR2GRAY if pixels.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
        return cv2.cvtColor(pixels, code)
    raise ValueError(f"expected a gray or colour image, got shape {pixels.shape}")


def percentiles(gray, fractions):
    """Pixel values at the given fractions of the image, from its histogram (cheap per frame)."""
    histogram = cv2.calcHist([np.ascontiguousarray(gray)], [0], None, [256], [0, 256]).ravel()
    cumulative = np.cumsum(histogram)
    return [int(np.searchsorted(cumulative, f * cumulative[-1])) for f in fractions]


def is_dark_on_light(gray):
    """True when ink is darker than the paper (the common case for photos).

    The paper is most of the picture, so the median is the background; the ink is the tail
    that lies further from it. A few thin digits can be under 0.05% of a frame, so when the
    tails tie the extremes decide.
    """
    low, median, high = percentiles(gray, (0.0005, 0.5, 0.9995))
    if median - low == high - median:
        low, high = int(gray.min()), int(gray.max())
    return (median - low) > (high - median)


def ink_image(gray):
    """Ink bright, paper dark, whatever the polarity of the input."""
    return cv2.bitwise_not(gray) if is_dark_on_light(gray) else gray


def is_mnist_style(gray):
    """A 28x28 image with a dark border already is an MNIST digit: it goes straight through."""
    if gray.shape != (MNIST_SIZE, MNIST_SIZE):
        return False
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return float(border.mean()) < 64.0


def flatten_background(ink):
    """Remove lighting gradients: subtract a background estimate that strokes are too thin for.

    A morphological opening with a kernel wider than any stroke keeps only the slowly
    varying paper; it runs on a quarter-size copy because the background is smooth.
    """
    height, width = ink.shape
    small = cv2.resize(ink, (max(1, width // 4), max(1, height // 4)), interpolation=cv2.INTER_AREA)
    side = max(5, min(small.shape) // 6) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    background = cv2.morphologyEx(small, cv2.MORPH_OPEN, kernel)
    background = cv2.resize(background, (width, height), interpolation=cv2.INTER_LINEAR)
    return cv2.subtract(ink, background)


def binarize(flat, min_threshold):
    """Otsu threshold on the flattened image, never below `min_threshold`.

    Otsu always splits the histogram in two, so on blank paper it would call noise ink;
    the floor keeps blank paper blank.
    """
    otsu, mask = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if otsu >= min_threshold:
        return mask, float(otsu)  # Otsu's own mask already is `flat > otsu`
    _, mask = cv2.threshold(flat, float(min_threshold), 255, cv2.THRESH_BINARY)
    return mask, float(min_threshold)


def component_boxes(mask, min_side=3):
    """(outer contours, [x, y, w, h, ink pixels, [contour ids]] per ink blob of at least `min_side`).

    External contours are several times faster than connectedComponentsWithStats here, and
    a frame must take milliseconds.
    """
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for index, contour in enumerate(contours):
        x, y, w, h = cv2.boundingRect(contour)
        if max(w, h) >= min_side:
            boxes.append([x, y, w, h, cv2.countNonZero(mask[y:y + h, x:x + w]), [index]])
    return contours, boxes


def should_merge(a, b):
    """Pieces of one digit (a 5's detached bar) overlap in x and stack to about one digit's height."""
    overlap = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    top, bottom = min(a[1], b[1]), max(a[1] + a[3], b[1] + b[3])
    return overlap >= 0.5 * min(a[2], b[2]) and (bottom - top) <= 1.5 * max(a[3], b[3])


def merge_two(a, b):
    x, y = min(a[0], b[0]), min(a[1], b[1])
    right, bottom = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return [x, y, right - x, bottom - y, a[4] + b[4], a[5] + b[5]]


def merge_pieces(boxes):
    """Merge components that belong to one digit, largest first so fragments join their digit."""
    merged = []
    for box in sorted(boxes, key=lambda b: -b[4]):
        for index, kept in enumerate(merged):
            if should_merge(kept, box):
                merged[index] = merge_two(kept, box)
                break
        else:
            merged.append(box)
    return merged


def is_digit_like(box, image_shape, tallest, options):
    """Reject by size, aspect, fill ratio and frame border."""
    x, y, w, h, area, _ = box
    height, width = image_shape
    margin = options.border_margin_px
    if h < options.min_height_px or h < options.min_height_fraction * tallest:
        return False
    if h > options.max_height_fraction * height or w / h > options.max_aspect:
        return False
    if x < margin or y < margin or x + w > width - margin or y + h > height - margin:
        return False
    fill = area / float(w * h)
    thin = w / h < 0.35  # a 1 fills its own narrow box
    return fill >= options.min_fill and (thin or fill <= options.max_fill)


def fit_to_mnist(crop):
    """Fit the longest side into 20x20 keeping aspect, pad to 28x28, centre by centre of mass."""
    height, width = crop.shape
    scale = MNIST_BOX / float(max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    moments = cv2.moments(small)
    if moments["m00"] <= 0:
        return np.zeros((MNIST_SIZE, MNIST_SIZE), np.uint8)
    shift_x = MNIST_SIZE / 2.0 - moments["m10"] / moments["m00"]
    shift_y = MNIST_SIZE / 2.0 - moments["m01"] / moments["m00"]
    # Whole-pixel shifts, as MNIST's preparation did, keep strokes sharp.
    matrix = np.float32([[1, 0, round(shift_x)], [0, 1, round(shift_y)]])
    return cv2.warpAffine(small, matrix, (MNIST_SIZE, MNIST_SIZE), flags=cv2.INTER_NEAREST)


def own_ink(mask, contours, box):
    """The candidate's own pixels in its box: its filled outlines AND the ink mask (keeps holes)."""
    x, y, w, h, _, ids = box
    own = np.zeros((h, w), np.uint8)
    cv2.drawContours(own, [contours[i] for i in ids], -1, 1, thickness=cv2.FILLED, offset=(-x, -y))
    return own & (mask[y:y + h, x:x + w] > 0)


def percentile_90(values):
    """np.percentile(values, 90) (linear interpolation) by partial sort. np.percentile itself
    imports numpy.ma on first use, a tenth of the runtime's cold start on a small machine."""
    position = 0.9 * (values.size - 1)
    below = int(position)
    above = min(below + 1, values.size - 1)
    ranked = np.partition(values, (below, above))
    low, high = float(ranked[below]), float(ranked[above])
    return low + (high - low) * (position - below)


def crop_digit(flat, mask, contours, box, level):
    """The candidate's own ink (other blobs masked out), stretched so strokes reach 255."""
    x, y, w, h = box[:4]
    own = own_ink(mask, contours, box).astype(np.uint8)
    # Keep the anti-aliased rim just outside the threshold, like MNIST's soft edges.
    own = cv2.dilate(own, np.ones((3, 3), np.uint8))
    ink = flat[y:y + h, x:x + w] * own
    peak = percentile_90(ink[own > 0]) if own.any() else 0.0
    gain = 255.0 / max(peak, level, 1.0)
    return cv2.convertScaleAbs(ink, alpha=gain)


def working_copy(gray):
    """Downscale very large images; return (image, factor back to source pixels)."""
    longest = max(gray.shape)
    if longest <= WORKING_SIDE:
        return gray, 1.0
    factor = longest / float(WORKING_SIDE)
    # A 1x3000 strip would round its short side to 0 pixels, which cv2.resize refuses.
    size = (max(1, round(gray.shape[1] / factor)), max(1, round(gray.shape[0] / factor)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA), factor


def scale_box(box, factor):
    return tuple(int(round(value * factor)) for value in box[:4])


def find_digits(image, options=FindOptions()):
    """Digit candidates in an image, left to right, each as a 28x28 MNIST-style crop."""
    gray = to_grayscale(image)
    if is_mnist_style(gray):
        return [Candidate((0, 0, MNIST_SIZE, MNIST_SIZE), np.ascontiguousarray(gray))]
    work, factor = working_copy(gray)
    flat = flatten_background(ink_image(work))
    # Denoise only the image that decides what is ink; crops keep their sharp strokes.
    mask, level = binarize(cv2.GaussianBlur(flat, (3, 3), 0), options.min_threshold)
    contours, boxes = component_boxes(mask)
    boxes = merge_pieces(boxes)
    tallest = max((b[3] for b in boxes if b[3] < options.max_height_fraction * work.shape[0]), default=0)
    kept = [b for b in boxes if is_digit_like(b, work.shape, tallest, options)]
    kept.sort(key=lambda b: b[0])
    return [Candidate(scale_box(b, factor), fit_to_mnist(crop_digit(flat, mask, contours, b, level))) for b in kept]
