"""Read the digits of a prepared picture with the classifier deciding how blobs are cut.

Touching digits form one ink blob. Geometry alone cannot tell a wide 0 from two touching 1s,
so each wide blob is read several ways (whole, cut in two, in three, ...) and the reading
whose pieces the classifier is most sure of wins: segmentation by recognition.
"""

import collections
import math

import numpy as np

from edge_runtime import lines, preprocess, segment

# Each extra piece must earn its place: a cut is chosen only when it raises the summed
# log-confidence by more than this (a 0 cut in half reads as two confident-looking 1s).
CUT_PENALTY = 0.7
FLOOR = 1e-4  # log of a zero score would be -inf
# exp(-CUT_PENALTY) ~ 0.5: a whole-blob reading this sure beats any cut, so cuts are skipped.
SURE = 0.95

# The rejecter must find a crop at least this likely to be one digit, or it is dropped...
MIN_DIGIT_PROBABILITY = 0.5
# ...unless two or more sure digits share its line: digits come in rows, junk rarely lines up
# with them, so there the prior odds are several times higher and this much suffices.
IN_LINE_PROBABILITY = 0.1

Reading = collections.namedtuple("Reading", ["label", "score", "box", "image", "digit_probability"])
Reading.__doc__ = """One classified piece: label, confidence, box in working pixels, 28x28 crop,
and the rejecter's probability that the crop is one digit at all."""


def read_piece(model, page, region, options):
    """The piece classified, or None when it holds no digit-shaped ink."""
    crop, box = preprocess.crop_digit(page, region)
    if crop is None or box[3] < options.min_height_px:
        return None
    image = preprocess.fit_to_mnist(crop)
    scores = model.scores(image)
    index = int(scores.argmax())
    return Reading(model.labels[index], float(scores[index]), box, image, model.digit_probability(image))


def hypothesis_score(readings, expected):
    """Summed log-confidence of the pieces (each piece's class AND its being a digit at all),
    less a penalty for each piece more or fewer than the blob's width suggests."""
    confidence = sum(math.log(max(r.score * r.digit_probability, FLOOR)) for r in readings)
    return confidence - CUT_PENALTY * max(0.0, abs(len(readings) - expected) - 0.5)


def is_sure(readings):
    """One piece, surely a digit and surely this one: no cut can beat it, so none is tried."""
    return len(readings) == 1 and readings[0].score * readings[0].digit_probability >= SURE


def typical_aspect(regions, options):
    """Width / height of this picture's single digits (the writer's hand, not MNIST's): the
    median over regions too narrow to be two digits, 1s left out."""
    aspects = [w / h for _, _, w, h in (r.box for r in regions) if 0.35 <= w / h < options.split_aspect]
    return float(np.median(aspects)) if len(aspects) >= 3 else options.typical_aspect


def read_region(model, page, region, options, aspect):
    """The best reading of a region: one digit, or the best cut into touching digits."""
    counts = segment.piece_counts(region.box, options, aspect)
    expected = region.box[2] / region.box[3] / aspect
    own = preprocess.own_ink(page.labels, region) if counts != [1] else None
    best, best_score = [], -math.inf
    for count in counts:
        if is_sure(best):
            break
        for parts in [[region]] if count == 1 else segment.split_candidates(region, own, count):
            readings = [read_piece(model, page, part, options) for part in parts]
            if any(r is None for r in readings):
                continue
            score = hypothesis_score(readings, expected)
            if score > best_score:
                best, best_score = readings, score
    return best


def read_page(model, page, options):
    """Every reading in the page, touching digits cut, in no particular order."""
    regions = preprocess.candidate_regions(page, options)
    aspect = typical_aspect(regions, options)
    readings = []
    for region in regions:
        readings += read_region(model, page, region, options, aspect)
    return [r for r in readings if r.box[2] / r.box[3] <= options.max_aspect]


def accept(readings):
    """The readings the rejecter lets through, judged with their line as context."""
    candidates = [r for r in readings if r.digit_probability >= IN_LINE_PROBABILITY]
    sure = [r.digit_probability >= MIN_DIGIT_PROBABILITY for r in candidates]
    kept = []
    for line in lines.group_lines([r.box for r in candidates]):
        support = sum(sure[i] for i in line)
        kept += [candidates[i] for i in line if sure[i] or support >= 2]
    return kept


def in_reading_order(readings, options):
    """Readings grouped into lines in reading order, specks beside bigger digits dropped."""
    boxes = [r.box for r in readings]
    grouped = lines.group_lines(boxes)
    reference = preprocess.typical_height(boxes, grouped)
    ordered = []
    for line in grouped:
        heights = sorted(boxes[i][3] for i in line)
        floor = options.min_height_fraction * (heights[len(heights) // 2] if len(line) > 1 else reference)
        kept = [readings[i] for i in line if boxes[i][3] >= floor]
        if kept:
            ordered.append(kept)
    return ordered
