"""Read the digits of a prepared picture with the classifier deciding how blobs are cut.

Touching digits form one ink blob. Geometry alone cannot tell a wide 0 from two touching 1s,
so each wide blob is read several ways (whole, cut in two, in three, ...) and the reading
whose pieces the classifier is most sure of wins: segmentation by recognition. The rejecter
may overrule that choice with a cut whose every piece it is sure is one digit.
"""

import collections
import math

from edge_runtime import broken_digits, digit_crop, preprocess, segment, touching

# Each extra piece must earn its place: a cut is chosen only when it raises the summed
# log-confidence by more than this (a 0 cut in half reads as two confident-looking 1s).
CUT_PENALTY = 0.7
# Every cut also costs this much: a cut must win clearly (an open 4 read as "21" by a whisker).
CUT_COST = 0.3
FLOOR = 1e-4  # log of a zero score would be -inf
# The rejecter's say in a cut: its log-probability per piece, floored (a piece it rejects
# outright costs as much as one it doubts strongly)...
REJECTER_FLOOR = 0.05
# ...and the cut it prefers replaces the classifier's own choice only when it finds every piece
# at least this likely to be one digit. Without this guard a word's letters, cut apart, passed
# as digits (false digits on 21 generated pages of letters rose from 24 to 60; 0.8 let two more
# through on the test pages without digits, 0.9 none).
VETTED_PIECE = 0.9
# exp(-CUT_PENALTY) ~ 0.5: a whole-blob reading this sure beats any cut, so cuts are skipped,
# unless the rejecter doubts the blob as one digit (is_sure).
SURE = 0.95
# A blob read whole at SURE that the rejecter is this sure is one digit is not held to the
# count its width suggests (vetted_whole).
ONE_WIDE_DIGIT = 0.99

# The rejecter must find a crop at least this likely to be one digit, or it is dropped (in
# context less suffices: edge_runtime/acceptance.py)...
MIN_DIGIT_PROBABILITY = 0.3
LENIENT_PROBABILITY = 0.01  # ...and under this it all but rules a crop out

# Two stacked regions that may be one digit broken across its middle (broken_digits) are read
# whole, and joined when the whole reads at least SURE, the rejecter finds it at least
# VETTED_PIECE likely one digit, and its evidence (log-confidence plus the rejecter's
# log-probability, as a cut's) beats the two regions' readings' by more than JOIN_GAIN: a
# join must win as clearly as a cut (CUT_COST). Measured: lone MNIST digits with three of
# their 28 rows blanked at the middle, 120 pixels tall on a 640x480 frame, read right 52 of
# 200 times instead of 14 (tests/test_edge_reading.py); the easier photo set 1,480 of 1,501
# digits instead of 1,479 (a 3 broken into a 7 over a 1), seed 3's harder set one page more
# (a tight crop of a 5 read "52"), the real photos with a very noisy sensor one more (a 7
# read as two 7s); digits.png 99.20 % tight and padded instead of 99.18 %. Every other page
# of the harder sets, of letters and without digits read the same. At 1.0 instead of 0.3, or
# with each half at most 0.85 of the other digits' height instead of 0.75, the same.
# Without a rejecter nothing is joined.
JOIN_GAIN = CUT_COST

# A digit with a long tail (a 9's or a 7's stem two or three times as tall as its loop or bar,
# as some hands write them) squeezed whole into MNIST's 20x20 box keeps a loop too narrow to
# see: it reads as a 1 that the rejecter doubts (the real photos' long-tailed 9: 0.04, 7: 0.26),
# or that the classifier itself doubts, read under DOUBTED_ONE (a 7 written like a bracket, a
# short bar over a long stem, at 0.5 with the rejecter at 0.67: hypjudy_04).
# A blob at least TAILED times as tall as wide read so is read again from its top, 1.5, 2 and
# 2.5 times its width tall (TAILED_TOPS: MNIST's 7s and 9s are about half as wide as tall, a
# loop's share of the whole varies), and takes the surest head (confidence times the
# rejecter's probability) that is another digit, read at TAILED_SCORE or more and found more
# likely one digit than not (TAILED_PROBABILITY). On the real photos this read two 9s and a 7
# that were lost (recall 96.0 -> 97.1 %; with one head, twice the width tall, 96.8 %); the
# harder sets, the letter pages and the easier photo set read the same. With the rejecter's
# 0.3 instead, a page edge's sliver on a blank page read as a 4 (0.46). Reading the head of a
# 1 the classifier doubts too read 7s for 1s in the real photos (that bracket-like 7: recall
# 97.1 -> 97.5 %, precision 98.2 -> 98.5 %) and in 8 of their 13 variants (6 read better,
# none worse), and 3 more of 120 long-tailed MNIST rows (tests/test_edge_reading.py); the
# harder sets, the letter pages, 600 pages without digits and the easier photo set read the
# same, to the pixel. A 1 with a flat flag leaning right reads so too: drawn, 8 of 640 such
# 1s with flags came back as 7s (README "Reads badly"). Without a rejecter the classifier's
# doubt alone decides, and every sure head counts as one digit.
TAILED = 3.5
TAILED_TOPS = (1.5, 2.0, 2.5)
TAILED_SCORE = 0.9
TAILED_PROBABILITY = 0.5
DOUBTED_ONE = 0.9

Reading = collections.namedtuple("Reading", ["label", "score", "box", "image", "digit_probability"])
Reading.__doc__ = """One classified piece: label, confidence, box in working pixels, 28x28 crop,
and the rejecter's probability that the crop is one digit at all (None until judged)."""


def read_piece(model, page, region, options, whole=None):
    """The piece classified, or None when it holds no digit-shaped ink."""
    image, box = digit_crop.digit_image(page, region, options, whole)
    if image is None:
        return None
    scores = model.scores(image)
    index = int(scores.argmax())
    return Reading(model.labels[index], float(scores[index]), box, image, None)


def hypothesis_score(readings, expected):
    """Summed log-confidence of the pieces' classes, less a cost per cut and a penalty for each
    piece more or fewer than the blob's width suggests (read_region adds too_wide_penalty).
    The classifier's own choice: the rejecter judged some whole wide digits (an open 4) less
    digit-like than the halves of a wrong cut, so it only overrules this (vetted_choice)."""
    return log_confidence(readings) - width_penalty(len(readings), expected) - CUT_COST * (len(readings) - 1)


def log_confidence(readings):
    """The classifier's summed log-confidence in the readings' classes."""
    return sum(math.log(max(r.score, FLOOR)) for r in readings)


def width_penalty(count, expected):
    """CUT_PENALTY for each piece more or fewer than the blob's width suggests (`expected`),
    half a piece either way free."""
    return CUT_PENALTY * max(0.0, abs(count - expected) - 0.5)


def vetted_whole(readings, expected):
    """What the rejecter's pick gives back to a blob read whole at SURE that the rejecter finds
    at least ONE_WIDE_DIGIT likely one digit: its width penalty. The rejecter, not the width,
    tells one wide digit from two: a flat 0 (1.55 times as wide as tall, the writer's digits
    0.67) read whole at 0.996 and 0.996 likely one digit was cut into "67" at 0.98 and 0.977,
    0.82 and 0.99 likely. Measured: the harder sets read 2 more pages exactly (seeds 0 and 3)
    and none fewer; the letter pages, the pages without digits, the real photos and their
    variants and the easier photo set read the same; 120 pages of touching digits one false
    digit fewer (at 0.9 and 0.95 the same on the harder sets, but one true touching digit
    fewer at 0.9)."""
    if len(readings) != 1 or readings[0].score < SURE:
        return 0.0
    probability = readings[0].digit_probability
    return width_penalty(1, expected) if probability is not None and probability >= ONE_WIDE_DIGIT else 0.0


def is_sure(readings, expected):
    """One piece the classifier is sure of, about one digit wide: no cut is tried, unless the
    rejecter (when it was asked) doubts it, from LENIENT_PROBABILITY up to under
    MIN_DIGIT_PROBABILITY. (A blob two digits wide is cut even so: the classifier is often
    as sure of two touching digits.) Two digits touching closely can be about one wide and
    read whole as sure as one (two 8s as an 8 at 0.996); the rejecter sometimes doubts such
    a blob (0.05), so it is cut, and the cut the rejecter is sure of may win (vetted_choice).
    A blob the rejecter turns down outright stays whole, and acceptance.accept drops it: cut,
    a word's letters gave 1s that the rejecter passed."""
    if len(readings) != 1 or readings[0].score < SURE or expected >= 1.5:
        return False
    probability = readings[0].digit_probability
    return probability is None or probability < LENIENT_PROBABILITY or probability >= MIN_DIGIT_PROBABILITY


def typical_aspect(regions, options):
    """Width / height of this picture's single digits (the writer's hand, not MNIST's): the
    median over regions too narrow to be two digits, 1s left out; with fewer than three such
    regions (a short run of touching digits alone), options.typical_aspect, 0.8: a little
    wider than the widest hand of the real photos (0.45-0.77 where measured). At 1.0 such
    runs were cut into too few digits: against it, 120 generated pages of touching digits
    read 1.1-1.6 points more of their digits, rows of digits.png's handwriting 0.6 of their
    height apart 85 -> 88 of 100 exactly (tests/test_edge_classify.py); seeds 2 and 3 of the
    harder set 0.14 and 0.16 points more, seed 0 0.10 points fewer, their exact numbers and
    the real photos the same; 400 pages of letters 264 -> 269 false digits."""
    aspects = [w / h for _, _, w, h in (r.box for r in regions) if 0.35 <= w / h < options.split_aspect]
    return segment.middle(aspects) if len(aspects) >= 3 else options.typical_aspect


def read_region(model, page, region, options, aspect, cuts=True):
    """(best reading, crops classified plus the rejecter's judgements made weighing cuts,
    cutting finer or reading a long tail's head): one digit, or with `cuts` (the frame's crop
    budget not yet spent) the best cut into touching digits, or a long-tailed digit read by its
    head."""
    counts = touching.piece_counts(region.box, options, aspect) if cuts else [1]
    expected = region.box[2] / region.box[3] / aspect
    cutting = counts != [1]
    own = digit_crop.own_ink(page, region) if cutting else None
    rejecter_helps = cutting and model.rejecter is not None
    best, best_score, crops = [], -math.inf, 0
    pick, pick_score = [], -math.inf  # the rejecter's pick: its evidence added
    cuts_read = []  # every cut into two or more pieces, for finer_cut
    for count in counts:
        if is_sure(best, expected):
            break
        for parts in [[region]] if count == 1 else touching.split_candidates(region, own, count):
            readings = [read_piece(model, page, part, options, own) for part in parts]
            crops += len(parts)
            if any(r is None for r in readings) or are_stems(readings):
                continue
            score = hypothesis_score(readings, expected) + too_wide_penalty(readings, options)
            if rejecter_helps:
                readings, combined, judgements = with_rejecter_evidence(model, readings, score, pick_score)
                crops += judgements  # an invoke like any crop's: the frame's budget counts it
                combined += vetted_whole(readings, expected)
                if combined > pick_score:
                    pick, pick_score = readings, combined
            if score > best_score:
                best, best_score = readings, score
            if len(readings) > 1:
                cuts_read.append(readings)
    chosen, judgements = finer_cut(model, vetted_choice(best, pick, options), cuts_read, options)
    chosen = [judged(model, r) for r in chosen]
    crops += judgements
    if not cuts:
        return chosen, crops
    chosen, heads = read_by_its_head(model, page, region, options, chosen)
    return chosen, crops + heads


def are_stems(readings):
    """Whether a cut's pieces all read 1: a letter's stems cut apart (n, u, h, m, w), not
    touching digits, as handwritten 1s side by side do not join. Measured against reading
    such cuts: 400 generated pages of letters 306 -> 264 false digits, 300 pages without
    digits 53 -> 46; the harder sets' pages with digits and 120 pages of touching digits
    read the same, the real photos too but for one 1 more far out of focus."""
    return len(readings) > 1 and all(r.label == "1" for r in readings)


def finer_cut(model, chosen, cuts_read, options):
    """(readings, the rejecter's judgements made): a run cut into two or more digits (`chosen`)
    cut finer, into the fewest more pieces of the `cuts_read` whose every piece is read SURE,
    fits one digit's width and is at least VETTED_PIECE likely one digit to the rejecter; else
    `chosen`. The count a run's width suggests rests on the writer's digit width, and where most
    digits touch there are too few free ones to measure it (typical_aspect's default): "981"
    read "98", the "81" one 8 at 0.98, though each of its three pieces read at 0.99 or more
    and the rejecter found each 0.96 or more likely one digit. On the harder set's 31 pages
    of touching digits (seed 0) 18 more digits read right (recall 96.92 -> 97.09 %); only
    pages of touching digits and 3 letter pages read differently, on seeds 2 and 3 too. Each
    piece at 0.99 instead of SURE read one digit less on seed 3; at 0.5, 3 digits less on seed
    0 and 3 more on seed 3. A blob read whole stays whole: cut so, halves of wide 0s read
    surely as "6" and "7" on other pages, and recall fell on all three seeds. Without a
    rejecter nothing is cut finer."""
    if model.rejecter is None or len(chosen) < 2:
        return chosen, 0
    judgements = 0
    for cut in sorted((cut for cut in cuts_read if len(cut) > len(chosen)), key=len):
        if any(r.score < SURE or is_too_wide(r.box, options) for r in cut):
            continue
        vetted, invokes = vetted_pieces(model, cut)
        judgements += invokes
        if vetted is not None:
            return vetted, judgements
    return chosen, judgements


def vetted_pieces(model, readings):
    """(the readings judged, or None as soon as one piece is under VETTED_PIECE; the rejecter's
    invokes): pieces are judged one by one, and no further once one fails."""
    vetted, invokes = [], 0
    for reading in readings:
        invokes += reading.digit_probability is None
        reading = judged(model, reading)
        if reading.digit_probability < VETTED_PIECE:
            return None, invokes
        vetted.append(reading)
    return vetted, invokes


def read_by_its_head(model, page, region, options, readings):
    """(readings, crops classified or judged): one 1 at least TAILED times as tall as wide
    that the rejecter or the classifier doubts read again from its top (see TAILED), the whole
    blob's box kept; else the readings."""
    if not is_doubted_tall_one(readings, region.box):
        return readings, 0
    x, y, w, h = region.box
    heads, crops = [], 0
    for share in TAILED_TOPS:
        top = segment.Region((x, y, w, max(1, round(share * w))), region.ids, None)
        head = read_piece(model, page, top, options)
        crops += 1 if head is None else 1 + (model.rejecter is not None)  # classified, then judged
        if head is not None:
            heads.append(judged(model, head))
    heads = [r for r in heads if is_another_digit(r)]
    if not heads:
        return readings, crops
    head = max(heads, key=lambda r: r.score * r.digit_probability)
    return [readings[0]._replace(label=head.label, score=head.score, image=head.image,
                                 digit_probability=head.digit_probability)], crops


def is_doubted_tall_one(readings, box):
    """One reading of a 1 whose blob's `box` is at least TAILED times as tall as wide, which
    the classifier reads under DOUBTED_ONE or the rejecter finds less likely one digit than
    MIN_DIGIT_PROBABILITY."""
    if len(readings) != 1 or readings[0].label != "1" or box[3] < TAILED * box[2]:
        return False
    return readings[0].score < DOUBTED_ONE or readings[0].digit_probability < MIN_DIGIT_PROBABILITY


def is_another_digit(head):
    """A long tail's head read as a digit other than 1, surely (TAILED_SCORE) and more likely
    one digit than not (TAILED_PROBABILITY)."""
    return head.label != "1" and head.score >= TAILED_SCORE and head.digit_probability >= TAILED_PROBABILITY


def judged(model, reading):
    """The reading with the rejecter's probability, asked for only when not yet known."""
    if reading.digit_probability is not None:
        return reading
    return reading._replace(digit_probability=model.digit_probability(reading.image))


def with_rejecter_evidence(model, readings, score, to_beat):
    """(readings, score plus the rejecter's evidence, pieces judged), judged piece by piece.
    The evidence only lowers a score, so judging stops once the score is down to `to_beat`:
    the cut cannot win any more (its remaining pieces are left unjudged)."""
    readings = list(readings)
    for index, reading in enumerate(readings):
        if score <= to_beat:
            return readings, score, index
        readings[index] = reading = judged(model, reading)
        score += rejecter_evidence([reading])
    return readings, score, len(readings)


def rejecter_evidence(readings):
    """The rejecter's say in a cut: its summed log-probability that each piece is one digit."""
    return sum(math.log(max(r.digit_probability, REJECTER_FLOOR)) for r in readings)


def vetted_choice(chosen, pick, options):
    """The rejecter's pick when it is sure of each of its pieces and none is too wide to keep,
    else the classifier's choice. A run of touching digits cut wrongly leaves a piece holding
    parts of two digits that the classifier may still read with confidence; the rejecter
    doubts it."""
    if pick and all(r.digit_probability >= VETTED_PIECE and not is_too_wide(r.box, options) for r in pick):
        return pick
    return chosen


def too_wide_penalty(readings, options):
    """A piece wider than one digit is dropped after the choice (read_page), so a reading with
    one is worth no more than one with a piece the classifier cannot read at all."""
    return math.log(FLOOR) * sum(is_too_wide(r.box, options) for r in readings)


def is_too_wide(box, options):
    """Wider than one digit for its height: such a piece is dropped (read_page)."""
    return box[2] / box[3] > options.max_aspect


def read_page(model, page, options):
    """Every reading in the page, touching digits cut, broken ones joined, in no particular order."""
    regions, budget = preprocess.reading_plan(page, options)
    aspect = typical_aspect(regions, options)
    read, spent = [], 0
    for region in regions:  # biggest first; cuts are tried while the crop budget lasts
        cuts = spent < budget
        if not cuts and is_too_wide(region.box, options):
            continue  # too wide for one digit, and no budget left to cut it
        found, crops = read_region(model, page, region, options, aspect, cuts)
        if found:
            read.append((region, found))
        spent += crops
    read = joined_halves(model, page, options, read, budget - spent)
    return [r for _, found in read for r in found if not is_too_wide(r.box, options)]


def joined_halves(model, page, options, read, budget):
    """`read`, (region, its readings) pairs, with the stacked halves of broken digits read as
    one (JOIN_GAIN), each region joined once, the surest joins first, while two of the `budget`
    crops left remain (a whole read, then judged). Without a rejecter nothing is joined: the
    classifier alone would join two whole digits whenever it doubts one of them. A region
    that gave no reading (its crop too small or empty) is not in `read`, so it never joins."""
    if model.rejecter is None:
        return read
    joins = []
    pairs = broken_digits.stacked_halves([region.box for region, _ in read],
                                         [[r.box[3] for r in found] for _, found in read])
    for upper, lower in pairs:
        if budget < 2:
            break
        whole = read_piece(model, page, broken_digits.joined(read[upper][0], read[lower][0]), options)
        if whole is None:
            continue
        budget -= 1
        if whole.score < SURE:
            continue
        whole = judged(model, whole)
        budget -= 1
        gain = log_evidence([whole]) - log_evidence([judged(model, r) for r in read[upper][1] + read[lower][1]])
        if whole.digit_probability >= VETTED_PIECE and gain > JOIN_GAIN:
            joins.append((gain, upper, lower, whole))
    joined, wholes = set(), []
    for _, upper, lower, whole in sorted(joins, key=lambda join: -join[0]):
        if upper not in joined and lower not in joined:
            joined.update((upper, lower))
            wholes.append((None, [whole]))
    return [entry for k, entry in enumerate(read) if k not in joined] + wholes


def log_evidence(readings):
    """How surely these (judged) readings are digits of their classes: the classifier's summed
    log-confidence plus the rejecter's log-probability that each is one digit."""
    return log_confidence(readings) + rejecter_evidence(readings)


def in_reading_order(readings, options):
    """Readings grouped into lines in reading order, specks beside bigger digits dropped."""
    return [[readings[i] for i in line]
            for line in preprocess.lines_in_reading_order([r.box for r in readings], options)]
