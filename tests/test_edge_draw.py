"""edge_runtime.draw: annotations land on a copy, in the boxes, for gray and colour frames."""

import numpy as np

from edge_runtime import draw
from edge_runtime.classify import Digit


def test_draw_digits_marks_the_box_on_a_colour_copy():
    frame = np.full((120, 160), 255, np.uint8)
    canvas = draw.draw_digits(frame, [Digit("7", 0.98, (40, 50, 30, 40), None)])
    assert canvas.shape == (120, 160, 3) and (frame == 255).all()
    assert tuple(canvas[50, 55]) == draw.BOX_COLOUR        # top edge of the box
    assert tuple(canvas[70, 55]) == (255, 255, 255)       # inside the box stays untouched
    assert (canvas[30:48, 40:100] != 255).any()           # label text above the box


def test_draw_status_writes_in_the_corner_and_accepts_bgra():
    frame = np.zeros((100, 200, 4), np.uint8)
    canvas = draw.draw_status(draw.draw_digits(frame, []), "42", 123.4)
    assert canvas.shape == (100, 200, 3)
    assert canvas[:30, :150].any() and not canvas[40:].any()
