"""Shared helpers for the edge runtime tests (imported by tests/test_edge_*.py).

Data comes from env vars with defaults beside the repository: MNIST_NPZ for the MNIST
arrays, OPENCV_DIGITS_PNG for OpenCV's digits.png (Debian package opencv-doc),
MNIST_EDGE_MODELS_DIR for the model_int8/model_float32 pair (default: edge_runtime/models). Missing data
skips locally and fails under CI (tests/prerequisites.py), so a CI run cannot pass by skipping.
"""

import functools
import gzip
import os
import shutil
from pathlib import Path

import numpy as np

from prerequisites import REPO, missing, mnist_npz_or_missing

# The models under test: the shipped ones unless MNIST_EDGE_MODELS_DIR points at a fresh export.
MODELS_DIR = Path(os.environ.get("MNIST_EDGE_MODELS_DIR", REPO / "edge_runtime" / "models"))
EXAMPLES_DIR = REPO / "edge_runtime" / "examples"
INT8_MODEL = MODELS_DIR / "model_int8.tflite"
FLOAT_MODEL = MODELS_DIR / "model_float32.tflite"
DIGITS_PNG_DEFAULT = "/usr/share/doc/opencv-doc/examples/data/digits.png"


@functools.lru_cache(maxsize=None)
def mnist_test_arrays():
    with np.load(mnist_npz_or_missing()) as data:  # allow_pickle stays False
        return data["x_test"], data["y_test"]


def digits_png_setting():
    """Where digits.png should be: OPENCV_DIGITS_PNG, else opencv-doc's (maybe gzipped there)."""
    return Path(os.environ.get("OPENCV_DIGITS_PNG", DIGITS_PNG_DEFAULT))


def digits_png_path(tmp_dir):
    """digits.png from OPENCV_DIGITS_PNG or opencv-doc, un-gzipping into tmp_dir if needed."""
    path = digits_png_setting()
    if path.is_file():
        return path
    gzipped = Path(str(path) + ".gz")
    if gzipped.is_file():
        target = Path(tmp_dir) / "digits.png"
        with gzip.open(gzipped, "rb") as source, open(target, "wb") as sink:
            shutil.copyfileobj(source, sink)
        return target
    missing(f"OpenCV digits.png not found at {path}[.gz] (apt-get install opencv-doc, or set OPENCV_DIGITS_PNG)")


def opencv_samples_dir():
    """The folder of OpenCV's sample pictures: the one holding digits.png (OPENCV_DIGITS_PNG
    or opencv-doc's)."""
    return digits_png_setting().parent


@functools.lru_cache(maxsize=None)
def load_model(path):
    from edge_runtime.model import DigitModel
    return DigitModel(path)


def boxes_of(rows):
    """Blob rows [x, y, w, h, box area] as edge_runtime.segment.components gives them."""
    return np.array(rows, dtype=np.float64).reshape(-1, 5)


def fake_reading(label, score, box, digit_probability):
    """A reading.Reading without its crop: for what is decided on readings alone."""
    from edge_runtime import reading
    return reading.Reading(label, score, box, None, digit_probability)


@functools.lru_cache(maxsize=None)
def photo_set(count=150, seed=0):
    """The generated test photos (see edge_runtime/synthetic.py), built once per session."""
    from edge_runtime import synthetic
    images, labels = mnist_test_arrays()
    return synthetic.make_photo_set(images, labels, count, seed=seed)


def harder_set_page(seed, index):
    """Page `index` of the harder set that scripts/make_page_set.py makes with `seed` (500
    pages for seed 0, 300 for the others), remade alone."""
    from edge_runtime import synthetic_pages
    images, labels = mnist_test_arrays()
    return synthetic_pages.page_of_set(images, labels, 500 if seed == 0 else 300, seed, index)


def example_number(path):
    """photo_0009.jpg -> '0009': shipped examples are named after the number they show."""
    return Path(path).stem.rsplit("_", 1)[-1]


def read_one_line_then_close(command):
    """Run `command` in the repo, read its first stdout line, close the pipe like `| head -1`;
    return (that line, stderr text, exit status)."""
    import subprocess

    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
                               env=dict(os.environ, PYTHONPATH=str(REPO)))
    first = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    return first, stderr, process.wait()


def written_row(digits, degrees=0.0, height=56, paper=225):
    """MNIST digits written dark on paper side by side, `height` pixels each, across the middle
    of a 640x480 frame turned by `degrees` about its centre."""
    import cv2

    page = np.full((480, 640), paper, np.uint8)
    x, top = 320 - len(digits) * height // 2, 240 - height // 2
    for digit in digits:
        ink = cv2.resize(digit, (height, height), interpolation=cv2.INTER_LINEAR).astype(np.int32)
        region = page[top:top + height, x:x + height]
        region[...] = np.minimum(region, paper - ink * 200 // 255)
        x += height
    return tilted(page, degrees)


def tilted(image, degrees):
    """The picture turned by `degrees` about its centre in its own frame (the corners it loses
    are lost), the border's pixels repeated into the new corners."""
    import cv2

    height, width = image.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return cv2.warpAffine(image, turn, (width, height), borderMode=cv2.BORDER_REPLICATE)


def rows_read_exactly(picture, seed, rows=40, digits=6):
    """How many of `rows` rows of `digits` MNIST test digits the shipped int8 model reads
    exactly, each row drawn by picture(rng, its digit images) with a generator seeded `seed`."""
    from edge_runtime import classify

    images, labels = mnist_test_arrays()
    model = load_model(INT8_MODEL)
    rng = np.random.default_rng(seed)
    right = 0
    for _ in range(rows):
        picked = rng.integers(0, 10000, digits)
        number = classify.read_number(classify.classify_image(model, picture(rng, images[picked])))
        right += number == "".join(map(str, labels[picked]))
    return right
