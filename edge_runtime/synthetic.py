"""Make test photos from MNIST digits: dark ink on paper, uneven light, noise, blur, JPEG.

The model never saw these exact pictures, and each comes with ground-truth boxes, so the
edge runtime's recall and precision on "photos" can be measured without a camera. Used by
the tests, the benchmark and the example images; needs only numpy and OpenCV.
"""

import collections
import dataclasses
import os

import cv2
import numpy as np

from edge_runtime import files

Photo = collections.namedtuple("Photo", ["image", "labels", "boxes"])
Photo.__doc__ = "A BGR uint8 photo, its digit labels left to right, and their (x, y, w, h) ink boxes."


@dataclasses.dataclass(frozen=True)
class PhotoOptions:
    """Ranges each photo's conditions are drawn from."""

    size: tuple = (640, 480)            # width, height
    digits: tuple = (1, 5)              # digits per photo, inclusive
    digit_height: tuple = (60, 130)     # pixels
    rotation_degrees: float = 12.0
    paper: tuple = (150, 245)           # paper brightness before the lighting gradient
    ink: tuple = (10, 70)
    gradient: float = 70.0              # brightness change across the page, at most
    noise_sigma: tuple = (1.0, 7.0)
    blur_sigma: tuple = (0.0, 1.3)
    jpeg_quality: tuple = (45, 92)
    row_band: float = None              # None: digits anywhere; else in one row, tops within this many heights


def ink_crop(digit, margin=2):
    """A digit's ink box plus a blank margin, so upscaling does not cut strokes flat at the edge."""
    rows, cols = np.nonzero(digit > 0)
    ink = digit[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    return cv2.copyMakeBorder(ink, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=0)


def render_digit(digit, height, angle):
    """Scale a digit's ink to `height` pixels and rotate it; returns float alpha in 0..1."""
    ink = ink_crop(digit).astype(np.float32) / 255.0
    scale = height / float(ink.shape[0])
    width = max(1, round(ink.shape[1] * scale))
    big = cv2.resize(ink, (width, height), interpolation=cv2.INTER_CUBIC)
    pad = int(0.3 * max(height, width))
    big = cv2.copyMakeBorder(big, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    centre = (big.shape[1] / 2.0, big.shape[0] / 2.0)
    matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
    rotated = cv2.warpAffine(big, matrix, (big.shape[1], big.shape[0]), flags=cv2.INTER_LINEAR)
    return np.clip(rotated, 0.0, 1.0)


def paper(rng, options):
    """A paper-coloured page with a linear lighting gradient in a random direction."""
    width, height = options.size
    base = rng.uniform(*options.paper)
    angle = rng.uniform(0, 2 * np.pi)
    xs = np.linspace(-0.5, 0.5, width, dtype=np.float32) * np.float32(np.cos(angle))
    ys = np.linspace(-0.5, 0.5, height, dtype=np.float32) * np.float32(np.sin(angle))
    page = np.float32(base) + np.float32(rng.uniform(0, options.gradient)) * (ys[:, None] + xs[None, :])
    tint = rng.uniform(0.9, 1.0, size=3).astype(np.float32)  # slightly yellow or blue paper
    return page[:, :, None] * tint[None, None, :]


def layout(rng, alphas, options):
    """Top-left corners for the digits, in one row with gaps, centred on the page."""
    width, height = options.size
    widths = [a.shape[1] for a in alphas]
    gap_total = width - sum(widths)
    if gap_total < 0:
        return None
    gaps = rng.uniform(0.2, 1.0, size=len(alphas) + 1)
    gaps = gaps / gaps.sum() * gap_total
    xs = np.cumsum(np.concatenate([[gaps[0]], np.array(widths[:-1]) + gaps[1:-1]]))
    if options.row_band is None:  # anywhere on the page, as the photo set always did
        ys = [rng.uniform(0, max(1, height - a.shape[0])) for a in alphas]
    else:  # a row: every digit's top within a band of `row_band` digit heights
        tallest = max(a.shape[0] for a in alphas)
        top = rng.uniform(0, max(1, height - tallest * (1 + options.row_band)))
        ys = [top + rng.uniform(0, options.row_band * tallest) for _ in alphas]
    return [(int(x), int(y)) for x, y in zip(xs, ys)]


def ink_box(alpha, corner):
    rows, cols = np.nonzero(alpha > 0.25)
    return (corner[0] + int(cols.min()), corner[1] + int(rows.min()),
            int(cols.max() - cols.min() + 1), int(rows.max() - rows.min() + 1))


def make_photo(rng, digits, labels, options=PhotoOptions()):
    """Draw `digits` (28x28 uint8 MNIST arrays) onto a synthetic photo; returns a Photo."""
    count = len(digits)
    while True:
        heights = rng.integers(options.digit_height[0], options.digit_height[1] + 1, size=count)
        angles = rng.uniform(-options.rotation_degrees, options.rotation_degrees, size=count)
        alphas = [render_digit(d, int(h), a) for d, h, a in zip(digits, heights, angles)]
        corners = layout(rng, alphas, options)
        if corners is not None:
            break
    page = paper(rng, options)
    ink_level = rng.uniform(*options.ink)
    for alpha, (x, y) in zip(alphas, corners):
        region = page[y:y + alpha.shape[0], x:x + alpha.shape[1]]
        a = alpha[:region.shape[0], :region.shape[1], None]
        region[:] = region * (1 - a) + np.float32(ink_level) * a
    boxes = [ink_box(a[:page.shape[0] - y, :page.shape[1] - x], (x, y)) for a, (x, y) in zip(alphas, corners)]
    return Photo(degrade(rng, page, options), [int(label) for label in labels], boxes)


def degrade(rng, page, options):
    """Blur, sensor noise and JPEG compression, like a cheap camera."""
    sigma = rng.uniform(*options.blur_sigma)
    if sigma > 0.3:
        page = cv2.GaussianBlur(page, (0, 0), sigma)
    noise = rng.standard_normal(size=page.shape, dtype=np.float32)
    page = page + np.float32(rng.uniform(*options.noise_sigma)) * noise
    image = np.clip(page, 0, 255).astype(np.uint8)
    quality = int(rng.integers(options.jpeg_quality[0], options.jpeg_quality[1] + 1))
    return jpeg_roundtrip(image, quality)


def jpeg_roundtrip(image, quality):
    """Encode as JPEG at `quality` and decode again: the blocks and ringing a camera leaves."""
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)


def make_photo_set(images, labels, count, seed=0, options=PhotoOptions()):
    """`count` photos of 1-5 digits drawn without replacement from (images, labels)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(images))
    photos, used = [], 0
    for _ in range(count):
        n = int(rng.integers(options.digits[0], options.digits[1] + 1))
        picked = order[used:used + n]
        used += n
        photos.append(make_photo(rng, images[picked], labels[picked], options))
    return photos


def box_iou(a, b):
    """Intersection over union of two (x, y, w, h) boxes."""
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / float(a[2] * a[3] + b[2] * b[3] - inter)


def match_digits(photo, digits, min_iou=0.5):
    """Pair each true digit with at most one found digit (best IoU >= min_iou).

    Returns a list of (true index, found index) pairs; a pair counts as correct when the
    labels agree, so recall = correct / true digits and precision = correct / found digits.
    """
    pairs, taken = [], set()
    for true_index, box in enumerate(photo.boxes):
        overlaps = [(box_iou(box, d.box), i) for i, d in enumerate(digits) if i not in taken]
        best = max(overlaps, default=(0.0, None))
        if best[0] >= min_iou:
            pairs.append((true_index, best[1]))
            taken.add(best[1])
    return pairs


def count_correct(photo, digits, pairs):
    return sum(str(photo.labels[t]) == str(digits[f].label) for t, f in pairs)


def write_examples(images, labels, directory, seed=7):
    """The demo images shipped in edge_runtime/examples/, named after the number they show.

    photo_<n>.jpg is a 1600x1200 photo, frame_<n>.jpg a 640x480 camera frame with five digits in
    a row, mnist_28x28_<n>.png an MNIST-style digit that skips detection.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(images))
    plans = [("photo_", PhotoOptions(size=(1600, 1200), digits=(4, 4), digit_height=(220, 360), row_band=0.3), ".jpg"),
             ("frame_", PhotoOptions(digits=(5, 5), digit_height=(70, 110), row_band=0.3), ".jpg"),
             ("paper_", PhotoOptions(size=(480, 360), digits=(1, 3), row_band=0.3), ".png")]
    written, used = [], 0
    for prefix, options, suffix in plans:
        count = int(rng.integers(options.digits[0], options.digits[1] + 1))
        picked = order[used:used + count]
        used += count
        photo = make_photo(rng, images[picked], labels[picked], options)
        name = prefix + "".join(map(str, photo.labels)) + suffix
        written.append(write_image(os.path.join(directory, name), photo.image))
    digit_index = order[used]
    name = f"mnist_28x28_{int(labels[digit_index])}.png"
    written.append(write_image(os.path.join(directory, name), images[digit_index]))
    return written


def write_image(path, image):
    """Encode by extension and write atomically (temporary file + os.replace)."""
    ok, encoded = cv2.imencode(os.path.splitext(path)[1], image)
    if not ok:
        raise ValueError(f"cannot encode {path}")
    files.write_bytes_atomic(path, encoded.tobytes())
    return path
