"""edge_runtime.preprocess: photo/frame -> MNIST-style 28x28 crops, checked without a model."""

import cv2
import numpy as np
import pytest

from conftest_edge import harder_set_page, mnist_test_arrays, photo_set
from edge_runtime import preprocess, synthetic


def blank_paper(value=200, size=(480, 640)):
    return np.full(size, value, np.uint8)


def test_to_grayscale_accepts_gray_bgr_bgra_and_16_bit():
    bgr = np.zeros((4, 5, 3), np.uint8)
    bgr[..., 2] = 255  # pure red
    assert preprocess.to_grayscale(bgr).shape == (4, 5)
    assert preprocess.to_grayscale(bgr)[0, 0] == 76  # ITU-R BT.601 weight of red
    assert preprocess.to_grayscale(np.dstack([bgr, bgr[..., :1]])).shape == (4, 5)
    assert preprocess.to_grayscale(np.full((3, 3), 65535, np.uint16))[0, 0] == 255
    with pytest.raises(ValueError, match="float32"):
        preprocess.to_grayscale(np.zeros((3, 3), np.float32))
    with pytest.raises(ValueError, match=r"\(3, 3, 2\)"):
        preprocess.to_grayscale(np.zeros((3, 3, 2), np.uint8))


def test_polarity_detects_dark_ink_on_light_paper_and_the_reverse():
    page = blank_paper()
    cv2.putText(page, "42", (200, 300), cv2.FONT_HERSHEY_SIMPLEX, 5, 30, 12)
    assert preprocess.is_dark_on_light(page)
    assert not preprocess.is_dark_on_light(255 - page)
    assert preprocess.ink_image(page)[0].max() == 255 - 30


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
    assert preprocess.exposure(preprocess.quarter_size(dark)) == preprocess.LEAST_EXPOSURE
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
    assert preprocess.exposure(preprocess.quarter_size(page)) == 1.0
    assert preprocess.exposure(preprocess.quarter_size(dim)) == pytest.approx(70 / preprocess.WELL_LIT)
    for picture in (page, dim):
        assert len(preprocess.find_digits(picture)) == 4


def page_on_a_dark_desk(paper_share):
    """A white sheet with dark digits on a dark desk that fills the rest of the frame."""
    frame = np.full((480, 640), 45, np.uint8)
    side = int(np.sqrt(paper_share) * 480)
    top, left = (480 - side) // 2, (640 - side) // 2
    frame[top:top + side, left:left + side] = 215
    for index, digit in enumerate("385"):  # a third of the sheet's width each, apart
        cv2.putText(frame, digit, (left + side * (2 * index + 1) // 7, top + side * 3 // 5),
                    cv2.FONT_HERSHEY_SIMPLEX, side / 200.0, 30, max(2, side // 50))
    return frame


@pytest.mark.parametrize("paper_share", [0.15, 0.3, 0.6])
def test_a_page_on_a_dark_desk_is_dark_ink_on_light_paper_however_much_desk_shows(paper_share):
    """The desk may be most of the frame; the global median once called the page "ink"."""
    frame = page_on_a_dark_desk(paper_share)
    assert preprocess.is_dark_on_light(frame)
    assert len(preprocess.find_digits(frame)) == 3


def labelled_largest_region(bright):
    """The largest 4-connected region's (area, box area), every region labelled."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
    if count < 2:
        return 0, 0
    largest = stats[1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))]
    return int(largest[cv2.CC_STAT_AREA]), int(largest[cv2.CC_STAT_WIDTH] * largest[cv2.CC_STAT_HEIGHT])


def test_the_largest_bright_region_is_found_from_the_centre_or_by_labelling_them_all():
    sheet = np.zeros((120, 160), np.uint8)
    sheet[10:110, 20:150] = 255
    sheet[50:60, 60:70] = 0  # a digit on the sheet
    assert preprocess.largest_bright_region(sheet) == (130 * 100 - 100, 130 * 100)
    corner = np.zeros((120, 160), np.uint8)
    corner[:70, :70] = 255          # the largest region...
    corner[55:65, 75:85] = 255      # ...and a smaller one on the centre, which the fill finds first
    assert preprocess.largest_bright_region(corner) == (70 * 70, 70 * 70)
    diagonal = np.zeros((120, 160), np.uint8)
    diagonal[:60, :80] = 255
    diagonal[60:, 80:] = 255        # touching the first only at a corner: 4-connected, two regions
    assert preprocess.largest_bright_region(diagonal) == (60 * 80, 60 * 80)
    assert preprocess.largest_bright_region(np.zeros((120, 160), np.uint8)) == (0, 0)
    tie = np.zeros((40, 40), np.uint8)
    tie[0, :39] = 255                # 39 pixels in a 39-pixel box, first in raster order...
    tie[20, 10:30] = tie[21:40, 10] = 255  # ...and 39 in a 20x20 box on the centre: labelling picks the first
    assert preprocess.largest_bright_region(tie) == (39, 39)
    rng = np.random.default_rng(0)
    for _ in range(300):
        height, width = rng.integers(1, 40, size=2)
        bright = (rng.random((height, width)) < rng.random()).astype(np.uint8) * 255
        assert preprocess.largest_bright_region(bright) == labelled_largest_region(bright)


# (seed, page) of the harder set (scripts/make_page_set.py): a sheet on a textured grey desk
# with a shadow across it, once taken for light ink (the desk's bright grain made the bright
# tail the longer). The page of 40 digits read "007500" (tests/test_edge_classify.py).
# Not surely: an unevenly lit chalk board's tails look alike (tests/test_edge_classify.py).
SHADED_SHEETS_ON_TEXTURED_DESKS = [(0, 77), (0, 112), (2, 150), (2, 152)]


def test_a_shaded_sheet_on_a_textured_desk_is_not_surely_light_ink():
    """So it is read both ways (classify.other_polarity)."""
    for seed, index in SHADED_SHEETS_ON_TEXTURED_DESKS:
        page = harder_set_page(seed, index)
        assert "".join(page.lines)  # pages with digits
        work, _, _ = preprocess.padded_working_copy(preprocess.to_grayscale(page.image))
        dark_ink, sure = preprocess.ink_polarity(work)
        assert dark_ink or not sure, (seed, index)


def test_blank_paper_and_the_benchmark_frames_are_read_one_way_only():
    """Reading a picture both ways (classify.other_polarity) is for tails that look alike over
    real strokes; flat or noisy blank paper has none, and the benchmark's frames must not pay."""
    from edge_runtime import benchmark
    rng = np.random.default_rng(0)
    noisy = np.clip(205 + rng.normal(0, 5, (480, 640)), 0, 255).astype(np.uint8)
    for picture in (np.full((480, 640), 205, np.uint8), noisy, benchmark.speckled_frame(), benchmark.blobby_frame()):
        work, _, _ = preprocess.padded_working_copy(preprocess.to_grayscale(picture))
        assert preprocess.ink_polarity(work)[1]
    assert preprocess.prepare(noisy, dark_ink=False).polarity_sure  # given, not decided again


def test_chalk_on_a_board_is_light_ink_on_dark():
    board = np.full((480, 640), 40, np.uint8)
    cv2.putText(board, "72", (200, 300), cv2.FONT_HERSHEY_SIMPLEX, 5, 210, 10)
    assert preprocess.ink_polarity(board) == (False, True)


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


def test_an_enlarged_pictures_boxes_cover_the_pixels_they_started_in():
    """At factor 0.5 a box from working pixel 7 to 10 covers source pixels 3 to 4 (3.5 to 5):
    corners go outward, not to the nearest even pixel."""
    page = preprocess.Page(None, None, None, None, None, 20, 0.5, 0, (100, 100))
    assert preprocess.to_source_box(page, (7, 7, 3, 3)) == (3, 3, 2, 2)
    # A 328-pixel picture enlarged to 640: float error must not widen a box by a pixel.
    page = page._replace(factor=1.0 / (640 / 328), source_shape=(328, 328))  # as working_copy makes it
    assert page.factor * 80 != 41 and preprocess.to_source_box(page, (80, 80, 80, 80)) == (41, 41, 41, 41)


def test_an_enlarged_picture_reads_no_more_candidates_than_a_640x480_frame():
    """The budgets count an enlarged picture by its own pixels: a 479x479 picture is worked on
    at 640x640, and is still allowed what a 640x480 frame is."""
    page = preprocess.prepare(blank_paper(200, (479, 479)))
    assert page.mask.shape == (640, 640)
    assert preprocess.per_frame(page, 80) == 80


