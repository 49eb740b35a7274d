"""Paper, desks, ruled lines, light and shadow for the synthetic page photos (numpy + OpenCV only).

Everything is float32 BGR in 0..255 until the photo is finished, so ink, rules and shadows
multiply the surface under them the way real ink and shade darken paper.
"""

import cv2
import numpy as np

from edge_runtime import synthetic

PAPERS = ("white", "off-white", "yellow")
DESKS = ("wood", "dark", "grey")
RULE_BLUE = np.float32([0.93, 0.80, 0.66])   # reflectance (BGR) of printed light-blue rules
RULE_GREY = np.float32([0.80, 0.80, 0.80])


def smooth_noise(rng, shape, cells):
    """Zero-mean, unit-ish noise varying over `cells` (rows, cols) blobs, upscaled to `shape`."""
    small = rng.standard_normal(size=(max(2, cells[0]), max(2, cells[1]))).astype(np.float32)
    return cv2.resize(small, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def paper_colour(rng, colour):
    """A BGR paper colour: white has a slight tint, off-white is cream, yellow is a sticky note."""
    level = rng.uniform(222, 250)
    if colour == "white":
        return np.float32(level * rng.uniform(0.95, 1.0, size=3))
    if colour == "off-white":
        return np.float32([level * rng.uniform(0.82, 0.9), level * rng.uniform(0.92, 0.97), level])
    if colour == "yellow":
        return np.float32([rng.uniform(95, 185), rng.uniform(215, 242), rng.uniform(236, 252)])
    raise ValueError(f"unknown paper colour {colour!r}, expected one of {PAPERS}")


def paper(rng, size, colour):
    """A sheet of `size` (width, height): its colour with faint fibre and cockle unevenness."""
    width, height = size
    half = ((height + 1) // 2, (width + 1) // 2)  # unevenness is smooth: made at half size
    shade = 1.0 + 0.02 * smooth_noise(rng, half, (6, 8)) + 0.012 * smooth_noise(rng, half, (half[0] // 3, half[1] // 3))
    shade = cv2.resize(shade, (width, height), interpolation=cv2.INTER_LINEAR)
    return cv2.merge([shade * c for c in paper_colour(rng, colour)])


def desk(rng, size, surface=None):
    """A desk or floor of `size`: wood grain, a dark matte top, or speckled grey (concrete, carpet)."""
    width, height = size
    surface = surface or DESKS[int(rng.integers(len(DESKS)))]
    shape = ((height + 1) // 2, (width + 1) // 2)  # out of focus behind the sheet: half size is enough
    if surface == "wood":
        base = np.float32([40, 75, 120]) * rng.uniform(0.6, 1.3)
        texture = 1.0 + 0.06 * smooth_noise(rng, shape, (shape[0] // 2, 3)) + 0.02 * smooth_noise(rng, shape, shape)
    elif surface == "dark":
        base = np.float32(rng.uniform(18, 60)) * rng.uniform(0.9, 1.15, size=3).astype(np.float32)
        texture = 1.0 + 0.12 * smooth_noise(rng, shape, (8, 10))
    else:
        base = np.float32(rng.uniform(80, 160)) * rng.uniform(0.92, 1.06, size=3).astype(np.float32)
        texture = 1.0 + 0.08 * smooth_noise(rng, shape, (10, 12)) + 0.07 * smooth_noise(rng, shape, (shape[0] // 2, shape[1] // 2))
    if rng.random() < 0.5:  # grain and streaks run either way across the frame
        texture = cv2.resize(texture.T.copy(), shape[::-1])
    texture = cv2.resize(texture, (width, height), interpolation=cv2.INTER_LINEAR)
    return cv2.merge([texture * np.float32(c) for c in base])


def apply_ink(canvas, alpha, reflectance, corner=(0, 0)):
    """Darken `canvas` in place under `alpha` (float 0..1) at top-left `corner`; clips at the edges.

    Multiplying keeps blue ink blue on yellow paper and keeps a shadow's shade over the ink.
    """
    x, y = int(corner[0]), int(corner[1])
    x0, y0 = max(0, x), max(0, y)
    x1 = min(canvas.shape[1], x + alpha.shape[1])
    y1 = min(canvas.shape[0], y + alpha.shape[0])
    if x1 <= x0 or y1 <= y0:
        return canvas
    a = alpha[y0 - y:y1 - y, x0 - x:x1 - x, None]
    canvas[y0:y1, x0:x1] *= 1.0 - a * (1.0 - np.float32(reflectance))
    return canvas


def rule_mask(size, ys, xs=(), thickness=1):
    """Anti-aliased straight lines: horizontal at each y, vertical at each x; float alpha 0..1."""
    width, height = size
    mask = np.zeros((height, width), np.uint8)
    for y in ys:
        cv2.line(mask, (0, int(y)), (width - 1, int(y)), 255, thickness, cv2.LINE_AA)
    for x in xs:
        cv2.line(mask, (int(x), 0), (int(x), height - 1), 255, thickness, cv2.LINE_AA)
    strength = 0.7 if thickness <= 1 else 0.55  # printed rules are faint, never like pen strokes
    return mask.astype(np.float32) * np.float32(strength / 255.0)


def ruled(canvas, first, spacing, colour=RULE_BLUE, thickness=1):
    """Ruled (lined) paper: horizontal rules every `spacing` pixels through y = `first`."""
    height, width = canvas.shape[:2]
    start = first - spacing * np.floor(first / spacing)
    return apply_ink(canvas, rule_mask((width, height), np.arange(start, height, spacing), (), thickness), colour)


def squared(canvas, spacing, offset, colour=RULE_BLUE, thickness=1):
    """Squared (grid) paper: a square grid of `spacing` pixels shifted by `offset` (x, y)."""
    height, width = canvas.shape[:2]
    ys = np.arange(offset[1] % spacing, height, spacing)
    xs = np.arange(offset[0] % spacing, width, spacing)
    return apply_ink(canvas, rule_mask((width, height), ys, xs, thickness), colour)


def light_field(rng, shape, strength=0.3, shade=False):
    """Multiplicative light (h, w, 3): exposure, gradient, vignetting, colour cast, maybe a shadow.

    Light varies slowly, so it is computed on a coarse grid and enlarged: one full-size
    multiply instead of several.
    """
    height, width = shape[:2]
    small = (max(8, height // 8), max(8, width // 8))
    ys = np.linspace(-0.5, 0.5, small[0], dtype=np.float32)[:, None]
    xs = np.linspace(-0.5, 0.5, small[1], dtype=np.float32)[None, :]
    angle = rng.uniform(0, 2 * np.pi)
    light = 1.0 + np.float32(rng.uniform(0, strength)) * (np.float32(np.cos(angle)) * xs + np.float32(np.sin(angle)) * ys)
    light = light * (1.0 - np.float32(rng.uniform(0, 0.8)) * (xs * xs + ys * ys))
    if shade:
        light = light * shadow(rng, small)
    cast = rng.uniform(0.94, 1.03, size=3).astype(np.float32) * np.float32(rng.uniform(0.75, 1.08))
    light = cv2.resize(light, (width, height), interpolation=cv2.INTER_LINEAR)
    return cv2.merge([light * c for c in cast])


def shadow(rng, shape, darkness=(0.2, 0.45)):
    """A soft shadow (a hand, a phone, the photographer) from one side; a factor <= 1 of `shape`.

    Darkness stays <= 0.45 so shaded paper stays far lighter than ink: no digit becomes
    unreadable, which would make the ground truth dishonest.
    """
    h, w = shape[:2]
    mask = np.zeros((h, w), np.float32)
    edge = rng.integers(4)  # the shadow comes in from one side of the frame
    points = rng.uniform(0, 1, size=(int(rng.integers(3, 6)), 2)) * [w, h]
    anchor = [[0, 0], [0, h], [w, h], [w, 0]]
    polygon = np.vstack([anchor[edge], points, anchor[(edge + 1) % 4]]).astype(np.int32)
    cv2.fillPoly(mask, [polygon], 1.0)
    mask = cv2.GaussianBlur(mask, (0, 0), rng.uniform(1.5, 5.0))
    return 1.0 - np.float32(rng.uniform(*darkness)) * mask


def warp_onto(page, background, homography):
    """Lay `page` on `background` through `homography`, with a soft shadow under the sheet's edge."""
    height, width = background.shape[:2]
    small = (max(8, width // 8), max(8, height // 8))
    shrink = np.diag([small[0] / width, small[1] / height, 1.0]) @ homography
    mask = cv2.warpPerspective(np.ones(page.shape[:2], np.float32), shrink, small)
    lift = cv2.resize(cv2.GaussianBlur(mask, (0, 0), 1.5), (width, height), interpolation=cv2.INTER_LINEAR)
    background = background * (1.0 - 0.35 * lift)[:, :, None]
    return cv2.warpPerspective(page, homography, (width, height), dst=background, flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_TRANSPARENT)


def camera(rng, photo, noise=(1.0, 6.0), blur=(0.0, 1.2), quality=(55, 95)):
    """Lens blur, sensor noise (grainy at two pixels, as after demosaicing) and JPEG; uint8 out."""
    sigma = rng.uniform(*blur)
    if sigma > 0.3:
        photo = cv2.GaussianBlur(photo, (0, 0), sigma)
    height, width = photo.shape[:2]
    grain = rng.standard_normal(size=((height + 1) // 2, (width + 1) // 2, 3), dtype=np.float32)
    grain = cv2.resize(grain, (width, height), interpolation=cv2.INTER_LINEAR)
    photo = cv2.scaleAdd(grain, float(rng.uniform(*noise)), photo.astype(np.float32, copy=False))
    image = np.clip(photo, 0, 255, out=photo).astype(np.uint8)
    return synthetic.jpeg_roundtrip(image, int(rng.integers(quality[0], quality[1] + 1)))
