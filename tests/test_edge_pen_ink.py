"""edge_runtime.pen_ink: a candidate's ink must stand out from the paper's grain and be no soft
shadow."""

import cv2
import numpy as np

from conftest_edge import INT8_MODEL, harder_set_page, load_model
from edge_runtime import classify, pen_ink, preprocess, segment


def paper_grain(flat, mask):
    """pen_ink.sampled_grain of a flattened picture and its ink mask."""
    step, paper = pen_ink.paper_sample(flat, mask)
    return pen_ink.sampled_grain(flat, step, paper)


def test_only_ink_that_stands_out_from_the_paper_grain_is_a_candidate():
    """The threshold lets some paper grain through; such specks are no brighter than the grain
    itself, a pen stroke is many times brighter (flattened ink: bright on black)."""
    rng = np.random.default_rng(0)
    flat = rng.integers(0, 12, (240, 320)).astype(np.uint8)    # grain up to 11
    flat[100:104, 40:44] = 14                                    # a speck just over the threshold
    flat[60:120, 200:206] = 80                                   # a pen stroke
    mask = np.where(flat >= 13, 255, 0).astype(np.uint8)
    grain = paper_grain(flat, mask)
    assert 9 <= grain <= 11
    page = preprocess.Page(flat, mask, None, None, None, 13, 1.0, (0, 0), flat.shape)
    assert pen_ink.stands_out(pen_ink.ink_level(page, (200, 60, 6, 60)), grain)
    assert not pen_ink.stands_out(pen_ink.ink_level(page, (40, 100, 4, 4)), grain)


def noisy_paper_with_a_stroke(paper):
    """(page, stroke's box, speck's box): a faint stroke 70 grey levels over `paper` (flattened
    ink, 240x320), and a speck as bright as the paper's grain, both in the mask."""
    flat = paper.copy()
    flat[60:120, 200:206] = np.clip(flat[60:120, 200:206].astype(int) + 70, 0, 255)
    grain = paper_grain(paper, np.zeros_like(paper))
    flat[100:104, 40:44] = grain
    mask = np.zeros_like(flat)
    mask[60:120, 200:206] = mask[100:104, 40:44] = 255
    return preprocess.Page(flat, mask, None, None, None, 13, 1.0, (0, 0), flat.shape), (200, 60, 6, 60), (40, 100, 4, 4)


def quieter_grain(page):
    """(raw grain, grain without noise) of a page's paper."""
    step, paper = pen_ink.paper_sample(page.flat, page.mask)
    grain = paper_grain(page.flat, page.mask)
    return grain, pen_ink.grain_without_noise(page.flat, step, paper, grain)


def test_faint_writing_stands_out_of_a_noisy_sensor_and_grain_still_does_not():
    """A dim or small camera's noise (sigma 20 here) makes single paper pixels as bright as
    faint writing; a stroke's mean averages it. Where smoothing lowers the grain as it lowers
    noise, the grain is the mean of the two (pen_ink.grain_without_noise): the stroke stands
    out, a speck as bright as the grain does not. Paper whose grain is texture keeps its
    grain; rulings a pixel wide are as fine as noise, and their specks still do not stand out."""
    rng = np.random.default_rng(0)
    noise = np.clip(rng.normal(12, 20, (240, 320)), 0, 255).astype(np.uint8)
    page, stroke, speck = noisy_paper_with_a_stroke(noise)
    grain, quieter = quieter_grain(page)
    assert grain == 59 and round(quieter) == 42
    assert not pen_ink.stands_out(pen_ink.ink_level(page, stroke), grain)  # against each pixel's noise
    regions = [segment.Region(box, (0,), None) for box in (stroke, speck)]
    assert pen_ink.pen_ink_regions(page, regions) == regions[:1]
    texture = cv2.GaussianBlur(rng.normal(0, 1, (240, 320)).astype(np.float32), (0, 0), 3)
    texture = np.clip(12 + 20 * texture / texture.std(), 0, 255).astype(np.uint8)
    grain, quieter = quieter_grain(noisy_paper_with_a_stroke(texture)[0])
    assert quieter == grain
    ruled = np.full((240, 320), 5, np.uint8)
    ruled[::20] = 60
    grain, quieter = quieter_grain(noisy_paper_with_a_stroke(ruled)[0])
    assert grain == 60 and quieter < grain and not pen_ink.stands_out(60, quieter)


def test_a_speck_dimmer_than_the_grain_never_stands_out_however_far_smoothing_lowers_it():
    """Noise around a mean under the paper's (flattened ink clips it at 0) falls further under
    smoothing than the real photos' (2.0 at most): the grain without noise stops at the
    grain over MIN_STROKE_TO_GRAIN."""
    rng = np.random.default_rng(0)
    page, _, _ = noisy_paper_with_a_stroke(np.clip(rng.normal(-10, 20, (240, 320)), 0, 255).astype(np.uint8))
    grain, quieter = quieter_grain(page)
    assert quieter == grain / pen_ink.MIN_STROKE_TO_GRAIN
    assert not pen_ink.stands_out(grain - 0.5, quieter)


def test_a_clean_page_is_not_looked_at_again_for_noise(monkeypatch):
    """When every candidate stands out of the paper's grain, the paper is not smoothed and
    measured again (the camera loop's frames)."""
    def must_not_run(*arguments):
        raise AssertionError("grain_without_noise ran")
    monkeypatch.setattr(pen_ink, "grain_without_noise", must_not_run)
    page, stroke, _ = noisy_paper_with_a_stroke(np.random.default_rng(0).integers(0, 12, (240, 320)).astype(np.uint8))
    region = segment.Region(stroke, (0,), None)
    assert pen_ink.pen_ink_regions(page, [region]) == [region]


def band(width, soft, level, length=320):
    """A vertical band of flattened ink (bright on black) in a 400x300 picture, with its mask
    where the threshold (a fifth of its peak) would put it: blurred by `soft` pixels."""
    flat = np.zeros((400, 300), np.float32)
    flat[200 - length // 2:200 + length // 2, 150 - width // 2:150 + width // 2] = level
    if soft:
        flat = cv2.GaussianBlur(flat, (0, 0), soft)
    flat = flat.astype(np.uint8)
    mask = np.where(flat >= 0.2 * flat.max(), 255, 0).astype(np.uint8)
    return preprocess.Page(flat, mask, None, None, None, 10, 1.0, (0, 0), flat.shape), cv2.boundingRect(mask)


def is_shadow(page, box):
    return pen_ink.is_soft_shadow(page, box, pen_ink.ink_level(page, box))


def test_a_faint_band_with_soft_edges_is_a_shadow_and_a_sharp_or_dark_one_is_ink():
    """A pen's shadow: faint, its edges rising over many pixels. A marker stroke as wide and
    as faint but sharp, or as soft but dark, is ink; so is a soft faint blob spanning under
    15 % of the picture's width and height (writing far out of focus)."""
    page, box = band(30, 12, 60)
    assert is_shadow(page, box) and not pen_ink.is_pen_ink(page, box, grain=5)
    assert not is_shadow(*band(30, 0, 60))      # sharp: a stroke
    assert not is_shadow(*band(30, 12, 200))    # dark: ink out of focus
    page, (x, y, w, h) = band(20, 8, 60, length=20)
    level = pen_ink.ink_level(page, (x, y, w, h))
    assert h < 0.15 * 400 and w < 0.15 * 300 and pen_ink.edge_rise(page.flat, page.mask) < pen_ink.SHADOW_EDGE * level
    assert not is_shadow(page, (x, y, w, h))  # as soft and faint, but small


# (seed, page) of the harder set (scripts/make_page_set.py) -> the number read: shadows on a
# blank page and on a smudged one read as "1", "11", "5" and "7"; a big 6 beside a shadow as
# "1", a column of four digits crossed by one as "2".
SHADOWED_PAGES = {(2, 108): "", (2, 164): "", (2, 283): "", (3, 272): "", (0, 348): "6", (3, 182): "8860"}


def test_shadows_on_generated_pages_are_no_digits_and_the_digits_beside_them_are_read():
    model = load_model(INT8_MODEL)
    for (seed, index), number in SHADOWED_PAGES.items():
        page = harder_set_page(seed, index)
        assert "".join(page.lines) == number
        assert classify.read_number(classify.classify_image(model, page.image, 0.5)) == number, (seed, index)
