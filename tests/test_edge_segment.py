"""edge_runtime.segment: frame-edge blobs, shapes that are no digit, failed groups let go of
their pieces."""

import cv2
import numpy as np

from conftest_edge import boxes_of
from edge_runtime import blob_boxes, preprocess, segment


def page_with_a_dark_desk_border():
    page = np.full((480, 640), 200, np.uint8)
    page[:, :12] = 40     # the desk beside the paper, along the left edge
    page[:8, :] = 40      # and along the top edge
    cv2.putText(page, "38", (260, 300), cv2.FONT_HERSHEY_SIMPLEX, 2.5, 30, 6)
    return page


def test_the_desk_along_the_frame_edge_neither_counts_as_a_digit_nor_swallows_the_digits():
    found = preprocess.find_digits(page_with_a_dark_desk_border())
    assert len(found) == 2
    assert all(250 <= c.box[0] <= 360 and 240 <= c.box[1] <= 300 for c in found)


def test_a_digit_held_close_to_the_camera_may_touch_the_frame_edge():
    frame = np.full((480, 640), 210, np.uint8)
    cv2.line(frame, (320, 0), (330, 479), 20, 40)  # a huge 1 from top to bottom edge
    (candidate,) = preprocess.find_digits(frame)
    assert candidate.box[3] >= 470


def test_a_tight_crop_whose_ink_touches_every_edge_is_still_a_digit():
    crop = np.zeros((20, 14), np.uint8)
    cv2.ellipse(crop, (7, 10), (6, 9), 0, 0, 360, 255, 2)  # a 0 touching all four sides
    (candidate,) = preprocess.find_digits(crop)
    assert candidate.box == (0, 0, 14, 20)


def digits_inside_a_drawn_frame():
    """Five digits under a thin drawn bracket, open below (inside a closed outline they would
    be holes in it): the bracket, anchoring the merge, claims them all as its pieces, as the
    outline of a shadow or of a sticky note does on a photo."""
    page = np.full((480, 640), 205, np.uint8)
    cv2.polylines(page, [np.array([[150, 360], [150, 120], [450, 120], [450, 360]])], False, 60, 2)
    for index, digit in enumerate("35826"):
        cv2.putText(page, digit, (175 + 56 * index, 270), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 30, 5)
    return page


def test_digits_claimed_by_a_shape_that_is_no_digit_are_grouped_again_on_their_own():
    """Before, the bracket and its five pieces failed as one speck cluster: no digit found."""
    found = preprocess.find_digits(digits_inside_a_drawn_frame())
    assert len(found) == 5
    assert all(170 <= c.box[0] <= 420 and 220 <= c.box[1] <= 270 for c in found)


def test_digits_inside_a_closed_frame_are_found_and_the_frame_is_not():
    """Closed, the outline holds the digits in its hole, where outer contours do not see them:
    before held_blobs the page gave no candidate at all."""
    page = np.full((480, 640), 205, np.uint8)
    cv2.rectangle(page, (150, 120), (450, 360), 60, 2)
    for index, digit in enumerate("35826"):
        cv2.putText(page, digit, (175 + 56 * index, 270), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 30, 5)
    found = preprocess.find_digits(page)
    assert len(found) == 5
    assert all(170 <= c.box[0] <= 420 and 220 <= c.box[1] <= 270 for c in found)


def drawn_box(shape, draw):
    """The (x, y, w, h) box of what `draw` paints on a blank mask of `shape`."""
    alone = np.zeros(shape, np.uint8)
    draw(alone)
    return cv2.boundingRect(alone)


def test_a_row_of_boxes_gives_way_to_the_blobs_it_holds_at_any_depth():
    """A form's three boxes, one blob: it is left out and what its holes hold takes its place,
    a bar in the third box and, in the first, a ring that gives way in turn to the smaller
    ring it holds (at least HELD_HEIGHT tall: writing, not a speck)."""
    shape = (120, 240)
    held = [lambda m: cv2.rectangle(m, (40, 40), (60, 70), 255, 2),
            lambda m: cv2.line(m, (195, 30), (195, 80), 255, 4)]
    mask = np.zeros(shape, np.uint8)
    for left in (20, 90, 160):
        cv2.rectangle(mask, (left, 20), (left + 70, 90), 255, 2)
    cv2.rectangle(mask, (30, 30), (70, 80), 255, 3)  # the ring holding the smaller one
    for draw in held:
        draw(mask)
    contours, boxes, _ = segment.components(mask)
    assert sorted(tuple(int(v) for v in box[:4]) for box in boxes) == sorted(drawn_box(shape, d) for d in held)


def test_digits_in_boxes_inside_a_closed_outline_are_found():
    """A page's outline closed all round holds a form's boxes, which hold the digits: both
    give way (before the boxes stayed, each owning its digit's ink, and read as nothing)."""
    page = np.full((480, 640), 205, np.uint8)
    cv2.rectangle(page, (40, 40), (600, 440), 60, 2)
    for index, digit in enumerate("3582"):
        left = 160 + 80 * index
        cv2.rectangle(page, (left, 180), (left + 70, 280), 60, 2)
        cv2.putText(page, digit, (left + 15, 255), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 30, 5)
    found = preprocess.find_digits(page)
    assert len(found) == 4
    assert all(170 <= c.box[0] <= 440 and 190 <= c.box[1] <= 260 and c.box[3] <= 70 for c in found)


def test_a_speck_in_a_loop_leaves_the_loop_whole():
    """A speck in a 0's loop is no writing (under HELD_HEIGHT): the 0 stays one blob."""
    def zero(mask):
        cv2.ellipse(mask, (40, 40), (15, 25), 0, 0, 360, 255, 3)
    mask = np.zeros((80, 80), np.uint8)
    zero(mask)
    mask[39:42, 39:42] = 255
    contours, boxes, _ = segment.components(mask)
    assert [tuple(int(v) for v in box[:4]) for box in boxes] == [drawn_box(mask.shape, zero)]


def test_the_edge_of_a_tilted_page_is_a_hairline_but_a_slanted_1_is_not():
    """After the lighting correction a tilted page's edge is a long thin slanted line, which
    passed every shape test and was read as a 1."""
    for width, found in ((3, 0), (14, 1)):  # the edge; a marker 1 as long
        frame = np.full((768, 1024), 215, np.uint8)
        cv2.line(frame, (130, 150), (180, 620), 40, width)
        assert len(preprocess.find_digits(frame)) == found
        ink = np.zeros((470, 80), np.uint8)
        cv2.line(ink, (10, 0), (60, 469), 255, width)
        contours, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        assert segment.is_hairline(contours[0], cv2.boundingRect(contours[0])) == (found == 0)


def test_a_failed_group_lets_go_of_its_small_pieces_not_of_a_big_patch():
    """A shadow's patch beside a page's outline, released, was read as a 7 (0.96)."""
    boxes = boxes_of([(0, 0, 500, 600, 3000), (20, 40, 30, 40, 1200), (100, 300, 400, 250, 60000)])
    group = blob_boxes.group_box(boxes, [0, 1, 2])
    assert segment.released_pieces(boxes, group, [0, 1, 2]) == [1]
