"""Light, seeded augmentation of uint8 digits: small rotations, scalings, shifts, stroke widths.

Keyed by (seed, epoch), so a run resumed after a kill sees exactly the
images an uninterrupted run saw. Ranges are small on purpose: a rotated 6 must stay a 6.
"""

import dataclasses

import numpy as np

SIZE = 28
CENTRE = (SIZE - 1) / 2.0
CHUNK = 4096  # images augmented at once; bounds the float32 temporaries to a few MB


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


def source_matrices(inverse, shift):
    """(count, 2, 3) matrices mapping an output pixel (col, row) to where it reads the source:
    about the centre, the inverse rotation-and-scale applied after undoing the shift."""
    (rr, rc), (cr, cc) = inverse[:, 0].T, inverse[:, 1].T  # row from (row, col); col from (row, col)
    origin_row, origin_col = CENTRE + shift[:, 0], CENTRE + shift[:, 1]
    return np.stack([
        np.stack([cc, cr, CENTRE - cr * origin_row - cc * origin_col], -1),
        np.stack([rc, rr, CENTRE - rr * origin_row - rc * origin_col], -1),
    ], -2).astype(np.float32)


def warp(images, inverse, shift):
    """Bilinear affine warp about the centre, zero (background) outside the frame: one OpenCV
    call per image, several times faster than the same arithmetic vectorised in numpy, which
    held the training loop up for seconds each epoch."""
    import cv2

    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    out = np.empty(images.shape, dtype=np.float32)
    for index, matrix in enumerate(source_matrices(inverse, shift)):
        cv2.warpAffine(images[index].astype(np.float32), matrix, (SIZE, SIZE), dst=out[index], flags=flags,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return out


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
