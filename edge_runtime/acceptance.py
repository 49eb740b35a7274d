"""Which readings of a picture are digits: the rejecter's probability judged in context. Digits
come in rows and junk rarely lines up with them, the digit a camera was pointed at fills much of
the picture, a 1 may stand alone, and a line of text holds none (edge_runtime/reading.py reads
the picture; this keeps what is a digit).
"""

from edge_runtime import blob_boxes, lines, reading

# A crop needs reading.MIN_DIGIT_PROBABILITY on its own, unless two or more sure digits share
# its line (digits come in rows, junk rarely lines up with them) or it fills much of the
# picture: there the prior odds are several times higher and this much suffices...
IN_LINE_PROBABILITY = 0.05
DOMINANT = 0.3               # of the picture's height or width: a digit the camera was pointed at
# ...and such a digit is dropped only under reading.LENIENT_PROBABILITY, when the rejecter is
# all but certain.
FITS_LINE_SCORE = 0.9       # a crop read this confidently...
FITS_LINE_HEIGHT = 1.25    # ...and as tall as its line's sure digits, give or take this factor
# A crop read at LONG_LINE_SCORE, as tall as its line's sure digits and between the first
# and the last of them, where there are LONG_LINE or more, is a digit of the number however
# much the rejecter doubts it (it is a candidate only from reading.LENIENT_PROBABILITY up): an
# odd hand's 5, its bar a long flat roof over a short stem, read as 5 at 0.996 and 0.004-0.04
# likely one digit, was lost from five pages of the harder set. Measured against the rule
# left out: the harder sets' exact numbers 386 -> 387 (seed 0), 223 -> 225 (seed 2) and 233
# (seed 3), recall 97.09 -> 97.13 % and 97.22 -> 97.30 %, precision 98.42 % the same and
# 98.39 -> 98.38 %, seed 3 the same; their pages without digits, 400 pages of letters and 300
# without digits the same; 120 pages of touching digits 0-0.4 points more recall, up to 0.2
# less precision; the real photos as they are the same, in 6 of their 15 variants a digit or
# two more read (a noisy sensor 95.3 -> 96.0 % recall), overexposed's in the wrong place.
# Between, not beside: 300 rows of digits.png's handwriting with a letter before or after
# the number read the same, but with any crop of the line 5 letters more (208 exact, not
# 213); with 4 sure digits a letter page of seed 2 read two false digits more.
LONG_LINE = 5
LONG_LINE_SCORE = 0.99
# A 1 written alone has no line to back it, and the rejecter takes its stroke for a rule
# (0.012-0.137 on the easier photo set's three lone 1s, all dropped). The only reading of the
# picture (over the least score; lines of text count too), read as 1 at least reading.SURE,
# not ruled out (reading.LENIENT_PROBABILITY) and at least this share of the picture's height
# is kept: the easier photo set read 1,476 of 1,501 digits instead of 1,473; on 600 generated
# pages without digits it read 1 false digit more (138 in all); the harder set, the letter
# pages and the real photos read the same. Without the height floor the 300 pages of one seed
# read 3 more (16-46 pixel strokes on 768-pixel pages).
LONE_ONE_HEIGHT = 0.1
# A line holding at least this many crops the rejecter turns down outright (under
# TURNED_DOWN) and none it finds at least TEXT_SURE likely to be a digit is
# text: a word whose letters pass as digits here and there ("n" cut into "1" and "7", a "b"
# read as 0). None of its crops is a digit. Measured on two generated sets (500 and 300
# pages): false digits on the pages without digits 15 -> 9 and 18 -> 17, exact numbers 366 ->
# 368 and 202 -> 203, recall the same; the real photos read the same. Keeping the sure crops
# of lines with as many turned down as sure instead dropped a number's doubtful digits beside
# a word (a third of the real photos' digits are under 0.9); counting crops under 0.05 as
# turned down, blurred real photos lost faint digits. Each word of a line (lines.words) is
# judged so too: the number's sure digits kept "Room 36"'s line, and the m's first stroke
# passed as a 1 (40 touching pairs after "Room", read in a plain font: 22 -> 30 exact). The
# harder sets, the real photos and their variants read the same; pages of letters 441 -> 440
# and 541 -> 539 false digits.
TEXT_TURNED_DOWN = 2
TEXT_SURE = 0.9
# A 1 the rejecter is sure of does not keep its line from being text: one stroke is a letter's
# stem ("l", "t", a cut "n") as often as a 1, as it is never counted as turned down either.
# Measured against sure 1s vouching: two sets of 200 pages of letters 198 -> 159 and 176 ->
# 147 false digits, 300 pages without digits 58 -> 53, the harder sets' pages without digits
# 1, 9 -> 7 and 1; their digits the same; 120 pages of touching digits 4 true digits fewer
# (1s among crops of failed cuts); the real photos the same, blurred by 3 pixels 3 digits
# fewer (77.7 -> 76.6 % recall, 90.8 -> 91.4 % precision), their other 13 variants the same.
# The short-line rule (SHORT_LINE_CROPS) still counts a sure 1: not counting it there either
# took the letters to 156 and 136 but 2 more digits from the blurred real photos.
# Turned down, for the text rules and scattered_digits: under this. Letters measure 0.01-0.03
# about as often as under 0.01. At 0.03 instead of reading.LENIENT_PROBABILITY (0.01): two
# sets of 400 pages of letters 419 -> 361 and 510 -> 459 false digits, 600 pages without
# digits 99 -> 90; the harder sets (seeds 0, 2, 3) and the real photos read the same; 120
# pages of touching digits (seeds 12-14, 1,970 digits) 4 true digits and 1 false digit
# fewer. At 0.04 the pages of letters read 3 and 8 false digits fewer, those without digits
# 1; at 0.05 a digit of the real photos under a shadow was lost. With the rule below, the real
# photos' 13 variants, the easier photo set and digits.png read as they did before both.
TURNED_DOWN = 0.03
# A short word (at most CUT_WORD_CROPS crops, a word of lines.words: never a whole line) is
# text too when two crops not turned down abut, as pieces cut from one blob do (is_cut_pair),
# and one turned down is no wider than LETTER_WIDE times its height: a sans-serif "n" cut
# into "1" and "7", passed at 0.59-0.97, beside a "p" or a "w" turned down. A wider crop
# turned down is a run of touching digits that could not be cut, and its number keeps its
# digits. Judged once the lines of text are gone, when the readings left group into shorter
# words. Measured against the rule left out: the harder set's 100 photos without digits 8 ->
# 3 false digits; the pages of letters 385 -> 361 and 487 -> 459, 600 pages without digits
# 100 -> 90; the harder sets' digits and the real photos read the same; the 120 pages of
# touching digits 3 true digits fewer. Any word size, or crops meeting within a pixel or
# two, lost true digits of touching numbers (seed 3 recall 95.80 -> 95.36 %).
CUT_WORD_CROPS = 4
LETTER_WIDE = 1.1
CUT_ROWS = 0.7  # of the shorter's height, shared: cut pieces share their blob's rows
# ...unless the rejecter is all but certain (CERTAIN) that one of the word's crops, not a 1, is
# one digit: a run of touching digits cut into pieces abuts too, and a piece of it turned down
# took the sure digits beside it ("3178": "31" read as 3 and turned down, beside a 7 at 0.996
# and an 8 at 0.977). The cut letters' pieces passed at 0.59-0.97. Measured against every cut
# word dropped: 120 pages of touching digits (seeds 12-14) recall 70.75 -> 71.18 %, 73.72 ->
# 74.12 % and 71.45 -> 71.99 % (precision 95.34 -> 95.37 %, 95.13 -> 94.83 % and 92.99 ->
# 93.04 %); the harder set's seed 0 recall 97.13 -> 97.15 %, precision 98.42 -> 98.41 % (two
# pages of touching digits read differently); seeds 2 and 3, their pages without digits, 400
# pages of letters, 300 pages without digits, the real photos and their variants and 300 rows
# of a number beside a letter read the same. On sets not looked at before: 120 more pages of
# touching digits (seeds 15-17) recall 71.93 and 66.40 % the same and 68.00 -> 69.91 %
# (precision 93.01 % the same, 94.99 -> 94.56 % and 96.07 -> 95.71 %; a page read "69" for its
# 19 digits now reads 15 of them); seed 4's 150 pages the same; seed 1's 150
# (tests/test_edge_pages.py) recall 94.97 -> 94.76 %: a page of touching digits read
# differently in a later look and lost 5 digits.
CERTAIN = 0.99
# A line of at most this many crops, one turned down and none the rejecter is sure of
# (TEXT_SURE), is a short word alone on its line: "pdh" whose "d" passed as a 0 (0.39 likely
# one digit) beside its "p" turned down; the text rules above need two crops turned down, or
# a cut pair. Judged last, on whole lines only. Measured against the rule left out: the
# harder set's 100 photos without digits (seed 0) 2 -> 1 false digits (seeds 2 and 3: 10 and
# 1, the same); pages of letters 224 -> 198 and 210 -> 176, 300 pages without digits 70 ->
# 58; the harder sets' digits the same but one page more exact (seed 2: a stray "7" after
# "3853819" gone); 120 pages of touching digits 2 true digits fewer; the real photos and their
# 14 variants read the same. Lines of up to 2, 3 and 6 crops: 212, 199 and 195 false digits
# on the first letter pages, the real photos the same; without a limit, the real photos far
# out of focus lost 8 points of recall (their doubtful long lines). Counting crops under
# 0.05 as turned down here dropped 4 real digits of the photos with a very noisy sensor.
SHORT_LINE_CROPS = 4
# Digits scattered over a page, in no row: a crop read at reading.SURE that the rejecter finds
# at least this likely one digit is kept in a picture with two or more digits the rejecter
# finds likely on their own and no crop turned down (in lines of text too), when it is as tall
# as they are (give or take FITS_LINE_HEIGHT). On the easier photo set, of MNIST digits
# scattered at random (the rejecter doubts some: a 3 at 0.21, a 6 and a 4 at 0.11): 1,479 of
# 1,501 digits instead of 1,476, no false digit more; the harder set 2 digits more right and
# none false, the 400 pages of letters none either; 1 false digit more on 600 generated pages
# without digits. At 0.05, a desk's blob beside a page of 40 digits read as a 5 (seed 2, page
# 152). Not a 1: pieces of a page's or a sticky note's edge read as 1s there (with 1s at 0.15
# or more, 11 false digits more on the harder set's three seeds).
SCATTERED_PROBABILITY = 0.1
# The picture's only digit, read under this score, not filling much of it (is_dominant), among
# other crops all turned away, is junk like them: a letter's piece beside its word, a corner of
# a page. A digit written alone leaves no other crops. Measured: 1,000 cells of digits.png
# (real handwriting) each alone on a page read the same (988 right; 7 of them under 0.8, all
# the picture's only crop); false digits on the harder sets' pages without digits 3 -> 2, 11
# -> 10 and 1 -> 1, on 400 pages of letters 446 -> 434, on 300 pages without digits 71 -> 70;
# the harder sets' and the touching pages' digits read the same. Without the other crops'
# condition, 7 of those 1,000 real digits were lost. One filling much of the picture is junk
# too when the rejecter doubts it (under reading.MIN_DIGIT_PROBABILITY): a square of squared
# paper's grid, 0.4 of a shaded photo wide, read as 4 at 0.73 and 0.03 likely one digit (seed
# 2, page 213). Measured against dominant readings all kept: the harder sets' pages without
# digits 1, 10 -> 9 and 1 false digits, 200 squared pages without digits 8 -> 7; 200 pages of
# big digits and 200 tight crops, the harder sets' digits, the letter pages, 300 pages without
# digits, the touching pages, the real photos and their 14 variants read the same.
LONE_SCORE = 0.8


def accept(readings, shape):
    """The readings the rejecter lets through, judged in context: in a line with two or more
    sure digits, or filling much of the picture (a digit held up to the camera, a tight crop
    of one digit), the odds that a crop is a digit are higher, and less evidence suffices.
    A thin 1 looks like a rule to the rejecter; one as tall as its line's sure digits and
    read confidently needs only the lenient level, and so does a 1 alone (is_lone_one). A
    line of text holds no digit (outside_text), and a picture without junk may hold digits
    scattered in no row (scattered_digits). The picture's only digit, read doubtfully among
    crops all turned away, is junk like them (is_doubtful_among_junk)."""
    alone, everything = len(readings) == 1, readings
    readings = outside_text(readings, shape)
    candidates = [r for r in readings if r.digit_probability >= reading.LENIENT_PROBABILITY or is_confident_one(r)]
    sure = [r.digit_probability >= reading.MIN_DIGIT_PROBABILITY or is_dominant(r.box, shape)
            or (alone and is_lone_one(r, shape)) for r in candidates]
    kept = set()
    for line in lines.group_lines([r.box for r in candidates]):
        backing = [candidates[i] for i in line if sure[i]]
        kept.update(i for i in line if sure[i] or (len(backing) >= 2 and in_line(candidates[i], backing)))
    kept.update(scattered_digits(candidates, everything))
    # In the given order: when all are kept, the reading order groups the same boxes again
    # and finds them grouped already (lines.group_lines).
    accepted = [r for i, r in enumerate(candidates) if i in kept]
    return [] if is_doubtful_among_junk(accepted, everything, shape) else accepted


def is_doubtful_among_junk(accepted, everything, shape):
    """Whether the one reading accepted is read under LONE_SCORE, beside other crops of the
    picture (`everything`) that were all turned away, and does not fill much of it or does
    but the rejecter doubts it (under reading.MIN_DIGIT_PROBABILITY)."""
    if len(accepted) != 1 or len(everything) < 2 or accepted[0].score >= LONE_SCORE:
        return False
    return not is_dominant(accepted[0].box, shape) or accepted[0].digit_probability < reading.MIN_DIGIT_PROBABILITY


def scattered_digits(candidates, everything):
    """Indices of the candidates kept as digits scattered over the picture (see
    SCATTERED_PROBABILITY): none unless two or more are likely digits to the rejecter on their
    own (reading.MIN_DIGIT_PROBABILITY) and no crop of the picture (`everything`, lines of
    text included) is turned down."""
    heights = [c.box[3] for c in candidates if c.digit_probability >= reading.MIN_DIGIT_PROBABILITY]
    if len(heights) < 2 or any(is_turned_down(r) for r in everything):
        return []
    return [i for i, candidate in enumerate(candidates) if is_scattered_digit(candidate, heights)]


def is_scattered_digit(candidate, heights):
    """Read surely as a digit other than 1, at least SCATTERED_PROBABILITY likely one digit to
    the rejecter, and as tall as the sure digits of these heights (is_as_tall)."""
    return (candidate.label != "1" and candidate.score >= reading.SURE
            and candidate.digit_probability >= SCATTERED_PROBABILITY
            and is_as_tall(candidate.box[3], heights))


def is_lone_one(candidate, shape):
    """A 1 that may stand alone (the caller checks it is the picture's only reading): read at
    least reading.SURE, not ruled out by the rejecter, and at least LONE_ONE_HEIGHT of the
    picture tall."""
    return (candidate.label == "1" and candidate.score >= reading.SURE
            and candidate.digit_probability >= reading.LENIENT_PROBABILITY
            and candidate.box[3] >= LONE_ONE_HEIGHT * shape[0])


def outside_text(readings, shape):
    """The readings less the lines and words of text: lines, or words of a line (each judged
    on its own, lines.words), where the rejecter turns down TEXT_TURNED_DOWN crops or more and
    is sure (TEXT_SURE) of none but 1s. A confident 1 is never counted as turned down (the
    rejecter doubts thin 1s) nor as sure (vouches_for_number); one sure digit other than a 1
    keeps its word, so a number beside a word keeps its doubtful digits too, and so does a
    crop filling much of the picture (is_dominant: what the camera was pointed at). Then, of
    the readings left, the short words with a letter turned down beside two abutting crops,
    unless the rejecter is all but certain of one (is_cut_word), and the short lines with one crop
    turned down (SHORT_LINE_CROPS)."""
    down = [is_turned_down(r) for r in readings]
    if sum(down) >= TEXT_TURNED_DOWN:
        first = readings
        readings = without_groups(first, shape, lambda group: is_text_line(first, group, down), line_and_words)
        down = [is_turned_down(r) for r in readings]
    if not any(down):
        return readings  # the common frame: no word can be text, and no grouping is paid for
    boxes = [r.box for r in readings]
    down_letters = [d and is_letter_wide(box) for d, box in zip(down, boxes)]
    if any(down_letters) and any_cut_pair([box for box, d in zip(boxes, down) if not d]):
        readings = without_groups(readings, shape, lambda group: is_cut_word(readings, group, down, down_letters),
                                  lines.words)
        down = [is_turned_down(r) for r in readings]
    return without_short_text_lines(readings, shape, down)


def without_short_text_lines(readings, shape, down):
    """The readings less the lines of at most SHORT_LINE_CROPS crops, one turned down (`down`
    flags them) and none that the rejecter is sure of (TEXT_SURE): a short word alone on its
    line."""
    if not any(down):
        return readings
    return without_groups(readings, shape, lambda group: is_short_text_line(readings, group, down), whole_line)


def without_groups(readings, shape, is_text, groups):
    """The readings less each group of a line (`groups(boxes, line)`: the line itself, its
    words or both) for which `is_text(group)` (a list of indices into `readings`) holds,
    unless a crop of it fills much of the picture (is_dominant)."""
    boxes = [r.box for r in readings]
    dropped = set()
    for line in lines.unordered_lines(boxes):
        for group in groups(boxes, line):
            if is_text(group) and not any(is_dominant(boxes[i], shape) for i in group):
                dropped.update(group)
    return [r for i, r in enumerate(readings) if i not in dropped]


def line_and_words(boxes, line):
    """A line of `boxes` and each of its words (lines.words): both are judged as text."""
    return [line] + lines.words(boxes, line)


def whole_line(boxes, line):
    """A line of `boxes` judged whole, its words not on their own."""
    return [line]


def is_text_line(readings, group, down):
    """TEXT_TURNED_DOWN crops of the group turned down (`down` flags them) and none that
    vouches for a number (vouches_for_number)."""
    return (sum(down[i] for i in group) >= TEXT_TURNED_DOWN
            and not any(vouches_for_number(readings[i]) for i in group))


def vouches_for_number(candidate, level=TEXT_SURE):
    """A crop the rejecter is sure of (`level`: TEXT_SURE, or CERTAIN for a cut word) that is
    not a 1: a single stroke may be a letter's stem however sure the rejecter is (see
    TEXT_SURE)."""
    return candidate.digit_probability >= level and candidate.label != "1"


def is_short_text_line(readings, group, down):
    """At most SHORT_LINE_CROPS crops, one or more turned down and none that the rejecter is
    sure of (TEXT_SURE), 1s too."""
    return (len(group) <= SHORT_LINE_CROPS and any(down[i] for i in group)
            and not any(readings[i].digit_probability >= TEXT_SURE for i in group))


def is_cut_word(readings, group, down, down_letters):
    """At most CUT_WORD_CROPS crops, one turned down no wider than a letter (`down_letters`
    flags those) and two not turned down that abut (is_cut_pair), and none the rejecter is
    all but certain is one digit (vouches_for_number at CERTAIN)."""
    if len(group) > CUT_WORD_CROPS or not any(down_letters[i] for i in group):
        return False  # a long line's words and the words without a letter stop here
    pieces = [readings[i].box for i in group if not down[i]]
    if not any(is_cut_pair(a, b) for a in pieces for b in pieces):
        return False
    return not any(vouches_for_number(readings[i], CERTAIN) for i in group)


def is_letter_wide(box):
    """No wider than LETTER_WIDE times its height: a letter, not a run of touching digits."""
    return box[2] <= LETTER_WIDE * box[3]


def any_cut_pair(boxes):
    """Whether two of these boxes may be pieces cut from one blob (is_cut_pair): a check
    in one pass over the boxes, before any grouping is paid for."""
    by_right = {}
    for box in boxes:
        by_right.setdefault(box[0] + box[2], []).append(box)
    return any(is_cut_pair(left, box) for box in boxes for left in by_right.get(box[0], ()))


def is_cut_pair(left, right):
    """Whether `right` starts at the very column after `left` ends and the two share most of
    their rows (CUT_ROWS of the shorter), as the pieces of one blob cut apart do
    (touching.split_at gives the cut column to the right piece, and each box is tight around
    its ink); two blobs side by side seldom abut so."""
    overlap = min(left[1] + left[3], right[1] + right[3]) - max(left[1], right[1])
    return left[0] + left[2] == right[0] and overlap >= CUT_ROWS * min(left[3], right[3])


def is_turned_down(candidate):
    """A crop the rejecter all but rules out, unless it is a confident 1."""
    return candidate.digit_probability < TURNED_DOWN and not is_confident_one(candidate)


def in_line(candidate, backing):
    """Digit enough for a line of these sure digits (`backing`): likely by the rejecter, or as
    tall as they are (is_as_tall) and read confidently as a 1 or read surely inside a long
    number (is_inside_long_number)."""
    if candidate.digit_probability >= IN_LINE_PROBABILITY:
        return True
    if not is_as_tall(candidate.box[3], [r.box[3] for r in backing]):
        return False
    return is_confident_one(candidate) or is_inside_long_number(candidate, backing)


def is_inside_long_number(candidate, backing):
    """Read at LONG_LINE_SCORE, among LONG_LINE or more sure digits (`backing`), its centre
    between the first's and the last's: a letter before or after a number is no digit of it."""
    if len(backing) < LONG_LINE or candidate.score < LONG_LINE_SCORE:
        return False
    centres = [x + w / 2 for x, _, w, _ in (r.box for r in backing)]
    return min(centres) < candidate.box[0] + candidate.box[2] / 2 < max(centres)


def is_as_tall(height, heights):
    """Within the range of these sure digits' heights, give or take FITS_LINE_HEIGHT: the range,
    not the middle, since hands write 1s and 7s taller than 0s and 2s."""
    return min(heights) / FITS_LINE_HEIGHT <= height <= max(heights) * FITS_LINE_HEIGHT


def is_confident_one(candidate):
    """A crop read as 1 with confidence: a single stroke, which the rejecter cannot tell from
    a rule or a page edge by its crop alone (its line can)."""
    return candidate.label == "1" and candidate.score >= FITS_LINE_SCORE


def is_dominant(box, shape):
    """A box at least DOMINANT of the picture's height or width."""
    return blob_boxes.spans(box, shape, DOMINANT)
