"""Label the digit candidates of an image: scores -> Digit records, a number string, JSON."""

import collections

import numpy as np

from edge_runtime import preprocess, reading
from edge_runtime.model import DEFAULT_MIN_SCORE

Digit = collections.namedtuple("Digit", ["label", "score", "box", "image", "line"], defaults=(0,))
Digit.__doc__ = """One recognised digit: label, probability, (x, y, w, h) box, the 28x28 crop,
and the index of the text line it belongs to (0 for the first line in reading order)."""


def top_class(scores, labels):
    """(label, score) of the highest score; pure, so it is tested without a model."""
    index = int(np.argmax(scores))
    return labels[index], float(scores[index])


def label_digits(model, candidates, min_score=DEFAULT_MIN_SCORE):
    """Classify each candidate, dropping those whose best score is below `min_score`. For
    MNIST-style pictures, given as digits on purpose: no rejecter, the classifier alone."""
    digits = []
    for candidate in candidates:
        label, score = top_class(model.scores(candidate.image), model.labels)
        if score >= min_score:
            digits.append(Digit(label, score, candidate.box, candidate.image))
    return digits


def classify_image(model, image, min_score=DEFAULT_MIN_SCORE, options=preprocess.FindOptions()):
    """Digits found in a gray or BGR image, in reading order: lines top to bottom, each left to right."""
    gray = preprocess.to_grayscale(image)
    if preprocess.is_mnist_style(gray):
        return label_digits(model, preprocess.mnist_passthrough(gray), min_score)
    page = preprocess.prepare(gray, options)
    confident = reading.accept([r for r in reading.read_page(model, page, options) if r.score >= min_score],
                               preprocess.picture_shape(page))
    return [Digit(r.label, r.score, preprocess.to_source_box(page, r.box), r.image, number)
            for number, line in enumerate(reading.in_reading_order(confident, options)) for r in line]


def read_lines(digits):
    """The digits of each text line as strings, e.g. ['1247', '895']."""
    texts = []
    for digit in digits:
        if digit.line == len(texts):
            texts.append("")
        texts[-1] += str(digit.label)
    return texts


def read_number(digits):
    """The digits in reading order as one string, all lines joined, e.g. '407'."""
    return "".join(str(digit.label) for digit in digits)


def json_label(label):
    """Digit labels are written as numbers (7), any other label as its text."""
    return int(label) if str(label).isdigit() else str(label)


def to_record(source, digits, **extra):
    """The JSON object printed per input: source, digits with label/score/box, number."""
    record = {"source": str(source)}
    record.update(extra)
    record["digits"] = [
        {"label": json_label(d.label), "score": round(d.score, 4), "box": [int(v) for v in d.box],
         "line": d.line}
        for d in digits]
    record["number"] = read_number(digits)
    record["lines"] = read_lines(digits)
    return record


def error_record(source, message):
    return {"source": str(source), "error": str(message)}
