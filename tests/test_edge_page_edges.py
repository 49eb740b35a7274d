"""edge_runtime.page_edges: a page's dark rim against the desk, which the lighting correction
makes look like pen strokes, is not read as 1s; a 1 written near something dark still is."""

import cv2
import numpy as np
import pytest

from conftest_edge import INT8_MODEL, fake_reading, harder_set_page, load_model, mnist_test_arrays
from edge_runtime import classify, page_edges, preprocess

DESK, PAPER, RIM, PEN = 130, 25, 150, 200  # ink-bright levels: the desk is darker than the paper
RIM_BOX, PEN_BOX = (150, 20, 3, 160), (220, 60, 4, 80)


def desk_and_paper():
    """(ink, mask): a desk on the left, paper on the right whose grain rises from 25 to 39
    across it, a rim 3 pixels wide where they meet (hardly darker than the desk) and a pen
    stroke on the paper (far darker than it)."""
    ink = np.tile((PAPER + np.arange(300) // 20).astype(np.uint8), (200, 1))
    ink[:, :150] = DESK
    mask = np.zeros_like(ink)
    for (x, y, w, h), level in ((RIM_BOX, RIM), (PEN_BOX, PEN)):
        ink[y:y + h, x:x + w] = level
        mask[y:y + h, x:x + w] = 255
    return ink, mask


def test_a_rim_hardly_darker_than_the_desk_beside_it_does_not_stand_out():
    ink, mask = desk_and_paper()
    # The rim's band: desk on one side, paper (32 there) on the other.
    assert page_edges.standing_out(ink, mask, RIM_BOX) == pytest.approx((RIM - DESK) / (RIM - 32))
    assert page_edges.is_page_edge(ink, mask, RIM_BOX)
    # The pen's band is paper only, 35 and 36 there: (200 - 36) / (200 - 35).
    assert page_edges.standing_out(ink, mask, PEN_BOX) == pytest.approx(164 / 165)
    assert not page_edges.is_page_edge(ink, mask, PEN_BOX)


def test_the_band_starts_two_pixels_out_and_leaves_other_ink_out():
    """Something dark counts only from 2 pixels out from the box to 3 (BAND_GAP, BAND_REACH;
    1 is the column next to it): a rim touches the desk, a pen stroke has paper in between.
    Another blob's ink in the band is no desk."""
    ink, mask = desk_and_paper()
    x, y, w, h = PEN_BOX
    for distance, is_edge in ((1, False), (2, True), (3, True), (4, False)):
        near = ink.copy()
        near[:, x + w - 1 + distance] = PEN - 20  # a dark line `distance` pixels right of the stroke
        assert page_edges.is_page_edge(near, mask, PEN_BOX) == is_edge, distance
    inked, neighbour = ink.copy(), mask.copy()
    inked[:, x + w + 1:] = PEN
    neighbour[:, x + w + 1:] = 255  # ink (another digit) beside the stroke, not desk
    assert page_edges.standing_out(inked, neighbour, PEN_BOX) == pytest.approx(164 / 165)


def test_only_1s_are_dropped_and_a_band_too_small_to_judge_keeps_the_reading():
    """So does a stroke no brighter than the paper, which the ratio cannot measure."""
    ink, mask = desk_and_paper()
    page = preprocess.Page(None, mask, None, None, None, 13, 1.0, (0, 0), ink.shape, ink=ink)
    readings = [fake_reading("1", 0.99, RIM_BOX, 0.6), fake_reading("7", 0.99, RIM_BOX, 0.6),
                fake_reading("1", 0.99, PEN_BOX, 0.6)]
    assert [r.label for r in page_edges.without_page_edges(page, readings)] == ["7", "1"]
    whole = (0, 0, 300, 200)  # a box covering the picture: no band around it
    assert page_edges.standing_out(ink, mask, whole) == 1.0
    x, y, w, h = PEN_BOX
    ink[y:y + h, x:x + w] = PAPER  # no brighter than the paper: says nothing, kept
    assert page_edges.standing_out(ink, mask, PEN_BOX) == 1.0
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


def mnist_ones(count):
    images, labels = mnist_test_arrays()
    return [images[i] for i in np.flatnonzero(labels == 1)[:count]]


def write(scene, digit, x, y, size, ink):
    """An MNIST digit blended into a float picture as ink of level `ink`, `size` pixels square."""
    alpha = cv2.resize(digit, (size, size), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
    region = scene[y:y + size, x:x + size]
    region[...] = region * (1 - alpha) + ink * alpha


def photographed(scene, rng):
    """A float picture softened and grained like a camera's, as 8-bit gray."""
    return np.clip(cv2.GaussianBlur(scene, (3, 3), 0.8) + rng.normal(0, 3, scene.shape), 0, 255).astype(np.uint8)


def row_beside_something_dark(one, dark, gap, rng):
    """A row "471" written on white paper, 48 pixels high, the 1's ink `gap` pixels left of
    something dark: a desk past the page's edge (70) or a black phone lying on the page (30)."""
    images, labels = mnist_test_arrays()
    scene = np.full((480, 640), 225.0)
    scene[60:420, 400:600] = dark
    right = np.flatnonzero(cv2.resize(one, (48, 48)).max(axis=0) > 60)[-1]
    x = 400 - gap - right
    four, seven = (images[np.flatnonzero(labels == d)[0]] for d in (4, 7))
    for digit, left in ((four, x - 100), (seven, x - 50), (one, x)):
        write(scene, digit, left, 216, 48, 40)
    return photographed(scene, rng)


@pytest.mark.parametrize("dark", [70, 30])
def test_a_1_written_a_few_pixels_from_something_dark_is_read(dark):
    """Six MNIST 1s, each 4 pixels from a desk or a phone: the band (2-3 pixels out) holds
    paper only. Measured: 3 pixels away, 3 of 6 were lost beside the desk and 4 of 6 beside
    the phone; 2 pixels away, all."""
    model, rng = load_model(INT8_MODEL), np.random.default_rng(0)
    for one in mnist_ones(6):
        picture = row_beside_something_dark(one, dark, 4, rng)
        assert classify.read_number(classify.classify_image(model, picture)) == "471"


def test_a_big_1_on_a_sheet_with_the_desk_around_it_is_read():
    """One 1 written 288 pixels tall on a sheet with the desk showing 90 pixels around it:
    a band as wide as half the box (this module's first version) reached the desk, and 4 of
    4 such 1s were lost."""
    model, rng = load_model(INT8_MODEL), np.random.default_rng(1)
    for one in mnist_ones(4):
        scene = np.full((480, 640), 60.0)
        scene[90:390, 90:550] = 220
        write(scene, one, 120, 40, 400, 30)
        picture = photographed(cv2.GaussianBlur(scene, (5, 5), 0), rng)
        assert classify.read_number(classify.classify_image(model, picture)) == "1"
