"""edge_runtime.page_edges: a page's dark rim against the desk, which the lighting correction
makes look like pen strokes, is not read as 1s."""

import numpy as np
import pytest

from conftest_edge import INT8_MODEL, fake_reading, harder_set_page, load_model
from edge_runtime import classify, page_edges, preprocess

DESK, PAPER, RIM, PEN = 130, 25, 150, 200  # ink-bright levels: the desk is darker than the paper
RIM_BOX, PEN_BOX = (150, 20, 3, 160), (220, 60, 4, 80)


def desk_and_paper():
    """(ink, mask): a desk on the left, paper on the right, a rim 3 pixels wide where they meet
    (hardly darker than the desk) and a pen stroke on the paper (far darker than it)."""
    ink = np.full((200, 300), PAPER, np.uint8)
    ink[:, :150] = DESK
    mask = np.zeros_like(ink)
    for (x, y, w, h), level in ((RIM_BOX, RIM), (PEN_BOX, PEN)):
        ink[y:y + h, x:x + w] = level
        mask[y:y + h, x:x + w] = 255
    return ink, mask


def test_a_rim_hardly_darker_than_the_desk_beside_it_does_not_stand_out():
    ink, mask = desk_and_paper()
    # The rim's ring: desk on one side, paper on the other; the pen's ring is all paper.
    assert page_edges.standing_out(ink, mask, RIM_BOX) == pytest.approx((RIM - DESK) / (RIM - PAPER))
    assert page_edges.is_page_edge(ink, mask, RIM_BOX)
    assert page_edges.standing_out(ink, mask, PEN_BOX) == 1.0
    assert not page_edges.is_page_edge(ink, mask, PEN_BOX)


def test_only_1s_are_dropped_and_a_ring_too_small_to_judge_keeps_the_reading():
    ink, mask = desk_and_paper()
    page = preprocess.Page(None, mask, None, None, None, 13, 1.0, (0, 0), ink.shape, ink=ink)
    readings = [fake_reading("1", 0.99, RIM_BOX, 0.6), fake_reading("7", 0.99, RIM_BOX, 0.6),
                fake_reading("1", 0.99, PEN_BOX, 0.6)]
    assert [r.label for r in page_edges.without_page_edges(page, readings)] == ["7", "1"]
    whole = (0, 0, 300, 200)  # a box covering the picture: no ring around it
    assert page_edges.standing_out(ink, mask, whole) == 1.0
    assert page_edges.without_page_edges(page._replace(ink=None), readings) == readings


# Harder-set pages (seed, index) on which a sheet's or a sticky note's edge was read as a 1
# before page_edges, and what they read now: the truth.
EDGE_PAGES = [((0, 309), ""), ((2, 106), ""), ((2, 227), ""), ((2, 45), "78"), ((2, 117), "61"),
              ((0, 459), "459132"), ((0, 354), "924717927918157445334137034222028069183298"),
              ((2, 5), "88940064116393232070286377099030")]


@pytest.mark.parametrize("page_key, number", EDGE_PAGES)
def test_page_edges_are_not_read_as_1s(page_key, number):
    page = harder_set_page(*page_key)
    assert "".join(page.lines) == number
    assert classify.read_number(classify.classify_image(load_model(INT8_MODEL), page.image)) == number
