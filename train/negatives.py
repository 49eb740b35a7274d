"""Training crops for the "is this one digit?" model: what the runtime's cropper makes of
single digits (positives) and of everything else a camera sees (negatives).

Both go through the runtime's own crop preparation (threshold, rim, gain, fit into 20x20,
centre by mass), so the model cannot tell them apart by how they were made, only by what
they show. Negatives: blobs, rules and grid crossings, specks, scribbles, paper texture,
printed letters and signs, noise; and everything the runtime cuts from generated photos that
is not a digit (page_crops). Needs numpy and OpenCV only.
"""

import cv2
import numpy as np

from edge_runtime.digit_crop import MNIST_SIZE, crop_digit, fit_to_mnist
from edge_runtime.preprocess import candidate_regions, prepare
from edge_runtime.source_boxes import to_source_box

# Letters and signs that no digit resembles (no O, I, l, Z, S, B, G, g, q, b, T, ...).
NON_DIGIT_TEXT = "ACEFHKMNPRUVWXYacefhkmnprtuvwxy+=*#%&@?$"
HERSHEY_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
                 cv2.FONT_HERSHEY_SCRIPT_COMPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_PLAIN)
# Odds of each kind of negative: blobs, rules, specks, scribbles, texture, letters, noise.
# Touching digits and half digits are not negatives: real handwritten digits are often wider
# than MNIST's, and a model taught that wide means "not a digit" rejected them (measured on
# real photos: 5-10 points of recall); cuts through touching digits are the classifier's call.
NEGATIVE_ODDS = (0.14, 0.2, 0.1, 0.14, 0.1, 0.24, 0.08)


def trim(ink):
    """The ink's bounding box, or the image when it holds no ink."""
    points = cv2.findNonZero((ink > 0).astype(np.uint8))
    if points is None:
        return ink
    x, y, w, h = cv2.boundingRect(points)
    return ink[y:y + h, x:x + w]


def slant(ink, rng):
    """A random shear and rotation, as handwriting and a tilted camera give."""
    height, width = ink.shape
    pad = max(height, width) // 2
    ink = cv2.copyMakeBorder(ink, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    matrix = cv2.getRotationMatrix2D((ink.shape[1] / 2.0, ink.shape[0] / 2.0), float(rng.uniform(-12, 12)), 1.0)
    matrix[0, 1] += float(rng.uniform(-0.3, 0.3))
    return cv2.warpAffine(ink, matrix, (ink.shape[1], ink.shape[0]), flags=cv2.INTER_LINEAR)


def restroke(big, rng):
    """Thin ballpoint to thick marker: erode or dilate the strokes at their seen size."""
    change = int(rng.integers(-1, 2 + big.shape[0] // 15))  # a marker's stroke grows with the digit
    kernel = np.ones((3, 3), np.uint8)
    if change < 0:  # only tall renders have strokes thick enough to thin without breaking them
        return cv2.erode(big, kernel) if big.shape[0] >= 60 else big
    return cv2.dilate(big, kernel, iterations=change) if change > 0 else big


def on_paper(ink, rng):
    """The ink drawn dark on noisy paper, with a margin: a small photo of it."""
    pad = ink.shape[0] // 2 + 4
    alpha = cv2.copyMakeBorder(ink / 255.0, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    paper, pen = rng.uniform(150, 240), rng.uniform(10, 90)
    photo = paper - (paper - pen) * np.clip(alpha, 0, 1) + rng.normal(0, rng.uniform(1, 6), alpha.shape)
    return np.clip(photo, 0, 255).astype(np.uint8)


def as_runtime_crop(ink, rng):
    """A white-on-black ink picture slanted, seen at a random size and stroke width, put on
    paper, and cropped by the runtime's own code: the largest candidate region of that photo,
    fitted and centred like MNIST. None when the runtime would see no candidate at all."""
    ink = trim(slant(np.asarray(ink, np.float32), rng))
    height = int(rng.integers(24, 110))
    width = max(1, int(round(ink.shape[1] * height / max(ink.shape[0], 1))))
    big = restroke(cv2.resize(ink, (min(width, 400), height), interpolation=cv2.INTER_LINEAR), rng)
    big = cv2.GaussianBlur(big, (0, 0), float(rng.uniform(0.3, 1.0)))
    page = prepare(on_paper(big, rng))
    regions = candidate_regions(page)
    if not regions:
        return None
    largest = max(regions, key=lambda region: region.box[2] * region.box[3])
    crop, _ = crop_digit(page, largest)
    return None if crop is None else fit_to_mnist(crop)


def blob(rng):
    canvas = np.zeros((60, 60), np.float32)
    centre = (int(rng.integers(20, 40)), int(rng.integers(20, 40)))
    axes = (int(rng.integers(6, 28)), int(rng.integers(6, 28)))
    cv2.ellipse(canvas, centre, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1)
    return canvas


def rule_lines(rng):
    """One to three straight strokes within 35 degrees of horizontal: rules, dashes, grid lines."""
    canvas = np.zeros((60, 90), np.float32)
    for _ in range(int(rng.integers(1, 4))):
        angle = np.radians(rng.uniform(-35, 35))
        length, y = rng.uniform(20, 85), rng.uniform(10, 50)
        x0 = rng.uniform(0, 90 - length * np.cos(angle))
        end = (int(x0 + length * np.cos(angle)), int(y + length * np.sin(angle)))
        cv2.line(canvas, (int(x0), int(y)), end, 255, int(rng.integers(1, 5)))
    if rng.random() < 0.4:  # a crossing line of squared paper: it must cross, or it is a 1
        x, top = int(rng.integers(10, 80)), int(rng.integers(0, 20))
        cv2.line(canvas, (x, top), (x, 59), 255, int(rng.integers(1, 3)))
        cv2.line(canvas, (0, int(rng.integers(top + 5, 55))), (89, int(rng.integers(5, 55))), 255, 2)
    return canvas


def specks(rng):
    canvas = np.zeros((40, 40), np.float32)
    for _ in range(int(rng.integers(3, 30))):
        cv2.circle(canvas, (int(rng.integers(0, 40)), int(rng.integers(0, 40))), int(rng.integers(1, 3)), 255, -1)
    return canvas


def scribble(rng):
    """A smudge or scratch: a jittery polyline with many turns."""
    canvas = np.zeros((60, 60), np.float32)
    points = np.cumsum(rng.normal(0, 9, (int(rng.integers(9, 20)), 2)), axis=0) + 30
    cv2.polylines(canvas, [np.clip(points, 0, 59).astype(np.int32)], False, 255, int(rng.integers(2, 7)))
    return canvas


def texture(rng):
    """Paper grain or desk texture after thresholding: smoothed noise."""
    noise = cv2.GaussianBlur(rng.normal(0, 1, (48, 48)).astype(np.float32), (0, 0), float(rng.uniform(1, 4)))
    return np.where(noise > rng.uniform(0.2, 0.8) * noise.max(), 255.0, 0.0).astype(np.float32)


def letter(rng):
    canvas = np.zeros((80, 80), np.uint8)
    text = NON_DIGIT_TEXT[int(rng.integers(len(NON_DIGIT_TEXT)))]
    font = HERSHEY_FONTS[int(rng.integers(len(HERSHEY_FONTS)))]
    cv2.putText(canvas, text, (15, 60), font, 1.6, 255, int(rng.integers(2, 6)), cv2.LINE_AA)
    return canvas.astype(np.float32)


def noise(rng):
    return rng.uniform(0, 255, (28, 28)).astype(np.float32)


def negative_ink(rng):
    """One non-digit ink picture, of a kind drawn with fixed odds."""
    makers = (blob, rule_lines, specks, scribble, texture, letter, noise)
    return makers[rng.choice(len(makers), p=NEGATIVE_ODDS)](rng)


def crops(count, make, rng, blank_share=0.0):
    """`count` runtime-style 28x28 crops of what `make(rng)` draws; a drawing the runtime would
    not crop is drawn again. `blank_share` of them stay black (an empty input)."""
    out = np.zeros((count, MNIST_SIZE, MNIST_SIZE), np.uint8)
    index = int(count * blank_share)
    while index < count:
        crop = as_runtime_crop(make(rng), rng)
        if crop is not None:
            out[index] = crop
            index += 1
    return out


def pen_digit(digit, rng):
    """An MNIST digit as ink: half the time its soft edges are cut hard, so strokes are even
    like a marker's or a ballpoint's (the model must not learn "even strokes = a letter")."""
    ink = digit.astype(np.float32)
    return np.where(ink > rng.uniform(60, 160), 255.0, 0.0).astype(np.float32) if rng.random() < 0.5 else ink


def digit_and_negative_crops(images, labels, count, seed=0):
    """(x, y): `count` crops, half single digits (y=1) half not (y=0), shuffled.

    A quarter of the digits stay exactly as MNIST has them: the runtime passes 28x28
    MNIST-style pictures straight through.
    """
    rng = np.random.default_rng(seed)
    half = count // 2
    picks = rng.integers(0, len(images), half)
    raw = half // 4
    positives = np.concatenate([images[picks[:raw]],
                                crops(half - raw, lambda r: pen_digit(images[picks[r.integers(raw, half)]], r), rng)])
    negatives = crops(count - half, negative_ink, rng, blank_share=0.02)
    x = np.concatenate([positives, negatives])
    y = np.concatenate([np.ones(len(positives), np.int64), np.zeros(len(negatives), np.int64)])
    order = rng.permutation(len(x))
    return x[order], y[order]


def overlap_ratio(a, b):
    """Intersection over union of two (x, y, w, h) boxes."""
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, right - left) * max(0, bottom - top)
    return inter / float(a[2] * a[3] + b[2] * b[3] - inter)


def page_crops(images, labels, pages, seed):
    """(x, y) crops the runtime itself cuts from generated photos (edge_runtime/synthetic_pages):
    a candidate on a true digit's box (IoU >= 0.5) is a digit, one that touches no digit
    (IoU < 0.1 with all) is not: desk grain, paper rules, letters, smudges, shadows. Touching
    digits and partial overlaps are left out: their label would be a guess."""
    from edge_runtime import synthetic_pages

    rng = np.random.default_rng([seed, 17])
    x, y = [], []
    for index in range(pages):
        page = synthetic_pages.make_page(np.random.default_rng([seed, index]), images, labels)
        prepared = prepare(page.image)
        for region in candidate_regions(prepared):
            crop, box = crop_digit(prepared, region)
            if crop is None:
                continue
            box = to_source_box(prepared, box)
            best = max((overlap_ratio(box, truth) for truth in page.boxes), default=0.0)
            if best >= 0.5 or best < 0.1:
                x.append(fit_to_mnist(crop))
                y.append(int(best >= 0.5))
    order = rng.permutation(len(x))
    return np.array(x, np.uint8).reshape(-1, MNIST_SIZE, MNIST_SIZE)[order], np.array(y, np.int64)[order]
