"""edge_runtime.lines: reading order of digit boxes, checked on plain boxes without images."""

import math

from edge_runtime import lines


def row(x0, y, count, width=20, height=30, gap=8):
    return [(x0 + i * (width + gap), y, width, height) for i in range(count)]


def as_text(boxes, labels):
    return ["".join(labels[i] for i in line) for line in lines.group_lines(boxes)]


def test_two_rows_read_top_to_bottom_each_left_to_right_whatever_the_input_order():
    boxes = row(50, 200, 4) + row(40, 100, 5)
    labels = "6789" + "12345"
    shuffled = [3, 7, 0, 5, 8, 1, 4, 2, 6]
    assert as_text([boxes[i] for i in shuffled], [labels[i] for i in shuffled]) == ["12345", "6789"]


def test_a_row_written_uphill_at_35_degrees_is_one_line():
    angle = math.radians(-35)
    boxes = [(int(60 + i * 40 * math.cos(angle)), int(400 + i * 40 * math.sin(angle)), 24, 34) for i in range(6)]
    assert as_text(boxes, "237845") == ["237845"]


def test_two_numbers_side_by_side_are_two_lines_left_first_then_the_next_row():
    boxes = row(20, 50, 4) + row(400, 52, 3) + row(20, 150, 2) + row(400, 148, 5)
    labels = "1234" + "567" + "89" + "01234"
    assert as_text(boxes, labels) == ["1234", "567", "89", "01234"]


def tilted_row(x0, y0, count, slope, width=20, height=30, gap=8):
    return [(x0 + i * (width + gap), int(y0 + slope * i * (width + gap)), width, height) for i in range(count)]


def test_on_a_page_seen_at_an_angle_the_left_number_of_a_row_still_comes_first():
    """Rows rising 1 in 6 to the right: the right number of a row sits 60 px higher than the
    left one, clear of its vertical range (generated pages: 12 of 369 read in a wrong order)."""
    slope = -1 / 6
    boxes = (tilted_row(20, 100, 4, slope) + tilted_row(380, 40, 3, slope)
             + tilted_row(20, 180, 2, slope) + tilted_row(380, 120, 5, slope))
    assert as_text(boxes, "1234" + "567" + "89" + "01234") == ["1234", "567", "89", "01234"]


def test_wobbly_short_numbers_on_a_level_page_keep_their_rows():
    """Short numbers give no slope: two neighbours 28 px apart with a 12 px wobble would tilt
    the whole page by a quarter, and lines 280 px apart by 70 px (review of the first try)."""
    wobble = [0, 12, -6, 6, 12, 0, -6, 6, 0, 12]
    boxes, labels, texts = [], "", []
    for row in range(4):
        for x0, count in ((20, 2), (300, 2)):
            text = ""
            for i in range(count):
                boxes.append((x0 + 28 * i, 60 + 90 * row + wobble[(3 * row + x0 // 100 + i) % 10], 20, 30))
                text += str((len(labels) + 1) % 10)
                labels += text[-1]
            texts.append(text)
    assert as_text(boxes, labels) == texts


def test_a_column_of_single_digits_is_one_line_per_digit():
    boxes = [(100, 40 + i * 60, 20, 30) for i in range(4)]
    assert as_text(boxes[::-1], "4321") == ["1", "2", "3", "4"]


def test_a_descender_does_not_push_a_digit_off_its_row():
    boxes = row(20, 100, 3) + [(104, 100, 20, 62)] + row(132, 100, 2)
    assert as_text(boxes, "12397" + "8") == ["123978"]


def test_a_row_does_not_link_to_a_much_taller_blob_beside_it():
    boxes = row(20, 100, 3) + [(100, 10, 8, 400)]
    assert len(lines.group_lines(boxes)) == 2


def test_no_boxes_no_lines():
    assert lines.group_lines([]) == []
    assert lines.unordered_lines([]) == []


def test_unordered_lines_are_the_lines_of_group_lines():
    """The same lines, each left to right, only not put in reading order."""
    boxes = row(20, 50, 4) + row(400, 52, 3) + row(20, 150, 2) + row(400, 148, 5)
    shuffled = [boxes[i] for i in (9, 3, 0, 13, 5, 7, 1, 11, 4, 8, 2, 12, 6, 10)]
    assert sorted(lines.unordered_lines(shuffled)) == sorted(lines.group_lines(shuffled))
    assert len(lines.unordered_lines(shuffled)) == 4


def test_grouping_the_same_boxes_again_gives_fresh_lists():
    """group_lines remembers its last groupings: changing what it returned changes nothing."""
    boxes = [(0, 0, 20, 30), (30, 0, 20, 30), (0, 100, 20, 30)]
    first = lines.group_lines(boxes)
    first[0].append(99)
    first.append([42])
    assert lines.group_lines(boxes) == [[0, 1], [2]]
    assert lines.group_lines([list(box) + [600] for box in boxes]) == [[0, 1], [2]]  # extra fields dropped


def test_a_line_splits_into_words_at_spaces_wider_than_half_its_height():
    """ "Room 36": letters 4-8 pixels apart, a 26-pixel space (over half of 40), the digits
    touching; given in any order, returned left to right."""
    room = [(100, 10, 30, 40), (136, 10, 28, 40), (170, 10, 28, 40), (204, 10, 40, 40)]
    digits = [(270, 8, 26, 42), (296, 8, 26, 42)]
    boxes = room + digits
    assert lines.words(boxes, [5, 0, 3, 1, 4, 2]) == [[0, 1, 2, 3], [4, 5]]
    assert lines.words(boxes, [4, 5]) == [[4, 5]]
    assert lines.words(boxes, []) == []
    near = room + [(264, 8, 26, 42)]  # 20 pixels after the word: no space
    assert lines.words(near, [0, 1, 2, 3, 4]) == [[0, 1, 2, 3, 4]]
