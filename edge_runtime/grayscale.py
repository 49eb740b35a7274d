"""A picture as the runtime reads it: 8-bit gray, and the cheap summaries of it that every
stage uses (percentiles from its histogram, a quarter-size copy for its layout).
"""

import cv2
import numpy as np


def to_grayscale(image):
    """uint8 2-D image from gray, BGR, BGRA or 16-bit input; ValueError for anything else."""
    pixels = np.asarray(image)
    if pixels.dtype == np.uint16:
        pixels = (pixels >> 8).astype(np.uint8)
    if pixels.dtype != np.uint8:
        raise ValueError(f"expected uint8 or uint16 pixels, got {pixels.dtype} (shape {pixels.shape})")
    if pixels.size == 0:
        raise ValueError(f"empty image (shape {pixels.shape})")
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    if pixels.ndim == 2:
        return pixels
    if pixels.ndim == 3 and pixels.shape[2] in (3, 4):
        code = cv2.COLOR_BGR2GRAY if pixels.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
        return cv2.cvtColor(pixels, code)
    raise ValueError(f"expected a gray or colour image, got shape {pixels.shape}")


def percentiles(gray, fractions, mask=None):
    """Pixel values at the given fractions of the image, or of its pixels where `mask` is set
    (0s when it sets none), from its histogram (cheap per frame)."""
    histogram = cv2.calcHist([np.ascontiguousarray(gray)], [0], mask, [256], [0, 256]).ravel()
    cumulative = np.cumsum(histogram)
    return [int(np.searchsorted(cumulative, f * cumulative[-1])) for f in fractions]


def quarter_size(gray):
    """A quarter-size copy: enough for the picture's layout (polarity, lighting)."""
    height, width = gray.shape
    return cv2.resize(gray, (max(1, width // 4), max(1, height // 4)), interpolation=cv2.INTER_AREA)
