"""Label the digit candidates of an image: scores -> Digit records, a number string, JSON."""

import collections
import dataclasses

import numpy as np

from edge_runtime import (acceptance, blob_boxes, grayscale, image_files, page_edges, preprocess, reading,
                          segment, source_boxes, straighten)
from edge_runtime.model import DEFAULT_MIN_SCORE

# A picture read again at its doubtful threshold (second_opinion) is taken at that level when
# the readings there sum to more evidence than this many times the first look's, plus this
# much: on the real pages blurred sideways, 7-23 against 0-7. On generated pages read again
# the second look had at most 1 % more evidence than the first, or 0.2 against none.
SECOND_LOOK_GAIN = 1.5
SECOND_LOOK_MARGIN = 2.0
# A picture whose readings (three or more) average under SOFT_EVIDENCE is read again sharpened
# (preprocess.sharpened): out of focus, strokes fade into the paper, the crops come out faint
# and the rejecter doubts them. The sharper reading is taken when its summed evidence beats
# SHARPER_GAIN times the first's plus SHARPER_MARGIN: the real photos blurred by a Gaussian of
# 2 pixels summed 10-37 % more sharpened; sharpening every picture read 27 false digits
# on the harder set's 100 pictures without digits, against 9.
SOFT_EVIDENCE = 0.8
SOFT_READINGS = 3
SHARPER_GAIN = 1.1
SHARPER_MARGIN = 1.0
# A photo shrunk more than FINER_FACTOR times for reading (longer than 2,560 pixels: a phone's or
# a Pi camera's still, not a webcam's frame) whose readings are under SMALL_WRITING working
# pixels tall, or none, is read again at FINER_SIDE: a sticky note or a page filling a small
# part of the photo shrinks its digits under the 7 pixels a digit needs, or so small that
# their crops lose their strokes. Taken when its evidence beats FINER_GAIN times the first
# look's plus FINER_MARGIN. Measured in README step 7 ("A finer look").
FINER_FACTOR = 2.5
SMALL_WRITING = 20
FINER_SIDE = 3072
FINER_GAIN = 1.2
FINER_MARGIN = 1.0
CLOSE_UP_PIECES = 2  # a close-up digit broken by the first look came out in one or two pieces
CLOSE_UP_MAX_BLOBS = 100  # the first look's ink blobs: 1-15 in close-ups, thousands on a speckled frame
CLOSE_UP_BLOB = 0.2  # of the picture's height or width: the broken pieces of a close-up measured 0.22 or more
CLOSE_UP_CANDIDATES = 4  # regions the close-up look reads: a digit filling the picture is among the biggest

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
    gray = grayscale.to_grayscale(image)
    if preprocess.is_mnist_style(gray):
        return label_digits(model, preprocess.mnist_passthrough(gray), min_score)
    page, confident = look(model, gray, min_score, options)
    page, confident, options = finer_look(model, gray, page, confident, min_score, options)
    gray, page, confident = sharper_look(model, gray, page, confident, min_score, options)
    back, page, confident = straighter_look(model, gray, page, confident, min_score, options)
    return [Digit(r.label, r.score, source_box(page, r.box, back, gray.shape), r.image, number)
            for number, line in enumerate(reading.in_reading_order(confident, options)) for r in line]


def look(model, gray, min_score, options):
    """(page, readings) of a gray picture: read once, again at its doubtful threshold or
    closer when that may help."""
    page = preprocess.prepare(gray, options)
    confident = read_confident(model, page, min_score, options)
    if not page.polarity_sure:
        page, confident = other_polarity(model, gray, page, confident, min_score, options)
    if page.doubtful_level is not None:
        page, confident = second_opinion(model, gray, page, confident, min_score, options)
    if may_be_close_up(page, confident):
        page, confident = closer_look(model, gray, page, confident, min_score, options)
    return page, confident


def finer_look(model, gray, page, readings, min_score, options):
    """(page, readings, options): the first look's, or, in a picture over FINER_FACTOR times
    the working side long whose writing came out small (is_small_writing), the picture's read
    at FINER_SIDE when those readings are clearly surer (as second_opinion's), with the
    options that read them: the sharper and the straighter look then read at that size too.
    Measured on the picture, not on the page read: a close-up look's page is shrunk more."""
    big = max(gray.shape) > FINER_FACTOR * options.working_side and options.working_side < FINER_SIDE
    if not big or not is_small_writing(readings):
        return page, readings, options
    finer = dataclasses.replace(options, working_side=FINER_SIDE)
    other, found = look(model, gray, min_score, finer)
    if outweighs(found, readings, FINER_GAIN, FINER_MARGIN):
        return other, found, finer
    return page, readings, options


def is_small_writing(readings):
    """No readings, or readings under SMALL_WRITING working pixels tall (their median)."""
    return not readings or segment.middle([r.box[3] for r in readings]) < SMALL_WRITING


def sharper_look(model, gray, page, readings, min_score, options):
    """(picture, page, readings): the first look's, or, when its readings are doubtful on
    average (SOFT_EVIDENCE), the picture sharpened and read again if that is clearly surer.
    A sharp picture whose digits are read well is not looked at twice."""
    if len(readings) < SOFT_READINGS or total_evidence(readings) >= SOFT_EVIDENCE * len(readings):
        return gray, page, readings
    sharp = preprocess.sharpened(gray)
    other, found = look(model, sharp, min_score, options)
    if outweighs(found, readings, SHARPER_GAIN, SHARPER_MARGIN):
        return sharp, other, found
    return gray, page, readings


def straighter_look(model, gray, page, readings, min_score, options):
    """(matrix back to the picture or None, page, readings): the picture read again turned
    level when its lines slope by straighten.MIN_TILT_DEGREES or more, without readings from the
    turned picture's made-up corners, and that reading kept when it is surer (more summed
    evidence). Level, digits are cropped upright and touching ones cut between them, not
    through them."""
    degrees = straighten.tilt_degrees([r.box for r in readings])
    if not straighten.is_tilted(degrees):
        return None, page, readings
    level, back = straighten.turned(gray, degrees, options.working_side)
    other, found = look(model, level, min_score, options)
    found = inside_picture(found, other, back, gray.shape)
    if outweighs(found, readings):
        return back, other, found
    return None, page, readings


def inside_picture(readings, page, back, shape):
    """The readings of a turned picture whose centre lies inside the picture of `shape`."""
    return [r for r in readings if straighten.lands_inside(source_boxes.to_source_box(page, r.box), back, shape)]


def source_box(page, box, back, shape):
    """A working-pixel box in the caller's picture: around its ink carried back through the
    turned picture when read turned."""
    if back is None:
        return source_boxes.to_source_box(page, box)
    return straighten.box_back(source_boxes.ink_points(page, box), back, shape)


def read_confident(model, page, min_score, options):
    """The page's readings that pass `min_score` and the rejecter, in no particular order, less
    the strips along a page's edge read as 1s (page_edges)."""
    readings = [r for r in reading.read_page(model, page, options) if r.score >= min_score]
    return acceptance.accept(page_edges.without_page_edges(page, readings), source_boxes.picture_shape(page))


def second_opinion(model, gray, page, readings, min_score, options):
    """(page, readings): the first look's, or the picture's read at its doubtful level
    (threshold.ink_levels) when those readings are clearly surer: their summed evidence over
    SECOND_LOOK_GAIN times the first look's plus SECOND_LOOK_MARGIN (about two sure digits).
    Whether faint tones are writing or grain, the classifier and the rejecter tell."""
    other = preprocess.prepare(gray, options, at_level=page.doubtful_level, dark_ink=page.dark_ink)
    return clearly_surer(model, page, readings, other, min_score, options)


def other_polarity(model, gray, page, readings, min_score, options):
    """(page, readings): the first look's, or the picture's read with its ink the other way
    round when those readings are clearly surer (as second_opinion's). For a picture whose
    polarity the tails call light but not surely (polarity.ink_polarity): a sheet on a
    textured desk under a shadow, or chalk on an unevenly lit board."""
    other = preprocess.prepare(gray, options, dark_ink=not page.dark_ink)
    return clearly_surer(model, page, readings, other, min_score, options)


def clearly_surer(model, page, readings, other, min_score, options):
    """(page, readings): the `other` page and its readings when their summed evidence beats
    SECOND_LOOK_GAIN times the first look's plus SECOND_LOOK_MARGIN, else the first look's."""
    found = read_confident(model, other, min_score, options)
    if outweighs(found, readings, SECOND_LOOK_GAIN, SECOND_LOOK_MARGIN):
        return other, found
    return page, readings


def may_be_close_up(page, readings):
    """At most CLOSE_UP_PIECES digits found in a picture of few ink blobs, one of which fills
    much of it: perhaps one digit held close to the camera, whose thick strokes the first look
    broke into a piece or two. A frame of hundreds of blobs is texture or a page (looking again
    would cost a speckled frame a tenth more time); one whose blobs are all under CLOSE_UP_BLOB
    of it holds no close-up (blank paper, a small digit: looking again doubled their time)."""
    if len(page.boxes) > CLOSE_UP_MAX_BLOBS or len(readings) > CLOSE_UP_PIECES:
        return False
    height, width = source_boxes.picture_shape(page)
    return bool(np.any((page.boxes[:, blob_boxes.H] >= CLOSE_UP_BLOB * height)
                       | (page.boxes[:, blob_boxes.W] >= CLOSE_UP_BLOB * width)))


def closer_look(model, gray, page, readings, min_score, options):
    """(page, readings): the first look's, or the close-up look's (preprocess.close_up) when
    that finds one close-up digit (is_close_up_digit) that outweighs the first look: read with
    more evidence than any piece it found, and covering them all (two digits the first look
    read side by side are not pieces of one)."""
    options = dataclasses.replace(options, max_candidates=CLOSE_UP_CANDIDATES)  # the biggest only
    close = preprocess.close_up(gray, options, page.dark_ink)  # a close-up's few pixels may mislead
    shape = source_boxes.picture_shape(close)
    found = [r for r in read_confident(model, close, min_score, options) if is_close_up_digit(r, shape)]
    if len(found) != 1 or any(evidence(r) >= evidence(found[0]) for r in readings):
        return page, readings
    cover = source_boxes.to_source_box(close, found[0].box)
    if not all(mostly_inside(source_boxes.to_source_box(page, r.box), cover) for r in readings):
        return page, readings
    return close, found


def is_close_up_digit(candidate, shape):
    """At least acceptance.DOMINANT of the picture's height or width, and likely one digit to the
    rejecter on its own (the close-up look has no line of digits to back it)."""
    return acceptance.is_dominant(candidate.box, shape) and candidate.digit_probability >= reading.MIN_DIGIT_PROBABILITY


def mostly_inside(box, cover):
    """At least half of `box`'s area lies inside `cover` (both x, y, w, h)."""
    x, y, w, h = box
    cx, cy, cw, ch = cover
    overlap = max(0, min(x + w, cx + cw) - max(x, cx)) * max(0, min(y + h, cy + ch) - max(y, cy))
    return overlap >= 0.5 * w * h


def outweighs(found, readings, gain=1.0, margin=0.0):
    """Whether the readings `found` by another look sum more evidence than `gain` times the
    first look's `readings` plus `margin`: each look taken only when clearly surer."""
    return total_evidence(found) > gain * total_evidence(readings) + margin


def total_evidence(readings):
    """The readings' summed evidence: how a second reading of a picture is weighed against
    the first."""
    return sum(map(evidence, readings))


def evidence(candidate):
    """How surely a reading is one whole digit of its class: confidence times the rejecter's
    probability."""
    return candidate.score * candidate.digit_probability


def classify_file(model, path, min_score=DEFAULT_MIN_SCORE):
    """Digits in an image file, boxes in the file's own pixels: a JPEG over the pixel limit
    is decoded at a half, a quarter or an eighth of its size (image_files.read_image_reduced)."""
    decoded = image_files.read_image_reduced(path)
    return [d._replace(box=in_file_pixels(d.box, decoded)) for d in classify_image(model, decoded.image, min_score)]


def in_file_pixels(box, decoded):
    """A box of the decoded picture in the file's own pixels, clipped to the file's size (a
    side decoded at 1/factor was rounded up)."""
    x, y, w, h = (decoded.factor * v for v in box)
    return source_boxes.clipped_box(x, y, x + w, y + h, decoded.shape)


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
