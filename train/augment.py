"""Light, seeded augmentation of uint8 digits: small rotations, scalings, shifts, stroke widths.

Pure numpy and keyed by (seed, epoch), so a run resumed after a kill sees exactly the
images an uninterrupted run saw. Ranges are small on purpose: a rotated 6 must stay a 6.
"""

import dataclasses

import numpy as np

SIZE = 28
CENTRE = (SIZE - 1) / 2.0
CHUNK = 4096  # images warped at once; bounds the temporary coordinate arrays to ~50 MB


@dataclasses.dataclass(frozen=True)
class AugmentRanges:
    rotation_degrees: float = 10.0
    scale: tuple = (0.9, 1.1)
    shift_pixels: float = 2.0
    thicken_share: float = 0.15   # share of images whose strokes get one pixel wider
    thin_share: float = 0.15      # share whose strokes get thinner


def draw_parameters(rng, count, ranges):
    """Per-image inverse affine matrices (count, 2, 2), shifts (count, 2) and stroke choices."""
    angle = np.deg2rad(rng.uniform(-ranges.rotation_degrees, ranges.rotation_degrees, count))
    scale = rng.uniform(*ranges.scale, count)
    shift = rng.uniform(-ranges.shift_pixels, ranges.shift_pixels, (count, 2))
    cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
    inverse = np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)
    stroke = rng.choice(3, size=count, p=[1 - ranges.thicken_share - ranges.thin_share,
                                          ranges.thicken_share, ranges.thin_share])
    return inverse, shift, stroke


def warp(images, inverse, shift):
    """Bilinear affine warp about the centre, zero (background) outside the frame."""
    grid = np.stack(np.meshgrid(np.arange(SIZE), np.arange(SIZE), indexing="ij"), -1).reshape(-1, 2)
    offsets = (grid - CENTRE).astype(np.float32)[np.newaxis] - shift[:, np.newaxis].astype(np.float32)
    inverse = inverse.astype(np.float32)
    rows = offsets[..., 0] * inverse[:, 0, 0, None] + offsets[..., 1] * inverse[:, 0, 1, None] + CENTRE
    cols = offsets[..., 0] * inverse[:, 1, 0, None] + offsets[..., 1] * inverse[:, 1, 1, None] + CENTRE
    row_base, col_base = np.floor(rows), np.floor(cols)
    row_fraction, col_fraction = rows - row_base, cols - col_base
    # Pad by 2 so every corner read lands in the array; reads outside the digit hit zeros.
    padded = np.pad(images.astype(np.float32), ((0, 0), (2, 2), (2, 2))).reshape(-1)
    width = SIZE + 4
    row_index = np.clip(row_base.astype(np.int64) + 2, 0, width - 2)
    col_index = np.clip(col_base.astype(np.int64) + 2, 0, width - 2)
    flat = (np.arange(len(images)) * width * width)[:, np.newaxis] + row_index * width + col_index
    top = padded.take(flat) * (1 - col_fraction) + padded.take(flat + 1) * col_fraction
    bottom = padded.take(flat + width) * (1 - col_fraction) + padded.take(flat + width + 1) * col_fraction
    return (top * (1 - row_fraction) + bottom * row_fraction).reshape(-1, SIZE, SIZE)


def neighbours(images, reduce):
    """Elementwise max or min of each pixel's 4-neighbourhood (cross), zero-padded."""
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    shifted = [padded[:, 1:-1, :-2], padded[:, 1:-1, 2:], padded[:, :-2, 1:-1], padded[:, 2:, 1:-1]]
    return reduce.reduce([images, *shifted])


def change_strokes(images, stroke):
    """Half-strength dilation (1) or erosion (2): real pens are thicker and thinner than MNIST's."""
    images = images.copy()
    for choice, reduce in ((1, np.maximum), (2, np.minimum)):
        chosen = stroke == choice
        if chosen.any():
            images[chosen] = 0.5 * (images[chosen] + neighbours(images[chosen], reduce))
    return images


def augment(images, seed, epoch, ranges=AugmentRanges()):
    """uint8 (N, 28, 28) -> augmented uint8 (N, 28, 28), the same for the same (seed, epoch)."""
    rng = np.random.default_rng([seed, epoch, 0xA06])
    inverse, shift, stroke = draw_parameters(rng, len(images), ranges)
    out = np.empty(images.shape, dtype=np.uint8)
    for start in range(0, len(images), CHUNK):
        part = slice(start, start + CHUNK)
        warped = change_strokes(warp(images[part], inverse[part], shift[part]), stroke[part])
        out[part] = np.clip(np.rint(warped), 0, 255).astype(np.uint8)
    return out
