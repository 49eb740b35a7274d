"""edge_runtime.preprocess: photo/frame -> MNIST-style 28x28 crops, checked without a model."""

import warnings

import cv2
import numpy as np
import pytest

from conftest_edge import mnist_test_arrays, photo_set
from edge_runtime import preprocess, segment, synthetic, synthetic_pages


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


def test_fit_to_mnist_fits_20x20_and_centres_by_mass():
    crop = np.zeros((90, 30), np.uint8)
    cv2.line(crop, (5, 5), (25, 85), 255, 6)
    fitted = preprocess.fit_to_mnist(crop)
    rows, cols = np.nonzero(fitted)
    assert fitted.shape == (28, 28) and fitted.dtype == np.uint8
    assert rows.max() - rows.min() + 1 == 20 and cols.max() - cols.min() + 1 <= 8
    moments = cv2.moments(fitted)
    assert abs(moments["m10"] / moments["m00"] - 14) <= 1.0
    assert abs(moments["m01"] / moments["m00"] - 14) <= 1.0


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


def count_thresholds(monkeypatch):
    calls = []
    real = cv2.threshold

    def counting(*args):
        calls.append(args[2:])
        return real(*args)
    monkeypatch.setattr(cv2, "threshold", counting)
    return calls


def test_binarize_thresholds_once_when_otsu_is_above_the_floor(monkeypatch):
    page = blank_paper(0)
    cv2.putText(page, "42", (200, 300), cv2.FONT_HERSHEY_SIMPLEX, 5, 180, 12)
    otsu, expected = cv2.threshold(page, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    calls = count_thresholds(monkeypatch)
    mask, level = preprocess.binarize(page, min_threshold=20)
    assert len(calls) == 1 and level == otsu > 20
    np.testing.assert_array_equal(mask, expected)


def test_binarize_uses_the_floor_on_blank_noisy_paper(monkeypatch):
    noise = np.random.default_rng(0).integers(0, 12, (100, 100)).astype(np.uint8)
    mask, level = preprocess.binarize(noise, min_threshold=20)
    assert level == 20 and not mask.any()


def test_otsu_split_finds_opencvs_level_and_measures_how_cleanly_it_separates():
    rng = np.random.default_rng(0)
    for paper, ink, share in ((30, 150, 0.1), (10, 60, 0.02), (100, 130, 0.5)):
        picture = np.where(rng.random((120, 160)) < share, ink, paper) + rng.normal(0, 8, (120, 160))
        picture = np.clip(picture, 0, 255).astype(np.uint8)
        level, _ = cv2.threshold(picture, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        split = preprocess.otsu_split(cv2.calcHist([picture], [0], None, [256], [0, 256]).ravel())
        assert split.level == level
    spikes = np.zeros(256)
    spikes[[10, 200]] = (900, 100)
    assert preprocess.otsu_split(spikes).separation == pytest.approx(1.0)
    bell = np.exp(-0.5 * ((np.arange(256) - 128) / 20.0) ** 2)
    assert preprocess.otsu_split(bell).separation == pytest.approx(2 / np.pi, abs=0.01)


def faint_writing_under_a_dark_edge(with_digits, edge=(90, 231)):
    """Flattened ink of a sheet (grain: a bell curve about 4) with faint ballpoint digits
    (ink 40) and the desk's dark edge along the top border (ink in the `edge` range, the
    desk's grain), as a page photographed at half size gives."""
    rng = np.random.default_rng(1)
    flat = np.clip(rng.normal(4, 1.5, (240, 320)), 0, 255).astype(np.uint8)
    flat[:6] = rng.integers(*edge, (6, 320))
    if with_digits:
        cv2.putText(flat, "2048", (40, 150), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 40, 2)
    return flat


def test_the_threshold_is_found_again_without_the_blobs_on_the_border():
    """The desk's edge set Otsu's level above the writing; without it the digits are ink."""
    flat = faint_writing_under_a_dark_edge(with_digits=True)
    first, level = preprocess.binarize(flat, min_threshold=20)
    assert level >= 40 and not first[10:].any()  # the first level finds only the edge
    mask, level = preprocess.ink_mask(flat, min_threshold=20)
    assert 20 <= level < 40
    np.testing.assert_array_equal(mask[10:] > 0, flat[10:] > level)
    assert mask[flat == 40].all()


def test_a_clean_split_without_the_border_is_followed_even_when_the_border_splits_cleaner():
    """An even, dark desk (a page seen at an angle leaves such wedges in the corners) splits
    the whole picture more cleanly than the writing splits the rest; the rest's split is
    clean in itself, and the writing is ink."""
    flat = faint_writing_under_a_dark_edge(with_digits=True, edge=(200, 201))
    rest = flat[6:]
    whole = preprocess.otsu_split(cv2.calcHist([flat], [0], None, [256], [0, 256]).ravel())
    writing = preprocess.otsu_split(cv2.calcHist([rest], [0], None, [256], [0, 256]).ravel())
    assert whole.separation > writing.separation >= preprocess.CLEAN_SPLIT
    mask, level = preprocess.ink_mask(flat, min_threshold=20)
    assert level < 40 and mask[flat == 40].all()


def test_a_fair_split_is_followed_only_where_the_first_level_loses_most_but_not_all_of_the_ink():
    """A page at an angle on a dark desk: the desk splits the whole picture cleanly, the faint
    writing the rest only fairly (0.73), and the desk's level leaves most of the writing out,
    its darkest strokes in. A blank page's rest lies wholly under the desk's level."""
    whole, fair = preprocess.Split(80.0, 0.91), preprocess.Split(30.0, 0.73)
    assert preprocess.follows_rest(fair, whole, lost=0.9)
    assert not preprocess.follows_rest(fair, whole, lost=0.3)
    assert not preprocess.follows_rest(fair, whole, lost=preprocess.MOST_LOST)
    assert not preprocess.follows_rest(fair, whole, lost=1.0)  # all of it: grain, no writing
    assert preprocess.follows_rest(fair, whole, lost=0.98)
    assert not preprocess.follows_rest(fair, whole, lost=preprocess.ALL_LOST)
    at_the_edge = preprocess.Split(30.0, preprocess.FAIR_SPLIT)
    assert preprocess.follows_rest(at_the_edge, whole, lost=0.6)
    assert not preprocess.follows_rest(preprocess.Split(30.0, 0.69), whole, lost=0.9)
    assert preprocess.follows_rest(preprocess.Split(30.0, 0.76), whole, lost=0.0)  # clean in itself


def test_the_share_lost_counts_what_lies_over_the_second_level_and_not_over_the_first():
    """Ink at the second level itself is paper there; ink at the first level is paper at the
    first look, so it counts as lost. Levels scaled by the light may be fractional."""
    histogram = np.zeros(256)
    histogram[10], histogram[30], histogram[40], histogram[80], histogram[90] = 1000, 7, 30, 50, 20
    assert preprocess.share_lost(histogram, 30, 80) == pytest.approx(0.8)    # 40 and 80 of 40, 80, 90
    assert preprocess.share_lost(histogram, 29.5, 79.5) == pytest.approx(37 / 107)  # 30 and 40 of all four
    assert preprocess.share_lost(histogram, 95, 120) == 0.0                   # nothing over the rest's level


def test_marks_fainter_than_the_floor_stay_paper_at_the_second_level():
    """With a floor of 30, the rest's own Otsu level (19) falls under it; the floor
    still holds, so marks 25 grey levels above the paper stay paper while writing at 40 is ink."""
    flat = faint_writing_under_a_dark_edge(with_digits=True)
    flat[200:204, 40:280] = 25
    mask, level = preprocess.ink_mask(flat, min_threshold=30)
    assert level == 30 and not mask[200:204].any() and mask[flat == 40].all()


def test_a_blob_joined_to_the_border_by_a_thin_neck_counts_as_on_the_border():
    """Found at full size: a one-pixel neck on an odd row, which sampling every other row
    would cut, still joins the blob to the border."""
    mask = np.zeros((20, 20), np.uint8)
    mask[5, 0:8] = 255       # the neck, on an odd row
    mask[2:9, 8:14] = 255    # the blob
    sample, inside = preprocess.sampled_away_from_border(mask, mask)
    assert sample.shape == inside.shape == (10, 10)
    assert sample[1:5, 4:7].all() and not inside[1:5, 4:7].any()


def test_the_second_look_copes_with_pictures_all_ink_or_all_border():
    """A picture all ink leaves an empty rest (no division by zero); one a pixel or a few
    wide is all border."""
    assert preprocess.otsu_split(np.zeros(256)) == (0.0, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert preprocess.ink_mask(np.full((40, 40), 200, np.uint8), 20)[1] == 20
        for shape in ((1, 1), (2, 2), (1, 40), (3, 3)):
            picture = np.zeros(shape, np.uint8)
            picture.flat[0] = 255
            assert preprocess.ink_mask(picture, 20)[1] == preprocess.binarize(picture, 20)[1]


def test_blobs_joined_to_the_border_at_a_corner_count_as_on_the_border():
    """Ink linked to the border only through a diagonal step is one blob with it (8-connected)."""
    mask = np.zeros((12, 12), np.uint8)
    mask[0, 0] = mask[1, 1] = 255
    mask[2:6, 2:6] = 255
    mask[8:10, 8:10] = 255
    inside = segment.away_from_border(mask)
    assert not inside[2:6, 2:6].any() and inside[8:10, 8:10].all()


def test_no_second_look_without_ink_on_the_border(monkeypatch):
    looked = []
    monkeypatch.setattr(segment, "away_from_border", lambda mask: looked.append(mask))
    flat = faint_writing_under_a_dark_edge(with_digits=True)
    flat[:6] = 0
    preprocess.ink_mask(flat, min_threshold=20)
    assert looked == []


def test_a_dark_frame_keeps_a_floor_over_its_noise():
    """A covered lens or a dark room: sensor noise about grey 10. The floor falls with the
    light only to LEAST_EXPOSURE of itself, so the noise stays paper (with no least exposure
    it made about 3,000 blobs, and the frame took 55 ms instead of 1 ms)."""
    dark = np.clip(np.random.default_rng(2).normal(10, 4, (480, 640)), 0, 255).astype(np.uint8)
    assert preprocess.exposure(preprocess.quarter_size(dark)) == preprocess.LEAST_EXPOSURE
    assert len(preprocess.prepare(dark).boxes) < 20


def strokes_under_a_desk_edge(writing_top, grain):
    """Flattened ink: grainy paper, vertical strokes of tones from 12 to `writing_top`, and a
    desk's edge 160 bright along the top, 20 rows deep."""
    rng = np.random.default_rng(0)
    flat = np.clip(rng.normal(8, grain, (200, 300)), 0, 255)
    strokes = np.zeros(flat.shape, bool)
    for x in range(20, 280, 12):
        strokes[40:180, x:x + 3] = True
    flat[strokes] = rng.uniform(12, writing_top, strokes.sum())
    flat[:20, :] = 160
    return flat.astype(np.uint8)


def test_a_lower_level_not_followed_is_doubtful_when_it_may_be_the_writings(monkeypatch):
    """With the splits that are followed out of reach, the rest's level is doubtful when the
    desk's level would lose most of the writing but not all (89 % here); the picture is still
    thresholded at the desk's level. Where it would lose all of it, there is no doubt."""
    monkeypatch.setattr(preprocess, "CLEAN_SPLIT", 0.99)
    monkeypatch.setattr(preprocess, "FAIR_SPLIT", 0.99)
    monkeypatch.setattr(preprocess, "FRAGMENTS", 10.0)  # these strokes' random tones break up (next test)
    flat = strokes_under_a_desk_edge(writing_top=90, grain=7)
    levels = preprocess.ink_levels(flat, 20)
    assert levels.level == preprocess.binarize(flat, 20)[1] > 70
    assert 30 <= levels.doubtful <= 40
    assert np.array_equal(levels.mask, preprocess.binarize(flat, 20)[0])
    assert preprocess.ink_mask(flat, 20)[1] == levels.level
    assert preprocess.ink_levels(strokes_under_a_desk_edge(writing_top=50, grain=7), 20).doubtful is None
    rest, lost = preprocess.Split(35.0, preprocess.ONE_BELL + 0.01), 0.9
    assert preprocess.may_be_writing(rest, lost)
    assert not preprocess.may_be_writing(rest._replace(separation=preprocess.ONE_BELL), lost)
    assert not preprocess.may_be_writing(rest, preprocess.MOST_LOST)
    assert not preprocess.may_be_writing(rest, preprocess.ALL_LOST)


def test_a_lower_level_that_breaks_into_specks_is_not_doubtful():
    """Writing blurred by motion merges at the lower level (its darkest bits, over the first
    level, are pieces of one stroke); paper grain there breaks into specks
    (preprocess.holds_together: at most FRAGMENTS times the first level's blobs)."""
    flat = np.zeros((200, 300), np.uint8)
    flat[:20, :] = 160  # the desk's edge
    strokes = flat.copy()
    for x in (60, 120, 180):
        strokes[60:160, x:x + 8] = 30
        strokes[60:160:10, x:x + 8] = 120  # every tenth row over the first level
    assert preprocess.holds_together(strokes, preprocess.binarize(strokes, 100)[0], 25)  # 31 blobs -> 4
    speckled = flat.copy()
    for y, x in np.random.default_rng(0).integers((25, 0), (197, 297), size=(300, 2)):
        speckled[y:y + 3, x:x + 3] = 30  # grain 3 pixels across, under the first level
    speckled[60:160:10, 60:68] = 120  # ten short marks over the first level: 11 blobs -> hundreds
    assert not preprocess.holds_together(speckled, preprocess.binarize(speckled, 100)[0], 25)


def test_a_page_is_thresholded_at_the_level_it_is_given():
    """prepare(..., at_level=...) thresholds at that level and finds no doubtful one (the
    second look at a page's doubtful threshold, classify.second_opinion)."""
    page = preprocess.prepare(blank_paper())
    assert page.doubtful_level is None
    dotted = blank_paper()
    dotted[100:110, 100:110] = 150  # 50 below the paper: ink 50 bright once flattened
    assert len(preprocess.prepare(dotted, at_level=60).boxes) == 0
    assert len(preprocess.prepare(dotted, at_level=40).boxes) == 1


def test_a_blank_sheet_under_a_dark_edge_keeps_the_first_threshold():
    """Without writing, the rest of the picture is grain, one bell curve: the first level
    stands, and the grain stays paper."""
    flat = faint_writing_under_a_dark_edge(with_digits=False)
    expected = preprocess.binarize(flat, min_threshold=20)
    mask, level = preprocess.ink_mask(flat, min_threshold=20)
    assert level == expected[1]
    np.testing.assert_array_equal(mask, expected[0])


def flattened_ink(image):
    """The blurred, flattened ink that prepare() thresholds."""
    work, _ = preprocess.working_copy(preprocess.to_grayscale(image))
    ink, small = preprocess.ink_image(work)
    return cv2.GaussianBlur(preprocess.flatten_background(ink, small), (3, 3), 0)


def test_pages_without_digits_keep_the_level_their_border_set():
    """Generated pages with no digit whose rest, without the border's blobs, splits less
    cleanly than CLEAN_SPLIT and either than the whole picture (seed 0's pages 18, 89, 163,
    448, 499: smudges, a blank sheet under a shadow, ruled and squared paper) or than one
    bell curve (pages 228 and 454): their rest is grain, rulings, rims and shadows, and a
    lower level made digits of them. Pages 89 and 163 split fairly (0.73, over FAIR_SPLIT),
    but all their rest lies under the first level: no writing reaches it."""
    images, labels = mnist_test_arrays()
    kinds = synthetic_pages.plan_kinds(np.random.default_rng([0, 500]), 500, 0.2)
    for index in (18, 89, 163, 448, 499, 228, 454):
        page = synthetic_pages.make_page(np.random.default_rng([0, index]), images, labels, kinds[index])
        assert not page.labels
        flat = flattened_ink(page.image)
        assert preprocess.ink_mask(flat, 20)[1] == preprocess.binarize(flat, 20)[1]


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


def test_without_blobs_on_the_border_the_threshold_is_otsus():
    flat = faint_writing_under_a_dark_edge(with_digits=True)
    flat[:6] = 0
    expected = preprocess.binarize(flat, min_threshold=20)
    mask, level = preprocess.ink_mask(flat, min_threshold=20)
    assert level == expected[1]
    np.testing.assert_array_equal(mask, expected[0])


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


def test_ink_bounds_are_the_box_of_the_nonzero_pixels_or_none():
    own = np.zeros((30, 20), np.uint8)
    assert preprocess.ink_bounds(own) is None
    own[5:9, 3] = 1
    own[12, 7:11] = 1
    assert preprocess.ink_bounds(own) == (3, 5, 8, 8)


def test_thickening_a_thin_tall_9_keeps_its_small_loop_open():
    """hypjudy_05's 9: 88 px tall, 25 wide, a ballpoint stroke of 3 px. Widened to a tenth of
    its height (7 px more), its loop closed and the 9 read as a 1 (0.70); kept open, 9 (0.91)."""
    own = np.zeros((88, 25), np.uint8)
    cv2.circle(own, (12, 10), 8, 1, 3)
    cv2.line(own, (19, 14), (7, 86), 1, 3)
    stroke = preprocess.stroke_width(own)
    before = preprocess.loop_area(own, stroke)
    thick = preprocess.thicken(own * 255, own)
    assert preprocess.stroke_width((thick > 0).astype(np.uint8)) > stroke + 1  # thickened...
    assert preprocess.loop_area((thick > 0).astype(np.uint8), stroke) >= 0.5 * before > 0  # ...loop open


def test_chalk_on_a_board_is_light_ink_on_dark():
    board = np.full((480, 640), 40, np.uint8)
    cv2.putText(board, "72", (200, 300), cv2.FONT_HERSHEY_SIMPLEX, 5, 210, 10)
    assert not preprocess.is_dark_on_light(board)


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


def test_only_ink_that_stands_out_from_the_paper_grain_is_a_candidate():
    """The threshold lets some paper grain through; such specks are no brighter than the grain
    itself, a pen stroke is many times brighter (flattened ink: bright on black)."""
    rng = np.random.default_rng(0)
    flat = rng.integers(0, 12, (240, 320)).astype(np.uint8)    # grain up to 11
    flat[100:104, 40:44] = 14                                    # a speck just over the threshold
    flat[60:120, 200:206] = 80                                   # a pen stroke
    mask = np.where(flat >= 13, 255, 0).astype(np.uint8)
    grain = preprocess.paper_grain(flat, mask)
    assert 9 <= grain <= 11
    page = preprocess.Page(flat, mask, None, None, None, 13, 1.0, (0, 0), flat.shape)
    assert preprocess.stands_out(page, (200, 60, 6, 60), grain)
    assert not preprocess.stands_out(page, (40, 100, 4, 4), grain)
