"""edge_runtime.polarity: which way round the ink is, and how surely, checked without a model."""

import cv2
import numpy as np
import pytest

from conftest_edge import harder_set_page
from edge_runtime import grayscale, polarity, preprocess


def test_polarity_detects_dark_ink_on_light_paper_and_the_reverse():
    page = np.full((480, 640), 200, np.uint8)
    cv2.putText(page, "42", (200, 300), cv2.FONT_HERSHEY_SIMPLEX, 5, 30, 12)
    assert polarity.is_dark_on_light(page)
    assert not polarity.is_dark_on_light(255 - page)
    assert preprocess.ink_image(page)[0].max() == 255 - 30


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
    assert polarity.is_dark_on_light(frame)
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
    assert polarity.largest_bright_region(sheet) == (130 * 100 - 100, 130 * 100)
    corner = np.zeros((120, 160), np.uint8)
    corner[:70, :70] = 255          # the largest region...
    corner[55:65, 75:85] = 255      # ...and a smaller one on the centre, which the fill finds first
    assert polarity.largest_bright_region(corner) == (70 * 70, 70 * 70)
    diagonal = np.zeros((120, 160), np.uint8)
    diagonal[:60, :80] = 255
    diagonal[60:, 80:] = 255        # touching the first only at a corner: 4-connected, two regions
    assert polarity.largest_bright_region(diagonal) == (60 * 80, 60 * 80)
    assert polarity.largest_bright_region(np.zeros((120, 160), np.uint8)) == (0, 0)
    tie = np.zeros((40, 40), np.uint8)
    tie[0, :39] = 255                # 39 pixels in a 39-pixel box, first in raster order...
    tie[20, 10:30] = tie[21:40, 10] = 255  # ...and 39 in a 20x20 box on the centre: labelling picks the first
    assert polarity.largest_bright_region(tie) == (39, 39)
    rng = np.random.default_rng(0)
    for _ in range(300):
        height, width = rng.integers(1, 40, size=2)
        bright = (rng.random((height, width)) < rng.random()).astype(np.uint8) * 255
        assert polarity.largest_bright_region(bright) == labelled_largest_region(bright)


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
        work, _, _ = preprocess.padded_working_copy(grayscale.to_grayscale(page.image))
        dark_ink, sure = polarity.ink_polarity(work)
        assert dark_ink or not sure, (seed, index)


def test_blank_paper_and_the_benchmark_frames_are_read_one_way_only():
    """Reading a picture both ways (classify.other_polarity) is for tails that look alike over
    real strokes; flat or noisy blank paper has none, and the benchmark's frames must not pay."""
    from edge_runtime import benchmark
    rng = np.random.default_rng(0)
    noisy = np.clip(205 + rng.normal(0, 5, (480, 640)), 0, 255).astype(np.uint8)
    for picture in (np.full((480, 640), 205, np.uint8), noisy, benchmark.speckled_frame(), benchmark.blobby_frame()):
        work, _, _ = preprocess.padded_working_copy(grayscale.to_grayscale(picture))
        assert polarity.ink_polarity(work)[1]
    assert preprocess.prepare(noisy, dark_ink=False).polarity_sure  # given, not decided again


def test_chalk_on_a_board_is_light_ink_on_dark():
    board = np.full((480, 640), 40, np.uint8)
    cv2.putText(board, "72", (200, 300), cv2.FONT_HERSHEY_SIMPLEX, 5, 210, 10)
    assert polarity.ink_polarity(board) == (False, True)
