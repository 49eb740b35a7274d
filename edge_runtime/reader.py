"""DigitReader: the runtime as a Python object, for code that has an image, not a file to run on.

It wraps what the CLI uses (DigitModel, classify.classify_image, classify.classify_file) and adds
nothing to the reading itself, so `reader.read(path).to_dict()` is the `classify --json`
record of that file. classify_28x28 needs numpy and an interpreter only; read() finds digits
in a photo with OpenCV, imported on the first read(), not before.
"""

import collections
import dataclasses
import os

import numpy as np

from edge_runtime.model import (DEFAULT_MIN_SCORE, IMAGE_SIZE, MAX_THREADS, SHIPPED_MODEL, SHIPPED_REJECTER,
                                DigitModel)

ARRAY_SOURCE = "<array>"  # the "source" of a reading of an array that was given no name

Classification = collections.namedtuple("Classification", ["labels", "probabilities"])
Classification.__doc__ = """classify_28x28's answer for N images: labels, int64 (N,), the index
of the top class (the digit itself for a 0-9 model; reader.labels names the classes of any
other), and probabilities, float32 (N, classes)."""


@dataclasses.dataclass(frozen=True)
class DigitReading:
    """What read() found: digits in reading order (classify.Digit: label, score, box, image,
    line), the text of each line, all lines joined as the number, and the source's name."""

    source: str
    digits: list
    lines: list
    number: str

    def to_dict(self):
        """The `mnist-edge classify --json` record: labels as numbers, scores to 4 places."""
        from edge_runtime import classify
        return classify.to_record(self.source, self.digits)


def check_threads(threads):
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or not 1 <= threads <= MAX_THREADS:
        raise ValueError(f"threads must be an integer from 1 to {MAX_THREADS}, got {threads!r}")


def check_min_score(min_score):
    if isinstance(min_score, bool) or not isinstance(min_score, (int, float)) or not 0.0 <= min_score <= 1.0:
        raise ValueError(f"min_score must be a number from 0 to 1, got {min_score!r}")


def as_mnist_batch(images):
    """(N, 28, 28) uint8 from (28, 28), (N, 28, 28) or (N, 28, 28, 1) uint8 0-255 or float 0-1.

    Floats become round(value * 255): the 256 levels every model here was trained on.
    """
    pixels = np.asarray(images)
    if pixels.ndim == 4 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    elif pixels.ndim == 2:
        pixels = pixels[None]
    if pixels.ndim != 3 or pixels.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"expected 28x28 images shaped (28, 28), (N, 28, 28) or (N, 28, 28, 1), "
                         f"got shape {np.shape(images)}")
    if pixels.dtype == np.uint8:
        return pixels
    if not np.issubdtype(pixels.dtype, np.floating):
        raise ValueError(f"expected uint8 pixels 0-255 or float pixels 0-1, got dtype {pixels.dtype}")
    check_unit_range(pixels)
    return np.round(pixels.astype(np.float64) * 255.0).astype(np.uint8)


def check_unit_range(pixels):
    """Float pixels are 0-1; 0-255 floats (a forgotten / 255) would all read as white."""
    not_finite = int(pixels.size - np.count_nonzero(np.isfinite(pixels)))
    if not_finite:
        raise ValueError(f"float pixels must be finite, got {not_finite} NaN or infinite values")
    if pixels.size and (pixels.min() < 0.0 or pixels.max() > 1.0):
        raise ValueError(f"float pixels must lie in [0, 1] (or pass uint8 for 0-255), got values "
                         f"from {pixels.min():g} to {pixels.max():g}")


class DigitReader:
    """Read handwritten digits from numpy images or image files with a TFLite model.

    DigitReader() uses the shipped int8 model and the shipped rejecter; DigitReader(path) any
    digit model mnist-edge exported (its .json sidecar beside it). The interpreter is built
    here, once; every read() and classify_28x28() reuses it.
    """

    def __init__(self, model=SHIPPED_MODEL, backend="auto", threads=1, min_score=DEFAULT_MIN_SCORE,
                 rejecter=SHIPPED_REJECTER):
        """`rejecter`: the "one digit or not" model that vets crops cut from photos, or None."""
        check_threads(threads)
        check_min_score(min_score)
        self.min_score = float(min_score)
        self.model = DigitModel(os.fspath(model), backend, int(threads), rejecter=rejecter)

    @property
    def labels(self):
        """Class names, index-aligned with the probabilities: ('0', ..., '9') for a digit model."""
        return self.model.labels

    @property
    def backend(self):
        return self.model.backend

    def read(self, image, source=None):
        """Digits in a gray (HxW) or BGR (HxWx3) uint8 array of any size, or in an image file
        (str or Path). Needs OpenCV. `source` names an array in to_dict() (default "<array>")."""
        try:
            from edge_runtime import classify
        except ModuleNotFoundError as error:
            raise ModuleNotFoundError(f"DigitReader.read() finds digits with OpenCV, which is not installed "
                                      f"(no module {error.name!r}): pip install 'mnist-edge[edge]'",
                                      name=error.name) from None

        if isinstance(image, (str, os.PathLike)):
            source = os.fspath(image) if source is None else source
            digits = classify.classify_file(self.model, os.fspath(image), self.min_score)
        else:
            digits = classify.classify_image(self.model, image, self.min_score)
        return DigitReading(ARRAY_SOURCE if source is None else str(source), digits,
                            classify.read_lines(digits), classify.read_number(digits))

    def classify_28x28(self, images):
        """Labels and probabilities for MNIST-shaped images, white digit on black like MNIST
        (invert dark-on-light ones first: 255 - x). No OpenCV, no digit finding: each image
        goes to the model as it is. The exported models have a fixed batch of one (their
        Flatten is a reshape to one row), so N images are N invokes of the one interpreter."""
        batch = as_mnist_batch(images)
        if len(batch) == 0:
            return Classification(np.zeros(0, np.int64), np.zeros((0, len(self.labels)), np.float32))
        indices, probabilities = self.model.predict(batch)
        return Classification(indices.astype(np.int64), probabilities.astype(np.float32, copy=False))
