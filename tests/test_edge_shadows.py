"""edge_runtime.shadows: a shadow cast across the page is paper, the digits in it are ink."""

import contextlib
import signal

import cv2
import numpy as np
import pytest

from conftest_edge import INT8_MODEL, load_model, mnist_test_arrays
from edge_runtime import classify, grayscale, preprocess, shadows, synthetic_pages

ROW = (3, 2, 1, 18, 4, 8, 11, 0)  # MNIST test digits 0, 1, 2, 3, 4, 5, 6, 7
ROW_TOP, DIGIT_SIDE = 200, 56


@pytest.fixture(scope="module")
def model():
    return load_model(INT8_MODEL)


def sheet_with_a_row(row=ROW, bold_digit=None):
    """(grey paper with grain and MNIST test digits written in a row with a ballpoint, their
    number); `bold_digit`: one more digit, three times as tall, drawn below them with a marker,
    darker than the ballpoint (1.56 times its mean ink after the lighting correction)."""
    images, labels = mnist_test_arrays()
    paper = np.random.default_rng(0).normal(200, 3, (480, 640))
    for place, index in enumerate(row):
        left = 40 + place * 70
        paper[ROW_TOP:ROW_TOP + DIGIT_SIDE, left:left + DIGIT_SIDE] -= 130 * written(images[index], DIGIT_SIDE)
    if bold_digit is not None:
        marker = cv2.dilate(written(images[bold_digit], 168), np.ones((17, 17), np.uint8))
        paper[290:458, 230:398] -= 200 * marker
    return np.clip(paper, 0, 255).astype(np.uint8), "".join(str(labels[i]) for i in row)


def written(digit, side):
    """An MNIST digit as ink, 0..1, scaled to `side` pixels."""
    return cv2.resize(digit, (side, side), interpolation=cv2.INTER_LINEAR) / 255.0


def cast_shadow(image, left, width=60, light=0.55):
    """A soft-edged shadow band, leaning, from the top of the picture to the bottom, with
    `light` of the light in it: a hand's or a phone's shadow, narrower than the lighting
    correction's kernel (80 pixels here)."""
    height = image.shape[0]
    shade = np.ones(image.shape, np.float32)
    band = np.array([[left, 0], [left + width, 0], [left + width - 60, height], [left - 60, height]], np.int32)
    cv2.fillPoly(shade, [band], light)
    return (image * cv2.GaussianBlur(shade, (0, 0), 4.0)).astype(np.uint8)


def test_digits_under_a_shadow_across_the_row_are_read(model):
    """Without the shadow step the band is one blob holding the digits it crosses: the row
    read "0123567" or worse, the band itself as a digit."""
    sheet, number = sheet_with_a_row()
    for left in (150, 330, 480):
        shaded = cast_shadow(sheet, left)
        assert classify.read_number(classify.classify_image(model, shaded)) == number, left


def test_a_shadow_across_one_of_two_digits_is_taken_out(model):
    """Two blobs, the shadow and a digit: the writing's stroke is the thinner one's."""
    sheet, number = sheet_with_a_row(row=ROW[:2])
    assert classify.read_number(classify.classify_image(model, cast_shadow(sheet, 150))) == number


@pytest.mark.parametrize("by_tone", [False, True])
def test_the_callers_arrays_are_left_as_they_were(by_tone):
    """Both ways of taking a shadow out: a row of ballpoint digits, where the band is a thick,
    faint blob, and a marker digit held up, where only its tone tells it."""
    frame = marker_digit_held_up(ROW[3], 300)[0] if by_tone else cast_shadow(sheet_with_a_row()[0], 330)
    page = prepare_parts(frame)
    flat, mask = page["flat"].copy(), page["mask"].copy()
    found_by_tone = shadows.shadow_by_tone(flat, mask, page["level"], shadows.sampled(mask)) is not None
    assert found_by_tone == by_tone
    new_flat, new_mask = shadows.without_shadows(page["ink"], page["flat"], page["mask"], page["level"])
    assert np.count_nonzero(new_mask != mask) > 1000
    np.testing.assert_array_equal(page["flat"], flat)
    np.testing.assert_array_equal(page["mask"], mask)


@pytest.mark.parametrize("step", [1, 2, 4])
def test_pictures_all_ink_or_dotted_end(step):
    """A sample that is all ink stays so under erosion (OpenCV pads with ink): the look must
    still end, for a mask all ink or dotted every 2 or 4 pixels, and for a halftone picture
    (dots every 2 or 4 pixels; every pixel dark is just a dark picture, with no ink)."""
    mask = np.zeros((480, 640), np.uint8)
    mask[::step, ::step] = 255
    dotted = np.full((480, 640), 220, np.uint8)
    dotted[::step, ::step] = 30
    with failing_after(seconds=60):
        assert not shadows.has_thick_ink(shadows.sampled(mask))
        preprocess.prepare(dotted)


@contextlib.contextmanager
def failing_after(seconds):
    """A hang fails the test instead of holding up the whole run."""
    def give_up(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")
    previous = signal.signal(signal.SIGALRM, give_up)
    pending = signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        if pending:
            signal.alarm(pending)


def test_the_shadow_away_from_the_digits_is_paper():
    sheet, _ = sheet_with_a_row()
    shaded = cast_shadow(sheet, 330)
    mask = preprocess.prepare(shaded).mask
    band = cast_shadow(np.full(sheet.shape, 255, np.uint8), 330) < 200
    outside_the_row = band.copy()
    outside_the_row[ROW_TOP - 10:ROW_TOP + DIGIT_SIDE + 10] = False
    assert outside_the_row.sum() > 10_000
    assert (mask[outside_the_row] > 0).mean() < 0.005


def test_a_bold_digit_beside_thin_writing_is_ink_not_a_shadow(model):
    """Far thicker than the row's strokes, but darker than they are (1.56 times): left as it is."""
    sheet, number = sheet_with_a_row(bold_digit=ROW[5])
    page = prepare_parts(sheet)
    assert shadows.has_thick_ink(shadows.sampled(page["mask"]))
    flat, mask = shadows.without_shadows(page["ink"], page["flat"], page["mask"], page["level"])
    assert flat is page["flat"] and mask is page["mask"]
    assert classify.read_lines(classify.classify_image(model, sheet)) == [number, "5"]


def test_ballpoint_writing_alone_takes_only_the_cheap_look():
    """Strokes up to 9 pixels wide, a ballpoint's or a pencil's at 640x480: no blob is labelled."""
    sheet = np.full((480, 640), 200, np.uint8)
    for row, (font, scale) in enumerate(((cv2.FONT_HERSHEY_PLAIN, 4.0), (cv2.FONT_HERSHEY_SIMPLEX, 2.0),
                                         (cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 2.0))):
        cv2.putText(sheet, "2048 1375", (40, 120 + 130 * row), font, scale, 40, 1, cv2.LINE_AA)
    page = prepare_parts(sheet)
    assert page["mask"].any() and not shadows.has_thick_ink(shadows.sampled(page["mask"]))
    flat, mask = shadows.without_shadows(page["ink"], page["flat"], page["mask"], page["level"])
    assert flat is page["flat"] and mask is page["mask"]


def marker_digit_held_up(index, shadow_left):
    """(a 640x480 frame of one MNIST test digit written 360 pixels tall with a marker, its
    strokes 30-40 pixels wide, under a shadow band 70 pixels wide with 55 % of the light; its
    label): a digit held up to the camera, with the hand's shadow across it. Strokes and band
    are about as thick, so only their tone tells them apart."""
    images, labels = mnist_test_arrays()
    paper = np.random.default_rng(index).normal(205, 3, (480, 640))
    strokes = (written(images[index], 360) > 0.5).astype(np.float32)  # a marker's even ink, its edges sharp
    paper[60:420, 140:500] -= 175 * cv2.GaussianBlur(strokes, (0, 0), 1.5)
    return cast_shadow(np.clip(paper, 0, 255).astype(np.uint8), shadow_left, width=70), str(labels[index])


def test_a_marker_digit_held_up_with_a_shadow_across_it_is_read(model):
    """Eight digits, the band at four places across each: 29 of the 32 read right (a 0 as 3,
    a 1 and a 5 lost where the band lies along their strokes). Without the look at the ink's
    tones 3 did: the band ran into the digit as one blob touching the frame's top and bottom
    (two of the four big real marker digits under a band read as nothing)."""
    right = 0
    for index in ROW:
        for shadow_left in (240, 300, 360, 420):
            frame, label = marker_digit_held_up(index, shadow_left)
            right += classify.read_number(classify.classify_image(model, frame)) == label
    assert right >= 28


def test_two_tones_are_a_faint_ink_and_a_dark_one_split_cleanly():
    rng = np.random.default_rng(0)
    band_and_strokes = np.concatenate([rng.normal(90, 4, 600), rng.normal(170, 4, 400)])
    one_tone = rng.normal(170, 6, 1000)
    fading = np.linspace(40, 160, 1000)  # a soft shadow's ink: evenly spread, split at 0.75
    darker_and_lighter_writing = np.concatenate([rng.normal(120, 3, 600), rng.normal(170, 3, 400)])
    rims_and_strokes = np.concatenate([rng.normal(8, 2, 600), rng.normal(170, 4, 400)])
    little_faint, some_faint = (np.concatenate([rng.normal(90, 4, n), rng.normal(170, 4, 1000 - n)]) for n in (150, 250))
    level = 20.0
    between = shadows.two_toned(*as_picture(band_and_strokes), level)
    assert between is not None and 100 < between < 160
    assert shadows.two_toned(*as_picture(one_tone), level) is None
    assert shadows.two_toned(*as_picture(fading), level) is None
    assert shadows.two_toned(*as_picture(darker_and_lighter_writing), level) is None  # 0.7 as dark
    assert shadows.two_toned(*as_picture(rims_and_strokes), level) is None  # the faint tone is not ink
    assert shadows.two_toned(*as_picture(little_faint), level) is None  # 15 % of the ink: no shadow's breadth
    assert shadows.two_toned(*as_picture(some_faint), level) is not None  # 25 %


def test_the_shadow_is_the_faint_tone_broad_and_cast_across_the_picture():
    """Of five faint blobs, the band 80 pixels wide from top to bottom is a shadow; a faint
    blob 60 pixels square (a faint digit's), a faint line 10 pixels wide from top to bottom
    (a rule, a pencil stroke), a broad faint stroke 300 pixels tall clear of the border (a big
    digit in grey or green ink) and a broad faint patch from the top edge not quite half way
    down (a smudge, the corner of something) are not. A dark stroke in the band is not
    faint: it stays."""
    flat = np.zeros((480, 640), np.uint8)
    flat[:, 300:380] = 90
    flat[50:110, 50:110] = 90
    flat[:, 500:510] = 90
    flat[90:390, 200:260] = 90
    flat[:216, 560:620] = 90  # 0.45 of the height
    flat[100:300, 320:340] = 170
    shadow = shadows.broad_faint_tone(flat, cv2.compare(flat, 0, cv2.CMP_GT), 130)
    expected = np.zeros_like(shadow)
    expected[:, 300:380] = 255
    expected[100:300, 320:340] = 0
    np.testing.assert_array_equal(shadow, expected)


@pytest.mark.parametrize("edge", ["top", "bottom", "left", "right"])
def test_a_broad_faint_band_from_any_edge_is_a_shadow_and_one_pixel_short_is_not(edge):
    """A band 50 pixels wide, 0.55 of the picture long (over SPAN), from one edge: a shadow.
    The same band one pixel short of that edge is not."""
    def shadow_of(gap):
        flat = np.zeros((480, 640), np.uint8)
        along = {"top": (slice(gap, gap + 264), slice(300, 350)), "bottom": (slice(216 - gap, 480 - gap), slice(300, 350)),
                 "left": (slice(200, 250), slice(gap, gap + 352)), "right": (slice(200, 250), slice(288 - gap, 640 - gap))}
        flat[along[edge]] = 90
        return cv2.countNonZero(shadows.broad_faint_tone(flat, flat, 130))
    assert shadow_of(0) > 0
    assert shadow_of(1) == 0


def as_picture(values):
    """(flat, mask): the values as one row of ink."""
    flat = np.clip(values, 0, 255).astype(np.uint8).reshape(1, -1)
    return flat, np.full(flat.shape, 255, np.uint8)


def test_a_desk_in_two_tones_holding_no_writing_is_left_as_it_is(model):
    """A blank page on a grainy desk (the generated seed-2 set's page 75): the desk is the ink's
    faint tone, broad and across the picture, its darker grain the dark one. Taken out, the
    desk left its grain as specks, one read as "1"; none of them is writing the camera was
    pointed at, so nothing changes."""
    images, labels = mnist_test_arrays()
    kinds = synthetic_pages.plan_kinds(np.random.default_rng([2, 300]), 300, 0.2)
    photo = synthetic_pages.make_page(np.random.default_rng([2, 75]), images, labels, kinds[75])
    assert kinds[75] == "no-digit-blank" and not photo.boxes
    page = prepare_parts(grayscale.to_grayscale(photo.image))
    flat, mask, level = page["flat"], page["mask"], page["level"]
    between = shadows.two_toned(flat[::shadows.SAMPLE, ::shadows.SAMPLE], shadows.sampled(mask), level)
    assert between is not None
    assert cv2.countNonZero(shadows.broad_faint_tone(flat, mask, between))  # the desk, from the border
    assert not shadows.holds_prominent_writing(cv2.bitwise_and(cv2.compare(flat, between, cv2.CMP_GT), mask))
    new_flat, new_mask = shadows.without_shadows(page["ink"], flat, mask, level)
    assert new_flat is flat and new_mask is mask
    assert classify.read_number(classify.classify_image(model, photo.image)) == ""


def test_the_close_up_look_does_not_split_ink_by_tone(model):
    """A big marker 2, blurred, half in a soft shadow (the generated seed-2 set's page 121).
    In the close-up look (a quarter of the size, its background kernel half the picture wide)
    the 2's own faint, blurred foot ran into the shadow's faint tone and went with it: read 3."""
    images, labels = mnist_test_arrays()
    kinds = synthetic_pages.plan_kinds(np.random.default_rng([2, 300]), 300, 0.2)
    photo = synthetic_pages.make_page(np.random.default_rng([2, 121]), images, labels, kinds[121])
    assert kinds[121] == "big-digit" and photo.lines == ["2"]
    assert classify.read_number(classify.classify_image(model, photo.image)) == "2"


def test_a_big_digit_in_a_fainter_ink_beside_a_black_one_is_writing(model):
    """Two big marker digits, one black and one grey (half as dark): the ink falls cleanly into
    two tones and the grey digit is broad and faint, but it lies inside the picture, where no
    shadow cast from outside it comes from. Without that test the grey digit was cleared."""
    images, labels = mnist_test_arrays()
    for black, grey in ((ROW[1], ROW[2]), (ROW[5], ROW[0]), (ROW[3], ROW[6])):
        paper = np.random.default_rng(black).normal(205, 3, (480, 640))
        for left, index, ink in ((10, black, 175), (320, grey, 88)):  # written tall: 300 x 400
            strokes = cv2.resize(images[index], (300, 400), interpolation=cv2.INTER_LINEAR) > 127
            strokes = cv2.dilate(strokes.astype(np.float32), np.ones((9, 9), np.uint8))
            paper[40:440, left:left + 300] -= ink * cv2.GaussianBlur(strokes, (0, 0), 1.5)
        frame = np.clip(paper, 0, 255).astype(np.uint8)
        page = prepare_parts(frame)
        between = shadows.two_toned(page["flat"][::shadows.SAMPLE, ::shadows.SAMPLE], shadows.sampled(page["mask"]), page["level"])
        assert between is not None
        faint = cv2.bitwise_and(cv2.compare(page["flat"], between, cv2.CMP_LE), page["mask"])
        grey_digit = cv2.boundingRect(faint[:, 320:])
        assert grey_digit[3] >= shadows.SPAN * 480  # as tall as a shadow across the picture
        assert classify.read_number(classify.classify_image(model, frame)) == f"{labels[black]}{labels[grey]}"


def test_writing_the_camera_was_pointed_at_is_a_blob_clear_of_the_border_and_big():
    """Clear of every edge of the picture and at least PROMINENT (0.3) of its height or width."""
    def prominent(x, y, w, h):
        dark = np.zeros((480, 640), np.uint8)
        dark[y:y + h, x:x + w] = 255
        return shadows.holds_prominent_writing(dark)
    assert prominent(300, 100, 30, 160)          # a third of the height
    assert not prominent(300, 100, 30, 120)      # a quarter
    assert prominent(100, 200, 200, 30)          # about a third of the width (0.31)
    assert not prominent(100, 200, 160, 30)      # a quarter
    assert not prominent(0, 100, 30, 300)        # on an edge: a desk, a page's edge
    assert not prominent(300, 0, 30, 300)
    assert not prominent(610, 100, 30, 300)
    assert not prominent(300, 180, 30, 300)


def test_a_frame_of_thin_writing_never_splits_its_ink_into_tones(monkeypatch):
    """The cheap look ends frames without ink as broad as a shadow before any split: ballpoint
    or pencil writing, and a pen's narrow shadow across it."""
    sheet = np.full((480, 640), 200, np.uint8)
    cv2.putText(sheet, "2048 1375", (40, 250), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 40, 3, cv2.LINE_AA)
    page = prepare_parts(cast_shadow(sheet, 330, width=12))
    assert cv2.countNonZero(page["mask"]) > 1000
    def never(*_):
        raise AssertionError("split into tones")
    monkeypatch.setattr(shadows, "two_toned", never)
    shadows.without_shadows(page["ink"], page["flat"], page["mask"], page["level"])


def test_a_frame_with_no_ink_on_its_border_never_splits_its_ink_into_tones(monkeypatch):
    """A marker digit held up, no shadow: its ink is broad, but a shadow told by its tone
    reaches the border and no ink lies there, so no split is paid for."""
    images, _ = mnist_test_arrays()
    paper = np.random.default_rng(0).normal(205, 3, (480, 640))
    paper[60:420, 140:500] -= 175 * (written(images[ROW[3]], 360) > 0.5)
    page = prepare_parts(np.clip(paper, 0, 255).astype(np.uint8))
    assert cv2.countNonZero(cv2.erode(shadows.sampled(page["mask"]), shadows.SQUARE, iterations=shadows.BROAD_EROSIONS))
    def never(*_):
        raise AssertionError("split into tones")
    monkeypatch.setattr(shadows, "two_toned", never)
    shadows.without_shadows(page["ink"], page["flat"], page["mask"], page["level"])


def prepare_parts(gray):
    """The ink, flattened ink, mask and level that preprocess.page_from_ink hands the step."""
    small = grayscale.quarter_size(gray)
    ink, ink_small = preprocess.ink_image(gray, small)
    options = preprocess.for_the_light(preprocess.FindOptions(), small)
    flat, mask, level, _ = preprocess.thresholded(ink, ink_small, options)
    return {"ink": ink, "flat": flat, "mask": mask, "level": level}
