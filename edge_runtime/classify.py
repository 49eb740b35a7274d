"""Label the digit candidates of an image: scores -> Digit records, a number string, JSON."""

import collections

import numpy as np

from edge_runtime import preprocess

# Below this top-class probability a candidate is more likely a smudge than a digit.
DEFAULT_MIN_SCORE = 0.5

Digit = collections.namedtuple("Digit", ["label", "score", "box", "image"])
Digit.__doc__ = "One recognised digit: label, probability, (x, y, w, h) box, and the 28x28 crop."


def top_class(scores, labels):
    """(label, score) of the highest score; pure, so it is tested without a model."""
    index = int(np.argmax(scores))
    return labels[index], float(scores[index])


def label_digits(model, candidates, min_score=DEFAULT_MIN_SCORE):
    """Classify each candidate, dropping those whose best score is below `min_score`."""
    digits = []
    for candidate in candidates:
        label, score = top_class(model.scores(candidate.image), model.labels)
        if score >= min_score:
            digits.append(Digit(label, score, candidate.box, candidate.image))
    return digits


def classify_image(model, image, min_score=DEFAULT_MIN_SCORE, options=preprocess.FindOptions()):
    """Digits found in a gray or BGR image, left to right."""
    return label_digits(model, preprocess.find_digits(image, options), min_score)


def read_number(digits):
    """The digits read left to right as one string, e.g. '407'."""
    return "".join(str(digit.label) for digit in digits)


def json_label(label):
    """Digit labels are written as numbers (7), any other label as its text."""
    return int(label) if str(label).isdigit() else str(label)


def to_record(source, digits, **extra):
    """The JSON object printed per input: source, digits with label/score/box, number."""
    record = {"source": str(source)}
    record.update(extra)
    record["digits"] = [
        {"label": json_label(d.label), "score": round(d.score, 4), "box": [int(v) for v in d.box]}
        for d in digits]
    record["number"] = read_number(digits)
    return record


def error_record(source, message):
    return {"source": str(source), "error": str(message)}
