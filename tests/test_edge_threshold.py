"""edge_runtime.threshold: what of a flattened picture is ink, checked without a model."""

import warnings

import cv2
import numpy as np
import pytest

from conftest_edge import mnist_test_arrays
from edge_runtime import blob_boxes, grayscale, preprocess, synthetic_pages, threshold


def count_thresholds(monkeypatch):
    calls = []
    real = cv2.threshold

    def counting(*args):
        calls.append(args[2:])
        return real(*args)
    monkeypatch.setattr(cv2, "threshold", counting)
    return calls


def test_binarize_thresholds_once_when_otsu_is_above_the_floor(monkeypatch):
    page = np.zeros((480, 640), np.uint8)
    cv2.putText(page, "42", (200, 300), cv2.FONT_HERSHEY_SIMPLEX, 5, 180, 12)
    otsu, expected = cv2.threshold(page, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    calls = count_thresholds(monkeypatch)
    mask, level = threshold.binarize(page, min_threshold=20)
    assert len(calls) == 1 and level == otsu > 20
    np.testing.assert_array_equal(mask, expected)


def test_binarize_uses_the_floor_on_blank_noisy_paper(monkeypatch):
    noise = np.random.default_rng(0).integers(0, 12, (100, 100)).astype(np.uint8)
    mask, level = threshold.binarize(noise, min_threshold=20)
    assert level == 20 and not mask.any()


def test_otsu_split_finds_opencvs_level_and_measures_how_cleanly_it_separates():
    rng = np.random.default_rng(0)
    for paper, ink, share in ((30, 150, 0.1), (10, 60, 0.02), (100, 130, 0.5)):
        picture = np.where(rng.random((120, 160)) < share, ink, paper) + rng.normal(0, 8, (120, 160))
        picture = np.clip(picture, 0, 255).astype(np.uint8)
        level, _ = cv2.threshold(picture, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        split = threshold.otsu_split(cv2.calcHist([picture], [0], None, [256], [0, 256]).ravel())
        assert split.level == level
    spikes = np.zeros(256)
    spikes[[10, 200]] = (900, 100)
    assert threshold.otsu_split(spikes).separation == pytest.approx(1.0)
    bell = np.exp(-0.5 * ((np.arange(256) - 128) / 20.0) ** 2)
    assert threshold.otsu_split(bell).separation == pytest.approx(2 / np.pi, abs=0.01)


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
    first, level = threshold.binarize(flat, min_threshold=20)
    assert level >= 40 and not first[10:].any()  # the first level finds only the edge
    mask, level = threshold.ink_mask(flat, min_threshold=20)
    assert 20 <= level < 40
    np.testing.assert_array_equal(mask[10:] > 0, flat[10:] > level)
    assert mask[flat == 40].all()


def test_a_clean_split_without_the_border_is_followed_even_when_the_border_splits_cleaner():
    """An even, dark desk (a page seen at an angle leaves such wedges in the corners) splits
    the whole picture more cleanly than the writing splits the rest; the rest's split is
    clean in itself, and the writing is ink."""
    flat = faint_writing_under_a_dark_edge(with_digits=True, edge=(200, 201))
    rest = flat[6:]
    whole = threshold.otsu_split(cv2.calcHist([flat], [0], None, [256], [0, 256]).ravel())
    writing = threshold.otsu_split(cv2.calcHist([rest], [0], None, [256], [0, 256]).ravel())
    assert whole.separation > writing.separation >= threshold.CLEAN_SPLIT
    mask, level = threshold.ink_mask(flat, min_threshold=20)
    assert level < 40 and mask[flat == 40].all()


def test_a_fair_split_is_followed_only_where_the_first_level_loses_most_but_not_all_of_the_ink():
    """A page at an angle on a dark desk: the desk splits the whole picture cleanly, the faint
    writing the rest only fairly (0.73), and the desk's level leaves most of the writing out,
    its darkest strokes in. A blank page's rest lies wholly under the desk's level."""
    whole, fair = threshold.Split(80.0, 0.91), threshold.Split(30.0, 0.73)
    assert threshold.follows_rest(fair, whole, lost=0.9)
    assert not threshold.follows_rest(fair, whole, lost=0.3)
    assert not threshold.follows_rest(fair, whole, lost=threshold.MOST_LOST)
    assert not threshold.follows_rest(fair, whole, lost=1.0)  # all of it: grain, no writing
    assert threshold.follows_rest(fair, whole, lost=0.98)
    assert not threshold.follows_rest(fair, whole, lost=threshold.ALL_LOST)
    at_the_edge = threshold.Split(30.0, threshold.FAIR_SPLIT)
    assert threshold.follows_rest(at_the_edge, whole, lost=0.6)
    assert not threshold.follows_rest(threshold.Split(30.0, 0.69), whole, lost=0.9)
    assert threshold.follows_rest(threshold.Split(30.0, 0.76), whole, lost=0.0)  # clean in itself


def test_the_share_lost_counts_what_lies_over_the_second_level_and_not_over_the_first():
    """Ink at the second level itself is paper there; ink at the first level is paper at the
    first look, so it counts as lost. Levels scaled by the light may be fractional."""
    histogram = np.zeros(256)
    histogram[10], histogram[30], histogram[40], histogram[80], histogram[90] = 1000, 7, 30, 50, 20
    assert threshold.share_lost(histogram, 30, 80) == pytest.approx(0.8)    # 40 and 80 of 40, 80, 90
    assert threshold.share_lost(histogram, 29.5, 79.5) == pytest.approx(37 / 107)  # 30 and 40 of all four
    assert threshold.share_lost(histogram, 95, 120) == 0.0                   # nothing over the rest's level


def test_marks_fainter_than_the_floor_stay_paper_at_the_second_level():
    """With a floor of 30, the rest's own Otsu level (19) falls under it; the floor
    still holds, so marks 25 grey levels above the paper stay paper while writing at 40 is ink."""
    flat = faint_writing_under_a_dark_edge(with_digits=True)
    flat[200:204, 40:280] = 25
    mask, level = threshold.ink_mask(flat, min_threshold=30)
    assert level == 30 and not mask[200:204].any() and mask[flat == 40].all()


def test_a_blob_joined_to_the_border_by_a_thin_neck_counts_as_on_the_border():
    """Found at full size: a one-pixel neck on an odd row, which sampling every other row
    would cut, still joins the blob to the border."""
    mask = np.zeros((20, 20), np.uint8)
    mask[5, 0:8] = 255       # the neck, on an odd row
    mask[2:9, 8:14] = 255    # the blob
    sample, inside = threshold.sampled_away_from_border(mask, mask)
    assert sample.shape == inside.shape == (10, 10)
    assert sample[1:5, 4:7].all() and not inside[1:5, 4:7].any()


def test_the_second_look_copes_with_pictures_all_ink_or_all_border():
    """A picture all ink leaves an empty rest (no division by zero); one a pixel or a few
    wide is all border."""
    assert threshold.otsu_split(np.zeros(256)) == (0.0, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert threshold.ink_mask(np.full((40, 40), 200, np.uint8), 20)[1] == 20
        for shape in ((1, 1), (2, 2), (1, 40), (3, 3)):
            picture = np.zeros(shape, np.uint8)
            picture.flat[0] = 255
            assert threshold.ink_mask(picture, 20)[1] == threshold.binarize(picture, 20)[1]


def test_no_second_look_without_ink_on_the_border(monkeypatch):
    """The blobs touching the border are looked for only when the first mask has ink there
    (the same picture with its dark edge does look: the patch is reached)."""
    looked = []
    real = blob_boxes.away_from_border
    monkeypatch.setattr(blob_boxes, "away_from_border", lambda mask: looked.append(mask) or real(mask))
    flat = faint_writing_under_a_dark_edge(with_digits=True)
    threshold.ink_mask(flat, min_threshold=20)
    assert len(looked) == 1
    flat[:6] = 0
    threshold.ink_mask(flat, min_threshold=20)
    assert len(looked) == 1


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
    monkeypatch.setattr(threshold, "CLEAN_SPLIT", 0.99)
    monkeypatch.setattr(threshold, "FAIR_SPLIT", 0.99)
    monkeypatch.setattr(threshold, "FRAGMENTS", 10.0)  # these strokes' random tones break up (next test)
    flat = strokes_under_a_desk_edge(writing_top=90, grain=7)
    levels = threshold.ink_levels(flat, 20)
    assert levels.level == threshold.binarize(flat, 20)[1] > 70
    assert 30 <= levels.doubtful <= 40
    assert np.array_equal(levels.mask, threshold.binarize(flat, 20)[0])
    assert threshold.ink_mask(flat, 20)[1] == levels.level
    assert threshold.ink_levels(strokes_under_a_desk_edge(writing_top=50, grain=7), 20).doubtful is None
    rest, lost = threshold.Split(35.0, threshold.ONE_BELL + 0.01), 0.9
    assert threshold.may_be_writing(rest, lost)
    assert not threshold.may_be_writing(rest._replace(separation=threshold.ONE_BELL), lost)
    assert not threshold.may_be_writing(rest, threshold.MOST_LOST)
    assert not threshold.may_be_writing(rest, threshold.ALL_LOST)


def test_a_lower_level_that_breaks_into_specks_is_not_doubtful():
    """Writing blurred by motion merges at the lower level (its darkest bits, over the first
    level, are pieces of one stroke); paper grain there breaks into specks
    (threshold.holds_together: at most FRAGMENTS times the first level's blobs)."""
    flat = np.zeros((200, 300), np.uint8)
    flat[:20, :] = 160  # the desk's edge
    strokes = flat.copy()
    for x in (60, 120, 180):
        strokes[60:160, x:x + 8] = 30
        strokes[60:160:10, x:x + 8] = 120  # every tenth row over the first level
    assert threshold.holds_together(strokes, threshold.binarize(strokes, 100)[0], 25)  # 31 blobs -> 4
    speckled = flat.copy()
    for y, x in np.random.default_rng(0).integers((25, 0), (197, 297), size=(300, 2)):
        speckled[y:y + 3, x:x + 3] = 30  # grain 3 pixels across, under the first level
    speckled[60:160:10, 60:68] = 120  # ten short marks over the first level: 11 blobs -> hundreds
    assert not threshold.holds_together(speckled, threshold.binarize(speckled, 100)[0], 25)


def test_a_blank_sheet_under_a_dark_edge_keeps_the_first_threshold():
    """Without writing, the rest of the picture is grain, one bell curve: the first level
    stands, and the grain stays paper."""
    flat = faint_writing_under_a_dark_edge(with_digits=False)
    expected = threshold.binarize(flat, min_threshold=20)
    mask, level = threshold.ink_mask(flat, min_threshold=20)
    assert level == expected[1]
    np.testing.assert_array_equal(mask, expected[0])


def flattened_ink(image):
    """The blurred, flattened ink that prepare() thresholds."""
    work, _ = preprocess.working_copy(grayscale.to_grayscale(image))
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
        assert threshold.ink_mask(flat, 20)[1] == threshold.binarize(flat, 20)[1]


def test_without_blobs_on_the_border_the_threshold_is_otsus():
    flat = faint_writing_under_a_dark_edge(with_digits=True)
    flat[:6] = 0
    expected = threshold.binarize(flat, min_threshold=20)
    mask, level = threshold.ink_mask(flat, min_threshold=20)
    assert level == expected[1]
    np.testing.assert_array_equal(mask, expected[0])
