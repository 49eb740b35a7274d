"""A loaded digit classifier: one interpreter, built once, with precomputed input quantization."""

import time
from pathlib import Path

import numpy as np

from edge_runtime import MODELS_DIR
from edge_runtime import sidecar as sidecar_io
from edge_runtime.errors import ModelError
from edge_runtime.interpreter import make_interpreter

IMAGE_SIZE = 28
SHIPPED_MODEL = MODELS_DIR / "model_int8.tflite"  # what classify, camera and DigitReader use by default
# The "one digit or not" model shipped beside the digit models (train/rejecter.py trains it).
SHIPPED_REJECTER = MODELS_DIR / "rejecter_int8.tflite"
# Below this top-class probability a candidate is more likely a smudge than a digit. (Here, not
# in classify.py, so that DigitReader can use it without importing OpenCV.)
DEFAULT_MIN_SCORE = 0.5
MAX_THREADS = 64  # far beyond any Pi; the interpreter's binding refuses numbers past a C int
DIGIT_LABEL = "digit"  # the rejecter's class for "exactly one digit"
# int8 outputs step in 1/256: ten of them can sum to 1 +- 0.02; anything further is not softmax.
PROBABILITY_SUM_TOLERANCE = 0.05


def quantize_lookup_table(pixel_scale, pixel_offset, dtype, quantization):
    """Map every uint8 pixel to the model's input value once, so a frame costs one np.take.

    For a float model that is pixel * pixel_scale + pixel_offset. For an integer model it is
    round((pixel * pixel_scale + pixel_offset) / scale) + zero_point, clipped to the dtype's range.
    """
    values = np.arange(256, dtype=np.float64) * pixel_scale + pixel_offset
    if np.issubdtype(dtype, np.floating):
        return values.astype(dtype)
    scale, zero_point = quantization
    if not scale > 0:
        raise ValueError(f"integer input tensor has no quantization scale ({quantization})")
    info = np.iinfo(dtype)
    quantized = np.round(values / scale) + zero_point
    return np.clip(quantized, info.min, info.max).astype(dtype)


def dequantize(values, dtype, quantization):
    """Integer tensor -> float32 copy, widened to int64 before subtracting the zero-point."""
    if np.issubdtype(dtype, np.floating):
        return np.array(values, dtype=np.float32)
    scale, zero_point = quantization
    return (scale * (values.astype(np.int64) - zero_point)).astype(np.float32)


def input_writer(lookup, buffer):
    """Fastest way to write uint8 pixels into the input buffer with the same result as the table.

    An int8 model trained on pixel/255 usually has scale 1/255 and zero-point -128, so its table
    is pixel - 128, which is one XOR of the sign bit; a uint8 model with scale 1/255 takes the
    pixels as they are. Anything else pays for the general table lookup (np.take).
    """
    identity = np.arange(256, dtype=np.uint8)
    if lookup.dtype.itemsize == 1 and np.issubdtype(lookup.dtype, np.integer):
        as_bytes = lookup.view(np.uint8)
        target = buffer.view(np.uint8).reshape(IMAGE_SIZE, IMAGE_SIZE)  # a view: writes land in buffer
        sign_bit = np.uint8(0x80)
        if np.array_equal(as_bytes, identity ^ 0x80):
            return lambda pixels: np.bitwise_xor(pixels.reshape(target.shape), sign_bit, out=target)
        if np.array_equal(as_bytes, identity):
            return lambda pixels: np.copyto(target, pixels.reshape(target.shape))
    return lambda pixels: np.take(lookup, pixels.reshape(buffer.shape), out=buffer)


def output_table(dtype, quantization):
    """For 8-bit outputs, every possible raw value dequantized once (indexed by its byte)."""
    if np.dtype(dtype).itemsize != 1 or np.issubdtype(dtype, np.floating):
        return None
    raw = np.arange(256, dtype=np.uint8).view(dtype)
    return dequantize(raw, dtype, quantization)


def check_digit_model(path, labels, input_detail, output_detail):
    """Refuse models that are not 28x28x1 -> one score per label, naming what was found."""
    input_shape = tuple(int(n) for n in input_detail["shape"])
    output_shape = tuple(int(n) for n in output_detail["shape"])
    if input_shape[1:] not in ((IMAGE_SIZE, IMAGE_SIZE, 1), (IMAGE_SIZE, IMAGE_SIZE)):
        raise ModelError(f"{path}: model input shape {list(input_shape)} is not a 28x28 grayscale image")
    if input_shape[0] != 1 or len(output_shape) != 2 or output_shape[0] != 1 or output_shape[-1] < 2:
        raise ModelError(f"{path}: model output shape {list(output_shape)} is not one row of class scores")
    if output_shape[-1] != len(labels):
        raise ModelError(f"{path}: model has {output_shape[-1]} outputs but {len(labels)} labels "
                         f"(from {sidecar_io.sidecar_path(path).name}, or 0-9 without a sidecar)")
    check_quantization(path, "input", input_detail)
    check_quantization(path, "output", output_detail)


def check_tensor_counts(path, input_details, output_details):
    """One image in, one row of scores out: a second input would never be set."""
    if len(input_details) != 1:
        raise ModelError(f"{path}: model has {len(input_details)} inputs, expected one 28x28 image")
    if len(output_details) != 1:
        raise ModelError(f"{path}: model has {len(output_details)} outputs, expected one row of class scores")


def check_probabilities(path, scores):
    """Scores of a probe image must be probabilities: finite, within [0, 1], summing to 1."""
    if not np.all(np.isfinite(scores)):
        raise ModelError(f"{path}: model outputs NaN or infinite scores on a probe image")
    low, high, total = float(scores.min()), float(scores.max()), float(scores.sum())
    if low < -0.01 or high > 1.01 or abs(total - 1.0) > PROBABILITY_SUM_TOLERANCE:
        raise ModelError(f"{path}: model outputs are not probabilities (scores {low:.4g} to {high:.4g}, "
                         f"summing to {total:.4g} on a probe image); a digit model must end in softmax")


def check_quantization(path, name, detail):
    """An integer tensor needs a positive scale, or its values mean nothing."""
    if not np.issubdtype(np.dtype(detail["dtype"]), np.floating) and not detail["quantization"][0] > 0:
        raise ModelError(f"{path}: integer {name} tensor has no quantization scale {tuple(detail['quantization'])}")


def load_rejecter(path, backend):
    """The rejecter as a DigitModel, or None when none is asked for (or the shipped one is
    missing, as in a source tree that has not trained it)."""
    if path is None or (Path(path) == SHIPPED_REJECTER and not SHIPPED_REJECTER.is_file()):
        return None
    rejecter = DigitModel(path, backend, 1, rejecter=None)
    if DIGIT_LABEL not in rejecter.labels:
        raise ModelError(f"{path}: not a rejecter: its labels {list(rejecter.labels)} have no {DIGIT_LABEL!r}")
    rejecter.digit_index = rejecter.labels.index(DIGIT_LABEL)
    return rejecter


class DigitModel:
    """Classify 28x28 uint8 digit images (white ink on black, like MNIST)."""

    def __init__(self, model_path, backend="auto", num_threads=1, rejecter=SHIPPED_REJECTER):
        """`rejecter`: path of a two-class "not one digit / one digit" model that vets crops
        cut from photos, or None to trust the classifier alone."""
        self.path = str(model_path)
        self.backend, self.interpreter = make_interpreter(model_path, backend, num_threads)
        self.sidecar = sidecar_io.read_sidecar(model_path)
        self.labels = sidecar_io.labels_from(self.sidecar)
        input_details, output_details = self.interpreter.get_input_details(), self.interpreter.get_output_details()
        check_tensor_counts(self.path, input_details, output_details)
        input_detail, output_detail = input_details[0], output_details[0]
        check_digit_model(self.path, self.labels, input_detail, output_detail)
        self.input_dtype = np.dtype(input_detail["dtype"])
        self._input_index = input_detail["index"]
        self._input_shape = tuple(input_detail["shape"])
        self._output_index = output_detail["index"]
        self._output_dtype = np.dtype(output_detail["dtype"])
        self._output_quantization = output_detail["quantization"]
        self._lookup = quantize_lookup_table(sidecar_io.pixel_scale_from(self.sidecar),
                                             sidecar_io.pixel_offset_from(self.sidecar),
                                             self.input_dtype, input_detail["quantization"])
        self._input_buffer = np.empty(self._input_shape, dtype=self.input_dtype)
        self._write_input = input_writer(self._lookup, self._input_buffer)
        self._output_table = output_table(self._output_dtype, self._output_quantization)
        self.rejecter = load_rejecter(rejecter, backend)
        self.invoke_seconds = 0.0  # summed over every invoke, for the camera loop's stage timing
        for probe in (0, 255):  # a blank and a full image: two invokes, once per load
            check_probabilities(self.path, self.scores(np.full((IMAGE_SIZE, IMAGE_SIZE), probe, np.uint8)))

    @property
    def is_quantized(self):
        return not np.issubdtype(self.input_dtype, np.floating)

    def scores(self, image):
        """Class probabilities (float32 copy) for one 28x28 uint8 image."""
        pixels = np.asarray(image)
        if pixels.shape[-2:] != (IMAGE_SIZE, IMAGE_SIZE) or pixels.dtype != np.uint8:
            raise ValueError(f"expected a 28x28 uint8 image, got {pixels.dtype} {pixels.shape}")
        self._write_input(pixels)
        self.interpreter.set_tensor(self._input_index, self._input_buffer)
        start = time.perf_counter()
        self.interpreter.invoke()
        self.invoke_seconds += time.perf_counter() - start
        raw = self.interpreter.get_tensor(self._output_index)[0]
        if self._output_table is not None:
            return self._output_table.take(raw.view(np.uint8))  # take returns a new array
        return dequantize(raw, self._output_dtype, self._output_quantization)

    @property
    def inference_seconds(self):
        """Seconds spent in the interpreter so far, this model's and its rejecter's."""
        return self.invoke_seconds + (self.rejecter.invoke_seconds if self.rejecter is not None else 0.0)

    def digit_probability(self, image):
        """How sure the rejecter is that a 28x28 crop shows exactly one digit (1.0 without one)."""
        if self.rejecter is None:
            return 1.0
        return float(self.rejecter.scores(image)[self.rejecter.digit_index])

    def predict(self, images):
        """Top-1 class index and scores for a stack of 28x28 uint8 images."""
        all_scores = np.stack([self.scores(image) for image in images])
        return all_scores.argmax(axis=1), all_scores
