"""edge_runtime.acceptance: which readings are digits, the rejecter judged in its line's context."""

from conftest_edge import fake_reading
from edge_runtime import acceptance, reading


def test_a_doubtful_crop_is_kept_only_in_a_line_of_sure_digits_or_filling_the_picture():
    """(Or scattered over a picture without junk, as tall as its sure digits: see below. The
    doubtful crop alone here is shorter.)"""
    row = [fake_reading(str(i), 0.99, (20 + 30 * i, 100, 20, 30), 0.99) for i in range(3)]
    doubtful = (acceptance.IN_LINE_PROBABILITY + reading.MIN_DIGIT_PROBABILITY) / 2
    doubtful_in_row = fake_reading("7", 0.99, (110, 100, 20, 30), doubtful)
    doubtful_alone = fake_reading("7", 0.99, (400, 300, 20, 20), doubtful)
    junk = fake_reading("4", 0.99, (140, 100, 20, 30), acceptance.IN_LINE_PROBABILITY / 2)
    kept = acceptance.accept(row + [doubtful_in_row, doubtful_alone, junk], (1000, 1000))
    assert doubtful_in_row in kept and doubtful_alone not in kept and junk not in kept
    assert all(r in kept for r in row)
    assert acceptance.accept([doubtful_alone], (60, 1000)) == [doubtful_alone]  # 20 of 60 px tall


def test_a_crop_read_surely_inside_a_long_number_is_kept_however_the_rejecter_doubts_it():
    """An odd hand's 5 (a long flat roof over a short stem) read as 5 at 0.996 but 0.02 likely
    one digit, between LONG_LINE sure digits: the number vouches for it. Not before or after
    the number (a letter beside it), not beside fewer, not read less surely, and not when
    much shorter than the line's digits."""
    shape = (1000, 1000)
    row = [fake_reading(str(i), 0.99, (20 + 30 * i, 100, 20, 30), 0.99) for i in range(acceptance.LONG_LINE + 1)]
    odd = fake_reading("5", 0.996, row[1].box, 2 * reading.LENIENT_PROBABILITY)  # the second digit
    number = row[:1] + row[2:]
    assert acceptance.accept(number + [odd], shape) == number + [odd]
    after = odd._replace(box=(20 + 30 * (acceptance.LONG_LINE + 1), 100, 20, 30))
    assert acceptance.accept(number + [after], shape) == number
    assert acceptance.accept(number[:-1] + [odd], shape) == number[:-1]
    unsure = odd._replace(score=0.98)
    assert acceptance.accept(number + [unsure], shape) == number
    short = odd._replace(box=(53, 108, 14, 15))
    assert acceptance.accept(number + [short], shape) == number


def test_the_readings_kept_keep_their_order():
    """Kept in the order given, so the reading order groups the boxes that the rejecter's
    judgement grouped, and finds them grouped already."""
    top = [fake_reading(str(i), 0.99, (20 + 30 * i, 100, 20, 30), 0.99) for i in range(3)]
    bottom = [fake_reading(str(i), 0.99, (20 + 30 * i, 300, 20, 30), 0.99) for i in range(3)]
    junk = fake_reading("4", 0.99, (400, 600, 20, 30), reading.LENIENT_PROBABILITY / 2)
    given = [bottom[2], top[0], junk, bottom[0], top[2], top[1], bottom[1]]
    assert acceptance.accept(given, (1000, 1000)) == [r for r in given if r is not junk]


def test_a_line_of_letters_passing_here_and_there_as_digits_holds_none():
    """A word: an "n" cut into a "1" and a "7" the rejecter finds likely but is not sure of,
    and two letters it turns down outright. Two turned down and none sure: the line is text."""
    doubtful = (reading.MIN_DIGIT_PROBABILITY + acceptance.TEXT_SURE) / 2
    one = fake_reading("1", 0.99, (100, 100, 8, 30), doubtful)
    seven = fake_reading("7", 0.95, (110, 100, 18, 30), doubtful)
    letters = [fake_reading("0", 0.9, (140 + 30 * i, 100, 25, 30), reading.LENIENT_PROBABILITY / 2) for i in range(2)]
    assert acceptance.accept([one, seven] + letters, (1000, 1000)) == []
    number = [fake_reading("2", 0.99, (40 + 28 * i, 100, 18, 30), doubtful) for i in range(2)]
    line = number + [one, seven] + letters[:1]  # one letter in a line too long for a short word
    assert len(line) > acceptance.SHORT_LINE_CROPS
    assert acceptance.accept(line, (1000, 1000)) == number + [one, seven]  # one letter: no text


def test_a_short_line_with_a_crop_turned_down_and_none_sure_is_a_word():
    """"pdh" alone on its line: the "d" read as 0, likely one digit but not surely (0.39),
    beside a "p" the rejecter turns down and an "h" it doubts. One crop turned down makes a
    line of up to SHORT_LINE_CROPS crops a word. Not when the rejecter is sure of a crop
    (TEXT_SURE), when the line is longer, or when no crop is turned down."""
    shape = (1000, 1000)
    p = fake_reading("0", 0.99, (100, 100, 25, 30), acceptance.TURNED_DOWN / 2)
    d = fake_reading("0", 0.99, (128, 100, 25, 30), 0.39)
    h = fake_reading("4", 0.9, (156, 100, 25, 30), 0.5)
    assert acceptance.accept([p, d, h], shape) == []
    sure = d._replace(digit_probability=acceptance.TEXT_SURE)
    assert acceptance.accept([p, sure, h], shape) == [sure, h]
    number = [fake_reading("2", 0.99, (184 + 28 * i, 100, 20, 30), 0.5) for i in range(acceptance.SHORT_LINE_CROPS - 2)]
    assert acceptance.accept([p, d, h] + number, shape) == [d, h] + number
    above = p._replace(digit_probability=acceptance.TURNED_DOWN)
    elsewhere = p._replace(box=(100, 500, 25, 30))  # turned down, on a line of its own
    assert acceptance.accept([above, d, h, elsewhere], shape) == [d, h]


def test_a_sure_1_does_not_keep_a_line_of_letters_from_being_text():
    """One stroke the rejecter is sure of is a letter's stem as often as a 1: a line with two
    crops turned down is text though the rejecter is sure of its 1; a sure 2 keeps it."""
    stem = fake_reading("1", 0.99, (100, 100, 8, 30), acceptance.TEXT_SURE)
    letters = [fake_reading("0", 0.9, (120 + 30 * i, 100, 25, 30), reading.LENIENT_PROBABILITY / 2) for i in range(2)]
    others = [fake_reading("8", 0.9, (180 + 30 * i, 100, 25, 30), 0.5) for i in range(acceptance.SHORT_LINE_CROPS)]
    line = [stem] + letters + others  # longer than a short word: the text-line rule judges it
    assert acceptance.accept(line, (1000, 1000)) == []
    two = stem._replace(label="2")
    assert acceptance.accept([two] + letters + others, (1000, 1000)) == [two] + others


def test_crops_under_turned_down_count_as_turned_down_for_text():
    """Letters the rejecter finds 0.01-0.03 likely digits are turned down as surely as those
    under 0.01: two of them and none sure make a line text."""
    between = (reading.LENIENT_PROBABILITY + acceptance.TURNED_DOWN) / 2
    doubtful = (reading.MIN_DIGIT_PROBABILITY + acceptance.TEXT_SURE) / 2
    word = [fake_reading("6", 0.99, (100, 100, 20, 30), doubtful)]
    word += [fake_reading("0", 0.9, (124 + 24 * i, 100, 20, 30), between) for i in range(2)]
    assert acceptance.accept(word, (1000, 1000)) == []
    above = [r._replace(digit_probability=acceptance.TURNED_DOWN) for r in word[1:]]
    assert acceptance.accept(word[:1] + above, (1000, 1000)) == word[:1]  # no text: the 6 stays


def test_a_short_word_with_a_letter_turned_down_beside_two_cut_pieces_is_text():
    """An "n" cut into a "1" and a "7" (their boxes meet at the cut column), the "7" sure to the
    rejecter, beside a "p" it turns down: text, in a word of up to CUT_WORD_CROPS crops. Not
    when the crop turned down is wider than a letter (a run of touching digits it could not
    cut), when the pieces stand a pixel apart (two digits) or share too few rows, when the
    word is longer, when the letter is a word of its own ("No 17"), or when the rejecter is
    all but certain that a crop other than a 1 is one digit (CERTAIN): the pieces of a run of
    touching digits cut apart abut too, beside a piece it turns down ("3178", its "31" one)."""
    one = fake_reading("1", 0.99, (100, 100, 10, 30), 0.6)
    seven = fake_reading("7", 0.99, (110, 101, 18, 30), 0.97)
    letter = fake_reading("0", 0.99, (132, 100, 22, 30), reading.LENIENT_PROBABILITY / 2)
    run = letter._replace(box=(132, 100, 40, 30))
    apart = seven._replace(box=(111, 101, 18, 30))
    lower = seven._replace(box=(110, 110, 18, 30))  # shares 20 of 30 rows, under CUT_ROWS
    shape = (1000, 1000)
    assert acceptance.accept([one, seven, letter], shape) == []
    assert acceptance.accept([one, seven, run], shape) == [one, seven]
    assert acceptance.accept([one, apart, letter], shape) == [one, apart]
    assert acceptance.accept([one, lower, letter], shape) == [one, lower]
    two = fake_reading("2", 0.99, (78, 100, 18, 30), 0.97)
    assert acceptance.accept([two, one, seven, letter], shape) == []  # a word of 4
    longer = [fake_reading("2", 0.99, (56, 100, 18, 30), 0.97), two]  # a word of 5
    assert acceptance.accept(longer + [one, seven, letter], shape) == longer + [one, seven]
    assert acceptance.accept([one, seven, letter], (90, 1000)) == [one, seven]  # filling the picture
    n, o = letter._replace(box=(20, 100, 22, 30)), fake_reading("0", 0.9, (46, 108, 20, 22), 0.5)
    assert acceptance.accept([n, o, one, seven], shape) == [o, one, seven]  # "No 17": N's own word
    certain = seven._replace(digit_probability=0.996)
    assert acceptance.accept([one, certain, letter], shape) == [one, certain]
    assert acceptance.accept([one._replace(digit_probability=0.996), seven, letter], shape) == []  # a 1: a stem


def test_the_cut_word_rule_judges_what_the_text_lines_leave():
    """A line of text (two letters turned down, none sure) goes first; the readings left, a cut
    word on the line below, are then judged with their own flags: the word with its letter is
    text, the cut pair alone is not."""
    text = [fake_reading("0", 0.9, (100 + 30 * i, 40, 22, 30), acceptance.TURNED_DOWN / 2) for i in range(2)]
    one = fake_reading("1", 0.99, (100, 100, 10, 30), 0.6)
    seven = fake_reading("7", 0.99, (110, 101, 18, 30), 0.97)
    letter = fake_reading("0", 0.99, (132, 100, 22, 30), acceptance.TURNED_DOWN / 2)
    assert acceptance.accept(text + [one, seven, letter], (1000, 1000)) == []
    assert acceptance.accept(text + [one, seven], (1000, 1000)) == [one, seven]


def test_a_word_of_text_beside_a_number_on_its_line_holds_no_digit():
    """ "Room 54" (measured crops): the R and the m's second stroke turned down, the o's
    doubted, the m's first stroke a likely 1. The line holds sure digits, so it is no text,
    but its first word is. Without the space the word and the number are one word."""
    down = reading.LENIENT_PROBABILITY / 2
    word = [fake_reading("8", 0.99, (124, 222, 31, 38), down), fake_reading("0", 0.99, (158, 232, 28, 29), 0.086),
            fake_reading("0", 0.99, (190, 232, 28, 29), 0.086), fake_reading("1", 0.99, (223, 232, 9, 28), 0.67),
            fake_reading("7", 0.98, (232, 232, 34, 28), down)]
    number = [fake_reading("5", 0.99, (313, 225, 23, 39), 0.99), fake_reading("4", 0.99, (336, 225, 28, 39), 0.99)]
    kept = acceptance.accept(word + number, (480, 640))
    assert word[3] not in kept and all(r in kept for r in number)
    closer = [r._replace(box=(r.box[0] - 40, *r.box[1:])) for r in number]  # 7 pixels after the word
    assert word[3] in acceptance.accept(word + closer, (480, 640))


def test_a_number_beside_a_word_keeps_its_doubtful_digits():
    """ "Room 42": four letters turned down, a sure 4 and a doubtful 2. One sure digit is
    enough to make a line no text."""
    letters = [fake_reading("0", 0.9, (20 + 30 * i, 100, 25, 30), reading.LENIENT_PROBABILITY / 2) for i in range(4)]
    four = fake_reading("4", 0.99, (160, 100, 20, 30), acceptance.TEXT_SURE)
    two = fake_reading("2", 0.99, (185, 100, 20, 30), (reading.MIN_DIGIT_PROBABILITY + acceptance.TEXT_SURE) / 2)
    assert acceptance.accept(letters + [four, two], (1000, 1000)) == [four, two]


def test_digits_beside_junk_or_confident_1s_are_no_line_of_text():
    """A line of sure digits with smudges beside it keeps its doubtful digits; thin confident
    1s, which the rejecter doubts, never count as turned down."""
    row = [fake_reading(str(i), 0.99, (20 + 30 * i, 100, 20, 30), 0.99) for i in range(3)]
    probability = (acceptance.IN_LINE_PROBABILITY + reading.MIN_DIGIT_PROBABILITY) / 2
    doubtful = fake_reading("7", 0.99, (110, 100, 20, 30), probability)
    smudges = [fake_reading("0", 0.9, (140 + 30 * i, 100, 20, 30), 0.001) for i in range(2)]
    ones = [fake_reading("1", 0.99, (140 + 30 * i, 100, 5, 30), 0.001) for i in range(3)]
    assert doubtful in acceptance.accept(row + [doubtful] + smudges, (1000, 1000))
    assert doubtful in acceptance.accept(row[:2] + [doubtful] + ones, (1000, 1000))


def test_confident_1s_do_not_make_a_line_of_text():
    """ "114": two thin 1s the rejecter takes for rules, and a 4 it finds likely, not sure."""
    ones = [fake_reading("1", 0.99, (20 + 30 * i, 100, 5, 30), 0.001) for i in range(2)]
    four = fake_reading("4", 0.99, (80, 100, 20, 30), 0.5)
    assert four in acceptance.accept(ones + [four], (1000, 1000))


def test_a_digit_filling_the_picture_keeps_its_line_beside_two_crops_turned_down():
    """A digit held up to the camera (150 px of a 240 px frame) that the rejecter doubts,
    between two fingers it turns down: what the camera was pointed at is no text."""
    digit = fake_reading("5", 0.97, (100, 40, 90, 150), 0.2)
    fingers = [fake_reading("0", 0.8, (20 + 210 * i, 60, 40, 120), 0.001) for i in range(2)]
    assert acceptance.accept([digit] + fingers, (240, 320)) == [digit]


def test_a_confident_1_as_tall_as_its_line_is_kept_whatever_the_rejecter_says():
    row = [fake_reading(str(i), 0.99, (20 + 30 * i, 100, 20, 30), 0.99) for i in range(1, 4)]
    one = fake_reading("1", 0.99, (30, 98, 5, 33), 0.001)  # a thin stroke: the rejecter takes it for a rule
    rule = fake_reading("1", 0.99, (140, 80, 4, 60), 0.001)  # twice the line's height: a rule, not a 1
    doubtful_one = fake_reading("1", 0.6, (160, 100, 5, 30), 0.001)
    kept = acceptance.accept(row + [one, rule, doubtful_one], (1000, 1000))
    assert one in kept and rule not in kept and doubtful_one not in kept
    assert acceptance.accept([one, row[0]], (1000, 1000)) == [row[0]]  # one sure digit backs no line


def test_a_1_alone_in_the_picture_is_kept_when_sure_and_tall_enough():
    """No line backs a 1 written alone, and the rejecter takes its stroke for a rule."""
    shape = (480, 640)
    tall = round(acceptance.LONE_ONE_HEIGHT * shape[0])  # exactly the least height
    one = fake_reading("1", reading.SURE, (300, 200, 12, tall), reading.LENIENT_PROBABILITY * 2)
    assert acceptance.accept([one], shape) == [one]
    short = one._replace(box=(300, 200, 12, tall - 1))
    ruled_out = one._replace(digit_probability=reading.LENIENT_PROBABILITY / 2)
    unsure = one._replace(score=reading.SURE - 0.01)
    seven = one._replace(label="7")
    for other in (short, ruled_out, unsure, seven):
        assert acceptance.accept([other], shape) == []
    beside_another = fake_reading("4", 0.99, (20, 20, 30, 40), 0.99)
    assert acceptance.accept([one, beside_another], shape) == [beside_another]


def test_a_confident_1_may_be_as_tall_as_the_tallest_sure_digit_of_its_line():
    """A real hand (real-photos-dev hypjudy_05): 1s and 7s taller than the line's 0s and 2s."""
    heights = [32, 30, 42, 33, 54]
    row = [fake_reading(str(i), 0.99, (30 * i, 100, 15, h), 0.99) for i, h in enumerate(heights)]
    tall_one = fake_reading("1", 0.99, (200, 98, 8, 48), 0.04)  # 1.45x the median, under the tallest
    too_tall = fake_reading("1", 0.99, (240, 80, 8, 70), 0.04)  # over 1.25x the tallest: a rule
    kept = acceptance.accept(row + [tall_one, too_tall], (1000, 1000))
    assert tall_one in kept and too_tall not in kept


def test_digits_scattered_in_no_row_are_kept_in_a_picture_without_junk():
    """Three sure digits, each on a row of its own, and a doubtful 4 as tall as they are,
    read surely: kept. Not when a crop elsewhere is turned down, not a 1 (a page edge's
    piece), not one far shorter, one the rejecter all but rules out or one read less surely,
    and not beside a single sure digit."""
    shape = (480, 640)
    sure = [fake_reading(str(i), 0.99, (60 + 200 * i, 40 + 120 * i, 30, 45), 0.99) for i in range(3)]
    four = fake_reading("4", reading.SURE, (300, 400, 32, 50), acceptance.SCATTERED_PROBABILITY)
    assert acceptance.accept(sure + [four], shape) == sure + [four]
    junk = fake_reading("0", 0.9, (600, 20, 20, 30), reading.LENIENT_PROBABILITY / 2)
    assert acceptance.accept(sure + [four, junk], shape) == sure
    one = four._replace(label="1")
    short = four._replace(box=(300, 400, 32, 30))  # 45 / 1.25 = 36 is the least
    tall = four._replace(box=(300, 400, 32, 57))  # 45 * 1.25 = 56.25 the most
    doubted = four._replace(digit_probability=acceptance.SCATTERED_PROBABILITY / 2)
    unsure = four._replace(score=reading.SURE - 0.01)
    for other in (one, short, tall, doubted, unsure):
        assert acceptance.accept(sure + [other], shape) == sure
    assert acceptance.accept(sure[:1] + [four], shape) == sure[:1]
    # A word's letters turned down count as junk, though their line is dropped as text.
    word = [fake_reading("0", 0.9, (400 + 30 * i, 20, 25, 45), reading.LENIENT_PROBABILITY / 2) for i in range(2)]
    assert acceptance.accept(sure + [four] + word, shape) == sure
    # A blob kept for filling much of the picture is no digit the rejecter finds likely: it
    # backs no scattered digit.
    blob = fake_reading("0", 0.99, (20, 300, 150, 300), reading.LENIENT_PROBABILITY * 2)  # 0.3 of 1000
    big_four = four._replace(box=(600, 600, 100, 250))
    assert acceptance.accept(sure[:1] + [blob, big_four], (1000, 1000)) == sure[:1] + [blob]


def test_a_doubtful_only_digit_among_crops_turned_away_is_junk_like_them():
    """The picture's only digit, read under LONE_SCORE, beside crops all turned away: a piece
    of the same junk (a letter beside its word, a page's corner). Read surely, written alone,
    or filling much of the picture, it stays; filling it but doubted by the rejecter (a square
    of squared paper's grid), it goes too."""
    doubtful = acceptance.LONE_SCORE - 0.05
    piece = fake_reading("6", doubtful, (100, 100, 20, 30), 0.7)
    letters = [fake_reading("0", 0.9, (100 + 30 * i, 400, 25, 30), reading.LENIENT_PROBABILITY / 2) for i in range(2)]
    assert acceptance.accept([piece] + letters, (1000, 1000)) == []
    sure = piece._replace(score=acceptance.LONE_SCORE)
    assert acceptance.accept([sure] + letters, (1000, 1000)) == [sure]
    assert acceptance.accept([piece], (1000, 1000)) == [piece]  # written alone: no other crop
    big = piece._replace(box=(100, 100, 200, 300))  # 0.3 of the picture's height
    assert acceptance.accept([big] + letters, (1000, 1000)) == [big]
    grid = big._replace(digit_probability=reading.MIN_DIGIT_PROBABILITY - 0.01)
    assert acceptance.accept([grid] + letters, (1000, 1000)) == []
    assert acceptance.accept([grid._replace(score=acceptance.LONE_SCORE)] + letters, (1000, 1000)) != []
    row = [piece, fake_reading("2", 0.99, (130, 100, 20, 30), 0.99)]
    assert acceptance.accept(row + letters[1:], (1000, 1000)) == row  # not the only digit
