"""A picture taken at a slant is read again turned level (edge_runtime/straighten.py,
classify.straighter_look)."""

import math

import cv2
import numpy as np

from conftest_edge import INT8_MODEL, load_model, mnist_test_arrays, rows_read_exactly, written_row
from edge_runtime import classify, source_boxes, straighten

PAPER = 225  # the paper's grey in the pictures drawn here


def sloping_row(count, degrees, height=60, width=40, gap=8, start=(50, 200)):
    """(x, y, w, h) boxes of a row of digits whose centres climb at `degrees` (image y down:
    positive falls to the right)."""
    slope = math.tan(math.radians(degrees))
    x0, y0 = start
    return [(x0 + k * (width + gap), round(y0 + slope * k * (width + gap)), width, height) for k in range(count)]


def test_the_tilt_is_read_from_written_rows_only():
    assert abs(straighten.tilt_degrees(sloping_row(6, 10.0)) - 10.0) < 0.5
    assert abs(straighten.tilt_degrees(sloping_row(6, -15.0)) + 15.0) < 0.5
    assert straighten.tilt_degrees(sloping_row(6, 10.0, gap=60)) == 0.0  # scattered, a gap of a digit's height
    assert straighten.tilt_degrees(sloping_row(2, 10.0)) == 0.0  # too short to tell
    assert straighten.tilt_degrees([]) == 0.0
    assert not straighten.is_tilted(3.9) and straighten.is_tilted(-4.0)


def ink_points(picture):
    """The corners of a picture's dark pixels."""
    rows, columns = np.nonzero(picture < PAPER // 2)
    return source_boxes.pixel_corners(columns, rows)


def test_ink_found_in_the_turned_picture_comes_back_to_where_it_was():
    for shape, stroke in (((480, 640), (500, 90, 20, 40)), ((3000, 4000), (3000, 600, 120, 240))):
        picture = np.full(shape, PAPER, np.uint8)
        x, y, w, h = stroke
        picture[y:y + h, x:x + w] = 0
        for degrees in (-25.0, 12.0, 30.0):
            level, back = straighten.turned(picture, degrees)
            assert max(level.shape) <= 1.5 * 1024  # a big photo is shrunk before it is turned
            assert max(level.shape) > max(shape) or max(shape) > 1024  # a small one keeps its corners
            x, y, w, h = straighten.box_back(ink_points(level), back, picture.shape)
            slack = 1.5 * max(1.0, max(shape) / 1024.0)  # a pixel of the turned picture, blurred by the turn
            edges = (stroke[0], stroke[1], stroke[0] + stroke[2], stroke[1] + stroke[3])
            assert all(abs(a - b) <= slack for a, b in zip((x, y, x + w, y + h), edges)), ((x, y, w, h), stroke)


def test_boxes_carried_back_are_clipped_to_the_picture():
    unturned = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert straighten.box_back(np.array([[-5.0, 10.0], [15.0, 30.0]]), unturned, (100, 100)) == (0, 10, 15, 20)
    assert straighten.box_back(np.array([[90.0, 10.0], [105.0, 30.0]]), unturned, (100, 100)) == (90, 10, 10, 20)
    assert straighten.lands_inside((10, 10, 20, 20), unturned, (100, 100))
    assert not straighten.lands_inside((90, 10, 30, 20), unturned, (100, 100))  # centre at x = 105
    assert not straighten.lands_inside((10, -30, 20, 20), unturned, (100, 100))


def test_rows_photographed_at_a_slant_are_read_turned_level():
    """40 rows of six MNIST test digits, each turned 12-25 degrees one way or the other.
    Measured: 32 read exactly, 23 when read as they are (straighten.MIN_TILT_DEGREES set
    out of reach); the slanted crops and the upright cuts through slanted neighbours lose
    the rest. The gate leaves a margin of four rows for other CPUs."""
    def slanted_row(rng, digits):
        return written_row(digits, float(rng.choice([-1, 1]) * rng.uniform(12, 25)))
    right = rows_read_exactly(slanted_row, seed=2)
    print(f"slanted rows: {right}/40 read exactly")
    assert right >= 28


def drawn_ink(digits, index, height=56):
    """(x, y) centres of digit `index`'s ink as written_row draws it, before the turn."""
    rows, columns = np.nonzero(cv2.resize(digits[index], (height, height), interpolation=cv2.INTER_LINEAR) > 128)
    left, top = 320 - len(digits) * height // 2 + index * height, 240 - height // 2
    return np.column_stack([left + columns + 0.5, top + rows + 0.5])


def test_boxes_of_a_slanted_row_hold_their_digits():
    """Read turned level, each digit's box is carried back around its ink: on rows of MNIST
    digits turned 20 degrees, every box holds at least 95 % of its digit's darker ink and lies
    within a tenth of a digit's height of the ink's own box. Measured on the 9 rows of 10 read
    exactly: at least 99.7 %, at most 2.5 pixels off. (The turned box's size kept, as first
    built, held about half of some digits.)"""
    images, labels = mnist_test_arrays()
    model = load_model(INT8_MODEL)
    turn = cv2.getRotationMatrix2D((320, 240), 20.0, 1.0)
    checked = 0
    for start in range(0, 60, 6):
        digits = images[start:start + 6]
        found = classify.classify_image(model, written_row(digits, 20.0))
        if classify.read_number(found) != "".join(map(str, labels[start:start + 6])):
            continue
        for index, digit in enumerate(found):
            ink = drawn_ink(digits, index) @ turn[:, :2].T + turn[:, 2]
            x, y, w, h = digit.box
            inside = (ink[:, 0] >= x) & (ink[:, 0] <= x + w) & (ink[:, 1] >= y) & (ink[:, 1] <= y + h)
            assert inside.mean() >= 0.95
            ink_box = (*ink.min(axis=0), *ink.max(axis=0))
            assert max(abs(a - b) for a, b in zip((x, y, x + w, y + h), ink_box)) <= 5.6
            checked += 1
    assert checked >= 30
