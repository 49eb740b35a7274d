"""Read the digits of a prepared picture with the classifier deciding how blobs are cut.

Touching digits form one ink blob. Geometry alone cannot tell a wide 0 from two touching 1s,
so each wide blob is read several ways (whole, cut in two, in three, ...) and the reading
whose pieces the classifier is most sure of wins: segmentation by recognition. The rejecter
may overrule that choice with a cut whose every piece it is sure is one digit.
"""

import collections
import math

from edge_runtime import digit_crop, lines, preprocess, segment, touching

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

# The rejecter must find a crop at least this likely to be one digit, or it is dropped...
MIN_DIGIT_PROBABILITY = 0.3
# ...unless two or more sure digits share its line (digits come in rows, junk rarely lines up
# with them) or it fills much of the picture: there the prior odds are several times higher
# and this much suffices.
IN_LINE_PROBABILITY = 0.05
DOMINANT = 0.3               # of the picture's height or width: a digit the camera was pointed at
LENIENT_PROBABILITY = 0.01  # such a digit is rejected only when the rejecter is all but certain
FITS_LINE_SCORE = 0.9       # a crop read this confidently...
FITS_LINE_HEIGHT = 1.25    # ...and as tall as its line's sure digits, give or take this factor
# A 1 written alone has no line to back it, and the rejecter takes its stroke for a rule
# (0.012-0.137 on the easier photo set's three lone 1s, all dropped). The only reading of the
# picture (over the least score; lines of text count too), read as 1 at least SURE, not ruled
# out (LENIENT_PROBABILITY) and at least this share of the picture's height is kept: the
# easier photo set read 1,476 of 1,501 digits instead of 1,473; on 600 generated pages without
# digits it read 1 false digit more (138 in all); the harder set, the letter pages and the real
# photos read the same. Without the height floor the 300 pages of one seed read 3 more (16-46
# pixel strokes on 768-pixel pages).
LONE_ONE_HEIGHT = 0.1
# A line holding at least this many crops the rejecter turns down outright (under
# LENIENT_PROBABILITY) and none it finds at least TEXT_SURE likely to be a digit is text: a
# word whose letters pass as digits here and there ("n" cut into "1" and "7", a "b" read as 0).
# None of its crops is a digit. Measured on two generated sets (500 and 300 pages): false
# digits on the pages without digits 15 -> 9 and 18 -> 17, exact numbers 366 -> 368 and
# 202 -> 203, recall the same; the real photos read the same. Keeping the sure crops of lines
# with as many turned down as sure instead dropped a number's doubtful digits beside a word
# (a third of the real photos' digits are under 0.9); counting crops under 0.05 as turned
# down, blurred real photos lost faint digits.
TEXT_TURNED_DOWN = 2
TEXT_SURE = 0.9

# A digit with a long tail (a 9's or a 7's stem two or three times as tall as its loop or bar,
# as some hands write them) squeezed whole into MNIST's 20x20 box keeps a loop too narrow to
# see: it reads as a 1 that the rejecter doubts (the real photos' long-tailed 9: 0.04, 7: 0.26).
# A blob at least TAILED times as tall as wide read so is read again from its top, 1.5, 2 and
# 2.5 times its width tall (TAILED_TOPS: MNIST's 7s and 9s are about half as wide as tall, a
# loop's share of the whole varies), and takes the surest head (confidence times the
# rejecter's probability) that is another digit, read at TAILED_SCORE or more and found more
# likely one digit than not (TAILED_PROBABILITY). On the real photos this read two 9s and a 7
# that were lost (recall 96.0 -> 97.1 %; with one head, twice the width tall, 96.8 %); the
# harder sets, the letter pages and the easier photo set read the same. With the rejecter's
# 0.3 instead, a page edge's sliver on a blank page read as a 4 (0.46).
TAILED = 3.5
TAILED_TOPS = (1.5, 2.0, 2.5)
TAILED_SCORE = 0.9
TAILED_PROBABILITY = 0.5

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
    confidence = sum(math.log(max(r.score, FLOOR)) for r in readings)
    surprise = max(0.0, abs(len(readings) - expected) - 0.5)
    return confidence - CUT_PENALTY * surprise - CUT_COST * (len(readings) - 1)


def is_sure(readings, expected):
    """One piece the classifier is sure of, about one digit wide: no cut is tried, unless the
    rejecter (when it was asked) doubts it, from LENIENT_PROBABILITY up to under
    MIN_DIGIT_PROBABILITY. (A blob two digits wide is cut even so: the classifier is often
    as sure of two touching digits.) Two digits touching closely can be about one wide and
    read whole as sure as one (two 8s as an 8 at 0.996); the rejecter sometimes doubts such
    a blob (0.05), so it is cut, and the cut the rejecter is sure of may win (vetted_choice).
    A blob the rejecter turns down outright stays whole, and accept drops it: cut, a word's
    letters gave 1s that the rejecter passed."""
    if len(readings) != 1 or readings[0].score < SURE or expected >= 1.5:
        return False
    probability = readings[0].digit_probability
    return probability is None or probability < LENIENT_PROBABILITY or probability >= MIN_DIGIT_PROBABILITY


def typical_aspect(regions, options):
    """Width / height of this picture's single digits (the writer's hand, not MNIST's): the
    median over regions too narrow to be two digits, 1s left out."""
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
            if any(r is None for r in readings):
                continue
            score = hypothesis_score(readings, expected) + too_wide_penalty(readings, options)
            if rejecter_helps:
                readings, combined, judgements = with_rejecter_evidence(model, readings, score, pick_score)
                crops += judgements  # an invoke like any crop's: the frame's budget counts it
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
    """(readings, crops classified or judged): one doubtful 1 at least TAILED times as tall as
    wide read again from its top (see TAILED), the whole blob's box kept; else the readings."""
    x, y, w, h = region.box
    if (len(readings) != 1 or readings[0].label != "1" or h < TAILED * w
            or readings[0].digit_probability >= MIN_DIGIT_PROBABILITY):
        return readings, 0
    heads, crops = [], 0
    for share in TAILED_TOPS:
        top = segment.Region((x, y, w, max(1, round(share * w))), region.ids, None)
        head = read_piece(model, page, top, options)
        crops += 1 if head is None else 2  # classified, then judged
        if head is not None:
            heads.append(judged(model, head))
    heads = [r for r in heads if is_another_digit(r)]
    if not heads:
        return readings, crops
    head = max(heads, key=lambda r: r.score * r.digit_probability)
    return [readings[0]._replace(label=head.label, score=head.score, image=head.image,
                                 digit_probability=head.digit_probability)], crops


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
    """Every reading in the page, touching digits cut, in no particular order."""
    regions = preprocess.candidate_regions(page, options)
    aspect = typical_aspect(regions, options)
    budget = preprocess.per_frame(page, options.max_crops)
    readings, spent = [], 0
    for region in regions:  # biggest first; cuts are tried while the crop budget lasts
        cuts = spent < budget
        if not cuts and is_too_wide(region.box, options):
            continue  # too wide for one digit, and no budget left to cut it
        found, crops = read_region(model, page, region, options, aspect, cuts)
        readings.extend(found)
        spent += crops
    return [r for r in readings if not is_too_wide(r.box, options)]


def accept(readings, shape):
    """The readings the rejecter lets through, judged in context: in a line with two or more
    sure digits, or filling much of the picture (a digit held up to the camera, a tight crop
    of one digit), the odds that a crop is a digit are higher, and less evidence suffices.
    A thin 1 looks like a rule to the rejecter; one as tall as its line's sure digits and
    read confidently needs only the lenient level, and so does a 1 alone (is_lone_one). A
    line of text holds no digit (outside_text)."""
    alone = len(readings) == 1
    readings = outside_text(readings, shape)
    candidates = [r for r in readings if r.digit_probability >= LENIENT_PROBABILITY or is_confident_one(r)]
    sure = [r.digit_probability >= MIN_DIGIT_PROBABILITY or is_dominant(r.box, shape)
            or (alone and is_lone_one(r, shape)) for r in candidates]
    kept = set()
    for line in lines.group_lines([r.box for r in candidates]):
        backing = [candidates[i].box[3] for i in line if sure[i]]
        kept.update(i for i in line if sure[i] or (len(backing) >= 2 and in_line(candidates[i], backing)))
    # In the given order: when all are kept, the reading order groups the same boxes again
    # and finds them grouped already (lines.group_lines).
    return [r for i, r in enumerate(candidates) if i in kept]


def is_lone_one(reading, shape):
    """A 1 that may stand alone (the caller checks it is the picture's only reading): read at
    least SURE, not ruled out by the rejecter, and at least LONE_ONE_HEIGHT of the picture tall."""
    return (reading.label == "1" and reading.score >= SURE and reading.digit_probability >= LENIENT_PROBABILITY
            and reading.box[3] >= LONE_ONE_HEIGHT * shape[0])


def outside_text(readings, shape):
    """The readings less the lines of text: lines where the rejecter turns down
    TEXT_TURNED_DOWN crops or more and is sure (TEXT_SURE) of none. A confident 1 is never
    counted as turned down (the rejecter doubts thin 1s); one sure digit keeps its line, so a
    number beside a word keeps its doubtful digits too, and so does a crop filling much of
    the picture (is_dominant: what the camera was pointed at)."""
    down = [is_turned_down(r) for r in readings]
    if sum(down) < TEXT_TURNED_DOWN:
        return readings  # the common frame: no line can be text, and no grouping is paid for
    dropped = set()
    for line in lines.unordered_lines([r.box for r in readings]):
        turned_down = sum(down[i] for i in line)
        if turned_down >= TEXT_TURNED_DOWN and not any(keeps_its_line(readings[i], shape) for i in line):
            dropped.update(line)
    return [r for i, r in enumerate(readings) if i not in dropped]


def keeps_its_line(reading, shape):
    """A crop that makes its line no text: one the rejecter is sure of, or one filling much
    of the picture."""
    return reading.digit_probability >= TEXT_SURE or is_dominant(reading.box, shape)


def is_turned_down(reading):
    """A crop the rejecter all but rules out, unless it is a confident 1."""
    return reading.digit_probability < LENIENT_PROBABILITY and not is_confident_one(reading)


def in_line(reading, heights):
    """Digit enough for a line of sure digits of these heights: likely by the rejecter, or
    read confidently and no shorter or taller than they are (give or take FITS_LINE_HEIGHT).
    The range, not the middle: hands write 1s and 7s taller than 0s and 2s."""
    if reading.digit_probability >= IN_LINE_PROBABILITY:
        return True
    height = reading.box[3]
    return is_confident_one(reading) and min(heights) / FITS_LINE_HEIGHT <= height <= max(heights) * FITS_LINE_HEIGHT


def is_confident_one(reading):
    """A crop read as 1 with confidence: a single stroke, which the rejecter cannot tell from
    a rule or a page edge by its crop alone (its line can)."""
    return reading.label == "1" and reading.score >= FITS_LINE_SCORE


def is_dominant(box, shape):
    """A box at least DOMINANT of the picture's height or width."""
    return segment.spans(box, shape, DOMINANT)


def in_reading_order(readings, options):
    """Readings grouped into lines in reading order, specks beside bigger digits dropped."""
    return [[readings[i] for i in line]
            for line in preprocess.lines_in_reading_order([r.box for r in readings], options)]
