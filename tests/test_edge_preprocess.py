"""edge_runtime.preprocess: photo/frame -> MNIST-style 28x28 crops, checked without a model."""

import cv2
import numpy as np
import pytest

from conftest_edge import harder_set_page, mnist_test_arrays, photo_set
from edge_runtime import benchmark, grayscale, preprocess, segment, synthetic


def blank_paper(value=200, size=(480, 640)):
    return np.full(size, value, np.uint8)


def test_mnist_style_input_goes_straight_through_unchanged():
    images, _ = mnist_test_arrays()
    for image in images[:50]:
        (candidate,) = preprocess.find_digits(image)
        assert candidate.box == (0, 0, 28, 28)
        np.testing.assert_array_equal(candidate.image, image)


def test_blank_paper_with_noise_and_a_gradient_has_no_digits():
    rng = np.random.default_rng(0)
    gradient = np.linspace(120, 230, 640)[None, :] + rng.normal(0, 6, (480, 640))
    assert preprocess.find_digits(np.clip(gradient, 0, 255).astype(np.uint8)) == []


def test_rejects_lines_blobs_specks_and_shapes_cut_by_the_border():
    page = blank_paper()
    cv2.line(page, (50, 400), (600, 405), 20, 4)             # an underline: too wide
    cv2.rectangle(page, (60, 60), (160, 160), 20, -1)        # a solid square: too full
    cv2.rectangle(page, (250, 50), (400, 250), 20, 1)        # a hairline frame: too empty
    cv2.circle(page, (600, 200), 50, 20, 8)                   # a 0-like ring cut by the right edge...
    page[:, 620:] = 200                                       # ...so the edge is where it is cut
    cv2.circle(page, (630, 200), 50, 20, 8)
    for x in range(300, 600, 37):                             # specks
        cv2.circle(page, (x, 330), 1, 20, -1)
    assert preprocess.find_digits(page) == []


def test_photo_digits_are_found_where_they_were_drawn_and_a_row_left_to_right():
    photos = photo_set()[:40]
    found = sum(len(synthetic.match_digits(p, preprocess.find_digits(p.image))) for p in photos)
    total = sum(len(p.labels) for p in photos)
    assert found / total >= 0.97
    images, labels = mnist_test_arrays()
    rows = synthetic.make_photo_set(images[:200], labels[:200], 10, seed=1,
                                    options=synthetic.PhotoOptions(digits=(3, 5), row_band=0.3))
    for photo in rows:
        xs = [c.box[0] for c in preprocess.find_digits(photo.image)]
        assert len(xs) == len(photo.labels) and xs == sorted(xs)


def test_crops_look_like_the_mnist_digit_they_came_from():
    """A clean render of an MNIST digit comes back close to the original 28x28 digit."""
    images, labels = mnist_test_arrays()
    rng = np.random.default_rng(1)
    options = synthetic.PhotoOptions(rotation_degrees=0.0, noise_sigma=(0.0, 0.0), blur_sigma=(0.0, 0.0),
                                     gradient=0.0, jpeg_quality=(95, 95), digits=(1, 1))
    correlations = []
    for index in range(20):
        photo = synthetic.make_photo(rng, images[index:index + 1], labels[index:index + 1], options)
        (candidate,) = preprocess.find_digits(photo.image)
        correlations.append(np.corrcoef(candidate.image.ravel(), images[index].ravel())[0, 1])
    assert np.median(correlations) >= 0.85


def test_large_photos_are_processed_at_working_size_and_boxes_mapped_back():
    page = blank_paper(size=(3000, 4000))
    cv2.putText(page, "7", (1500, 2000), cv2.FONT_HERSHEY_SIMPLEX, 30, 30, 60)
    (candidate,) = preprocess.find_digits(page)
    x, y, w, h = candidate.box
    assert 1400 < x < 1700 and 1000 < y < 1400 and 500 < h < 1000


@pytest.mark.parametrize("shape", [(1, 3000), (3000, 1), (2, 5000)])
def test_one_pixel_strips_larger_than_the_working_size_do_not_crash(shape):
    """1x3000 scales to 0.34 pixels high, which must round up to 1, not down to an empty image."""
    strip = np.full(shape, 200, np.uint8)
    strip[..., ::50] = 20
    assert preprocess.find_digits(strip) == []


def test_a_dark_frame_keeps_a_floor_over_its_noise():
    """A covered lens or a dark room: sensor noise about grey 10. The floor falls with the
    light only to LEAST_EXPOSURE of itself, so the noise stays paper (with no least exposure
    it made about 3,000 blobs, and the frame took 55 ms instead of 1 ms)."""
    dark = np.clip(np.random.default_rng(2).normal(10, 4, (480, 640)), 0, 255).astype(np.uint8)
    assert preprocess.exposure(grayscale.quarter_size(dark)) == preprocess.LEAST_EXPOSURE
    assert len(preprocess.prepare(dark).boxes) < 20


def test_a_page_is_thresholded_at_the_level_it_is_given():
    """prepare(..., at_level=...) thresholds at that level and finds no doubtful one (the
    second look at a page's doubtful threshold, classify.second_opinion)."""
    page = preprocess.prepare(blank_paper())
    assert page.doubtful_level is None
    dotted = blank_paper()
    dotted[100:110, 100:110] = 150  # 50 below the paper: ink 50 bright once flattened
    assert len(preprocess.prepare(dotted, at_level=60).boxes) == 0
    assert len(preprocess.prepare(dotted, at_level=40).boxes) == 1


def test_faint_writing_in_dim_light_is_still_ink():
    """Pencil-grey digits (50 grey levels under the paper) photographed in light a third as
    bright: their contrast falls under the threshold's floor of 20 unless the floor falls
    with the light."""
    page = blank_paper(200)
    cv2.putText(page, "2048", (120, 280), cv2.FONT_HERSHEY_SIMPLEX, 4, 150, 10)
    dim = (page * 0.35).astype(np.uint8)
    assert preprocess.exposure(grayscale.quarter_size(page)) == 1.0
    assert preprocess.exposure(grayscale.quarter_size(dim)) == pytest.approx(70 / preprocess.WELL_LIT)
    for picture in (page, dim):
        assert len(preprocess.find_digits(picture)) == 4


def test_an_empty_array_is_a_value_error_not_an_opencv_crash():
    with pytest.raises(ValueError, match="empty image"):
        preprocess.find_digits(np.zeros((0, 5), np.uint8))


def test_boxes_map_back_inside_a_tight_crop():
    crop = np.zeros((20, 12), np.uint8)
    crop[:, 4:8] = 255  # a 1 touching the top and bottom edges
    (candidate,) = preprocess.find_digits(crop)
    x, y, w, h = candidate.box
    assert x >= 0 and y >= 0 and x + w <= 12 and y + h <= 20 and h >= 19


def test_small_pictures_are_worked_on_enlarged_and_boxes_map_back():
    """A page photographed small: 1-pixel strokes 12 pixels tall. Worked on twice as big (a
    picture just under SMALL_PICTURE only up to ENLARGED_SIDE), and the boxes come back in
    the picture's own pixels; a 640x480 frame and a padded tight crop keep their size."""
    page = blank_paper(200, (200, 300))
    cv2.putText(page, "2048", (60, 110), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 90, 1)
    prepared = preprocess.prepare(page)
    assert prepared.factor == 0.5 and prepared.mask.shape == (400, 600)
    just_under = preprocess.prepare(blank_paper(200, (300, preprocess.SMALL_PICTURE - 1)))
    assert just_under.mask.shape[1] == preprocess.ENLARGED_SIDE
    assert preprocess.prepare(blank_paper(200, (300, preprocess.SMALL_PICTURE))).factor == 1.0
    assert preprocess.prepare(blank_paper()).factor == 1.0
    assert preprocess.prepare(blank_paper(200, (28, 20))).factor == 1.0  # padded, not enlarged
    boxes = sorted(candidate.box for candidate in preprocess.find_digits(page))
    assert len(boxes) == 4
    for x, y, w, h in boxes:
        assert 58 <= x and x + w <= 120 and 94 <= y and y + h <= 113


def test_an_enlarged_picture_reads_no_more_candidates_than_a_640x480_frame():
    """The budgets count an enlarged picture by its own pixels: a 479x479 picture is worked on
    at 640x640, and is still allowed what a 640x480 frame is."""
    page = preprocess.prepare(blank_paper(200, (479, 479)))
    assert page.mask.shape == (640, 640)
    assert preprocess.per_frame(page, 80) == 80




def plausible_and_budget(picture):
    """(page, plausible regions, regions it may read) of a picture, first look."""
    page = preprocess.prepare(picture)
    options = preprocess.FindOptions()
    regions = segment.plausible_regions(page.boxes, page.ids, page.contours, page.mask, options)
    return page, regions, preprocess.per_frame(page, options.max_candidates)


def test_a_frame_of_specks_reads_half_its_budgets_of_candidates_and_crops():
    """The speckled benchmark frame holds 636 plausible regions against 80 it may read: grain,
    so only the biggest 40 are read, and they may spend 60 crops, not 120. A page of 68 digits
    on a desk reads every candidate and may spend the whole budget."""
    options = preprocess.FindOptions()
    page, regions, budget = plausible_and_budget(benchmark.speckled_frame())
    assert (len(regions), budget) == (636, 80) and preprocess.is_flooded(len(regions), budget)
    read, crops = preprocess.reading_plan(page)
    assert (len(read), crops) == (budget // 2, options.max_crops // 2)
    page, regions, budget = plausible_and_budget(harder_set_page(0, 194).image)
    assert len(regions) == 68 and not preprocess.is_flooded(len(regions), budget)
    read, crops = preprocess.reading_plan(page)
    assert (len(read), crops) == (68, preprocess.per_frame(page, options.max_crops))
