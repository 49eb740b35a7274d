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
