"""edge_runtime.classify: post-processing, and the must-show accuracy on photos and digits.png."""

import itertools
import json

import cv2
import numpy as np
import pytest

from conftest_edge import (EXAMPLES_DIR, FLOAT_MODEL, INT8_MODEL, digits_png_path, example_number,
                           harder_set_page, load_model, mnist_test_arrays, opencv_samples_dir, photo_set,
                           rows_read_exactly, written_row)
from edge_runtime import classify, evaluate, grayscale, image_files, preprocess, synthetic
from prerequisites import missing


def test_top_class_and_number_string_are_pure_functions():
    assert classify.top_class(np.array([0.1, 0.7, 0.2]), ("a", "b", "c")) == ("b", pytest.approx(0.7))
    digits = [classify.Digit("4", 0.9, (0, 0, 1, 1), None), classify.Digit("0", 0.8, (5, 0, 1, 1), None)]
    assert classify.read_number(digits) == "40"
    assert classify.read_number([]) == ""


def test_json_record_has_the_documented_shape():
    digit = classify.Digit("7", 0.98765, (np.int64(3), 4, 5, 6), np.zeros((28, 28), np.uint8))
    record = classify.to_record("a.png", [digit])
    assert json.loads(json.dumps(record)) == {
        "source": "a.png", "digits": [{"label": 7, "score": 0.9877, "box": [3, 4, 5, 6], "line": 0}],
        "number": "7", "lines": ["7"]}
    crop = np.zeros((28, 28), np.uint8)
    two_rows = [classify.Digit("1", 0.9, (0, 0, 5, 9), crop, 0), classify.Digit("2", 0.9, (9, 0, 5, 9), crop, 0),
                classify.Digit("3", 0.9, (0, 20, 5, 9), crop, 1)]
    record = classify.to_record("b.png", two_rows)
    assert record["number"] == "123" and record["lines"] == ["12", "3"]
    assert [d["line"] for d in record["digits"]] == [0, 0, 1]
    assert classify.error_record("b.png", "empty file") == {"source": "b.png", "error": "empty file"}


def test_low_confidence_candidates_are_rejected_not_labelled():
    model = load_model(INT8_MODEL)
    images, _ = mnist_test_arrays()
    candidate = preprocess.Candidate((1, 2, 3, 4), images[0])
    label, score = classify.top_class(model.scores(images[0]), model.labels)
    assert classify.label_digits(model, [candidate], min_score=np.nextafter(score, 2)) == []
    (digit,) = classify.label_digits(model, [candidate], min_score=score)
    assert (digit.label, digit.score, digit.box) == (label, score, (1, 2, 3, 4))


def test_mnist_style_images_get_exactly_the_model_prediction():
    model = load_model(INT8_MODEL)
    images, _ = mnist_test_arrays()
    predicted, _ = model.predict(images[:300])
    read = [classify.read_number(classify.classify_image(model, image, min_score=0.0)) for image in images[:300]]
    assert read == [str(p) for p in predicted]


def test_shipped_examples_read_as_their_file_names():
    model = load_model(INT8_MODEL)
    examples = sorted(EXAMPLES_DIR.iterdir())
    assert len(examples) >= 4
    for path in examples:
        digits = classify.classify_image(model, image_files.read_image(path))
        assert classify.read_number(digits) == example_number(path), path.name


def photo_counts(model, photos, min_score=classify.DEFAULT_MIN_SCORE):
    true = found = correct = 0
    for photo in photos:
        digits = classify.classify_image(model, photo.image, min_score)
        pairs = synthetic.match_digits(photo, digits)
        true, found = true + len(photo.labels), found + len(digits)
        correct += synthetic.count_correct(photo, digits, pairs)
    return correct / true, correct / found


def test_photo_set_recall_and_precision_with_the_int8_model():
    recall, precision = photo_counts(load_model(INT8_MODEL), photo_set())
    print(f"photo set (int8): recall {recall:.4f} precision {precision:.4f}")
    assert recall >= 0.95 and precision >= 0.95


def test_a_1_alone_on_the_paper_is_read():
    """The three photos of one 1 among the easier set's first 495 (seed 0) whose 1 the rejecter
    doubts (0.012-0.137): thin strokes 65-107 px tall with no line to back them."""
    photos = photo_set(495)  # shared with the scattered digits' test below
    model = load_model(INT8_MODEL)
    for index in (208, 210, 462):
        assert list(photos[index].labels) == [1]
        assert classify.read_number(classify.classify_image(model, photos[index].image)) == "1", index


def test_digits_scattered_in_no_row_are_read():
    """Photos 221, 258 and 494 of the easier set (seed 0): digits scattered at random, a 3, a
    6 and a 4 that the rejecter doubts (0.21, 0.11, 0.11) with no line to back them; each
    picture holds sure digits of their height and no junk (acceptance.SCATTERED_PROBABILITY).
    Compared as multisets: scattered digits have no reading order to check."""
    photos = photo_set(495)
    model = load_model(INT8_MODEL)
    for index in (221, 258, 494):
        truth = "".join(str(label) for label in photos[index].labels)
        assert sorted(classify.read_number(classify.classify_image(model, photos[index].image))) == sorted(truth), index


def test_a_shaded_sheet_of_40_digits_on_a_textured_desk_is_read_exactly():
    """Page 152 of the harder set's seed 2: read as light ink, it read "007500"; its
    polarity is not sure (polarity.ink_polarity), and read the other way it is clearly
    surer (classify.other_polarity)."""
    page = harder_set_page(2, 152)
    number = classify.read_number(classify.classify_image(load_model(INT8_MODEL), page.image, 0.5))
    assert number == "".join(page.lines) == "3318401017517738304760059929648969724548"


def test_a_close_up_keeps_the_first_looks_polarity():
    """Two blurred marker 6s filling the frame (the harder set's seed 2 page 52, seed 3 page
    230): the close-up look decided the polarity again on its 256 pixels, took the thick
    strokes for paper and read nothing."""
    model = load_model(INT8_MODEL)
    for seed, index in ((2, 52), (3, 230)):
        page = harder_set_page(seed, index)
        assert page.lines == ["6"]
        assert classify.read_number(classify.classify_image(model, page.image, 0.5)) == "6", (seed, index)


def test_chalk_on_an_unevenly_lit_board_is_read_as_light_ink():
    """A board growing 80 grey levels lighter across, with noise: its tails look alike, as a
    shaded sheet's on a textured desk do, and its thick chalk strokes lean dark to the
    black-hat. Taken for dark ink whenever the strokes leaned so, it read as nothing."""
    board = np.full((480, 640), 40, np.float32) + np.linspace(0, 80, 640, dtype=np.float32)[None, :]
    board = np.clip(board + np.random.default_rng(0).normal(0, 10, board.shape), 0, 255).astype(np.uint8)
    cv2.putText(board, "72", (200, 300), cv2.FONT_HERSHEY_SIMPLEX, 5, 210, 10)
    assert classify.read_number(classify.classify_image(load_model(INT8_MODEL), board, 0.5)) == "72"


def test_light_ink_on_a_dark_board_reads_as_well_as_dark_ink_on_paper():
    photos = [synthetic.Photo(255 - p.image, p.labels, p.boxes) for p in photo_set()[:60]]
    recall, precision = photo_counts(load_model(INT8_MODEL), photos)
    assert recall >= 0.95 and precision >= 0.95


def test_float_and_int8_agree_on_detected_photo_digits():
    int8, float32 = load_model(INT8_MODEL), load_model(FLOAT_MODEL)
    crops = [c.image for p in photo_set() for c in preprocess.find_digits(p.image)]
    agree = np.mean(int8.predict(crops)[0] == float32.predict(crops)[0])
    print(f"float32/int8 agreement on {len(crops)} photo digits: {agree:.4f}")
    assert len(crops) >= 400 and agree >= 0.99


def digits_png_cells(tmp_path_factory):
    image = cv2.imread(str(digits_png_path(tmp_path_factory.mktemp("digits"))), cv2.IMREAD_GRAYSCALE)
    assert image.shape == (1000, 2000)
    cells = image.reshape(50, 20, 100, 20).transpose(0, 2, 1, 3).reshape(5000, 20, 20)
    return cells, np.repeat(np.arange(10), 500)  # five rows of 100 per digit, 0..9


@pytest.mark.parametrize("model_path", [INT8_MODEL, FLOAT_MODEL], ids=["int8", "float32"])
def test_opencv_digits_png_through_the_preprocessing(model_path, tmp_path_factory):
    """Each 20x20 cell on a black margin (so it is a small picture, not MNIST-shaped) is read
    through detection, cropping, 20x20 fitting and centring, like any photo."""
    model = load_model(model_path)
    cells, labels = digits_png_cells(tmp_path_factory)
    read = [classify.read_number(classify.classify_image(model, cv2.copyMakeBorder(
        cell, 8, 8, 8, 8, cv2.BORDER_CONSTANT, value=0), min_score=0.0)) for cell in cells]
    accuracy = np.mean([r == str(label) for r, label in zip(read, labels)])
    print(f"digits.png per-digit accuracy ({model_path.name}): {accuracy:.4f}")
    assert accuracy >= 0.99


@pytest.mark.parametrize("model_path", [INT8_MODEL, FLOAT_MODEL], ids=["int8", "float32"])
def test_opencv_digits_png_cells_read_as_tight_20x20_files(model_path, tmp_path_factory):
    """Each cell as it is: a 20x20 picture whose ink touches or nearly touches its edges, the
    way a user crops one digit. None may be dropped as "cut by the frame border"."""
    model = load_model(model_path)
    cells, labels = digits_png_cells(tmp_path_factory)
    read = [classify.read_number(classify.classify_image(model, cell)) for cell in cells]
    accuracy = np.mean([r == str(label) for r, label in zip(read, labels)])
    print(f"digits.png tight cells ({model_path.name}): {accuracy:.4f}, "
          f"{sum(r == '' for r in read)} read as nothing")
    assert accuracy >= 0.99


def written_into(page, cell, x, y, size):
    """digits.png's 20x20 `cell` written in pen (30) into `page` at (x, y), `size` pixels square."""
    ink = cv2.resize(cell, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255.0
    spot = page[y:y + size, x:x + size]
    spot[:] = (spot * (1.0 - ink) + 30.0 * ink).astype(np.uint8)


def written_in_a_row(page, cells, rng, labels, left, top, size, step):
    """digits.png's handwriting of `labels` (a cell of each drawn from `rng`) written into
    `page`, `size` pixels square, the first at (left, top) and each `step` pixels right of the one
    before."""
    for index, label in enumerate(labels):
        written_into(page, cells[label * 500 + int(rng.integers(500))], left + index * step, top, size)


def photographed(page, rng):
    """The page a little soft and grainy, as a camera sees it."""
    return np.clip(cv2.GaussianBlur(page, (0, 0), 0.8) + rng.normal(0, 3, page.shape), 0, 255).astype(np.uint8)


def boxed_row(cells, rng):
    """(640x480 picture, truth): 3-8 of digits.png's handwritten digits written into a form's
    row of printed boxes, 36-59 pixels wide, drawn 1-3 pixels thick, dark on light paper."""
    count, side, thickness = int(rng.integers(3, 9)), int(rng.integers(36, 60)), int(rng.integers(1, 4))
    page = np.full((480, 640), 235, np.uint8)
    left, top = int(rng.integers(20, 620 - count * side)), int(rng.integers(40, 400 - side))
    labels = rng.integers(0, 10, count)
    for index, label in enumerate(labels):
        x = left + index * side
        cv2.rectangle(page, (x, top), (x + side, top + side), 60, thickness)
        size = int(0.7 * side)
        written_into(page, cells[label * 500 + int(rng.integers(500))], x + (side - size) // 2,
                     top + (side - size) // 2, size)
    return photographed(page, rng), "".join(map(str, labels))


def filled_grid(cells, rng, side=50, left=175, top=75):
    """(800x600 picture, truth): a sudoku's 9x9 grid, every third line thick, a third of its
    cells holding one of digits.png's handwritten digits; truth row by row."""
    page = np.full((600, 800), 230, np.uint8)
    for step in range(10):
        thickness = 3 if step % 3 == 0 else 1
        cv2.line(page, (left + step * side, top), (left + step * side, top + 9 * side), 50, thickness)
        cv2.line(page, (left, top + step * side), (left + 9 * side, top + step * side), 50, thickness)
    truth = ""
    for row, column in itertools.product(range(9), range(9)):
        if rng.random() < 0.3:
            label = int(rng.integers(10))
            written_into(page, cells[label * 500 + int(rng.integers(500))], left + column * side + 8,
                         top + row * side + 8, side - 16)
            truth += str(label)
    return photographed(page, rng), truth


def read_exactly(model, pictures):
    """How many of these (picture, truth) pairs the model reads exactly."""
    return sum(classify.read_number(classify.classify_image(model, page)) == truth for page, truth in pictures)


def test_real_handwriting_in_a_row_of_printed_boxes_is_read(tmp_path_factory):
    """The row of boxes is one blob that holds the digits in its holes (segment.held_blobs):
    measured, 40 of 40 rows read exactly; none before, where the boxes hid every digit."""
    cells, _ = digits_png_cells(tmp_path_factory)
    rng = np.random.default_rng(0)
    model = load_model(INT8_MODEL)
    rows = [boxed_row(cells, rng) for _ in range(40)]
    exact = read_exactly(model, rows)
    print(f"rows of boxes read exactly: {exact} of {len(rows)}")
    assert exact >= 38


def test_real_handwriting_in_a_grid_is_read(tmp_path_factory):
    """A grid is one blob holding every digit in its holes (segment.held_blobs). Measured on
    these 20 grids, the real set's measures: recall 98.3 %, precision 98.8 %, characters
    98.3 %, 13 grids exactly; nothing read before."""
    cells, _ = digits_png_cells(tmp_path_factory)
    rng = np.random.default_rng(1)
    model = load_model(INT8_MODEL)
    pairs = []
    for page, truth in (filled_grid(cells, rng) for _ in range(20)):
        pairs.append((classify.read_number(classify.classify_image(model, page)), truth))
    total = evaluate.score(pairs)
    print(f"grids: {total}")
    assert total.characters >= 0.95 and total.precision >= 0.97


def underlined_row(cells, rng, gap):
    """(640x480 picture, truth): 3-6 of digits.png's handwritten digits 40-69 pixels tall in a
    row, a line 2-4 pixels thick drawn `gap` pixels under the lowest ink, 10 pixels past both
    ends, sloping by up to 3 pixels."""
    page = np.full((480, 640), 225, np.uint8)
    count, size = int(rng.integers(3, 7)), int(rng.integers(40, 70))
    left, step = int(rng.integers(40, 600 - count * size)), int(0.85 * size)
    labels = rng.integers(0, 10, count)
    written_in_a_row(page, cells, rng, labels, left, 200, size, step)
    rows, columns = np.nonzero(page < 200)  # any ink, its soft rim too
    low, thickness = int(rows.max()) + gap, int(rng.integers(2, 5))
    cv2.line(page, (int(columns.min()) - 10, low), (int(columns.max()) + 10, low + int(rng.integers(-3, 4))), 30, thickness)
    return photographed(page, rng), "".join(map(str, labels))


@pytest.mark.parametrize("gap", [6, 15])
def test_an_underlined_number_is_read(tmp_path_factory, gap):
    """An underline is a rule, not a piece of the digit above it (merging.RULE_WIDE): measured,
    36 of 40 rows exactly 6 pixels above the line and 37 of 40 at 15; 16 and 23 before, a
    digit joined to the line and lost with it."""
    cells, _ = digits_png_cells(tmp_path_factory)
    rng = np.random.default_rng(0)
    model = load_model(INT8_MODEL)
    rows = [underlined_row(cells, rng, gap) for _ in range(40)]
    exact = read_exactly(model, rows)
    print(f"rows {gap} pixels above a line read exactly: {exact} of {len(rows)}")
    assert exact >= 34


def close_row(cells, rng, pitch):
    """(640x480 picture, truth): 3-6 of digits.png's handwritten digits 30-59 pixels tall in a
    row, each `pitch` times the height right of the one before. The cells' ink spans about
    0.55 of their width: at a pitch of 0.7 one pair of neighbours in seven meets or overlaps in
    x, at 0.6 about half of them."""
    page = np.full((480, 640), 225, np.uint8)
    count, size = int(rng.integers(3, 7)), int(rng.integers(30, 60))
    step = int(round(pitch * size))
    left, top = int(rng.integers(20, 620 - count * step - size)), int(rng.integers(40, 400 - size))
    labels = rng.integers(0, 10, count)
    written_in_a_row(page, cells, rng, labels, left, top, size, step)
    return photographed(page, rng), "".join(map(str, labels))


@pytest.mark.parametrize("pitch, least_exact, least_recall", [(0.7, 93, 0.98), (0.6, 83, 0.93)])
def test_real_handwriting_written_close_is_read(tmp_path_factory, pitch, least_exact, least_recall):
    """Real handwriting whose neighbours come close and touch, the way a number is written
    quickly. Measured on these 100 rows: at a pitch of 0.7 of the height, 96 exact, recall
    99.1 %, precision 99.3 %; at 0.6, 88 exact, 95.4 / 98.4 % (85, 93.6 / 97.9 % while a
    typical digit without free ones to measure was 1.0 wide, not 0.8: reading.typical_aspect).
    Lost there: digits that overlap in x read as one ("095" as an 8), a run of touching 0s
    read as fewer; README "Reads badly"."""
    cells, _ = digits_png_cells(tmp_path_factory)
    rng = np.random.default_rng(0)
    model = load_model(INT8_MODEL)
    rows = [close_row(cells, rng, pitch) for _ in range(100)]
    total = evaluate.score([(classify.read_number(classify.classify_image(model, page)), truth)
                            for page, truth in rows])
    print(f"rows at a pitch of {pitch}: {total}")
    assert total.exact >= least_exact and total.recall >= least_recall and total.precision >= 0.96


def row_of_small_digits(cells, shape, size=24):
    """(picture of `shape`, truth): six of digits.png's handwritten digits `size` pixels tall
    in a row in the middle of light paper."""
    rng = np.random.default_rng(3)
    page = np.full(shape, 225, np.uint8)
    labels = rng.integers(0, 10, 6)
    left, top = shape[1] // 2 - 3 * size, shape[0] // 2 - size // 2
    written_in_a_row(page, cells, rng, labels, left, top, size, size)
    return photographed(page, rng), "".join(map(str, labels))


def test_small_writing_in_a_big_photo_is_read_finer(tmp_path_factory):
    """Six digits 24 pixels tall on paper filling a 4000x3000 photo: shrunk to 1,024 pixels
    they are 6 pixels tall, under a digit's 7, and the first look reads none; read at
    FINER_SIDE all six come back (classify.finer_look). The same row in a 640x480 frame is
    read once. (Before the tails had to stand out from the paper's noise, polarity.py took
    the ink for light here, at any size: too few pixels for the dark tail.)"""
    cells, _ = digits_png_cells(tmp_path_factory)
    model, options = load_model(INT8_MODEL), preprocess.FindOptions()
    for shape, finer in (((3000, 4000), True), ((480, 640), False)):
        picture, truth = row_of_small_digits(cells, shape)
        page, readings = classify.look(model, picture, 0.5, options)
        _, found, used = classify.finer_look(model, picture, page, readings, 0.5, options)
        assert (used.working_side == classify.FINER_SIDE) == finer, shape
        assert (len(found) > len(readings)) == finer, shape
        assert classify.read_number(classify.classify_image(model, picture)) == truth, shape


@pytest.mark.parametrize("name", ["black", "white", "noise", "grey"])
def test_blank_and_noise_28x28_pictures_hold_no_digit(name):
    rng = np.random.default_rng(0)
    images = {"black": np.zeros((28, 28), np.uint8), "white": np.full((28, 28), 255, np.uint8),
              "noise": rng.integers(0, 256, (28, 28)).astype(np.uint8), "grey": np.full((28, 28), 128, np.uint8)}
    assert classify.classify_image(load_model(INT8_MODEL), images[name]) == []


# OpenCV's sample photos (opencv-doc, beside digits.png) of scenes with no digit and no text
# but a shirt's sponsor: fruit, a butterfly, buildings, a footballer, a desk with a pencil, a
# coin and a lighter. (Its circuit board, boxes of rice and graffiti show printed text.)
SCENES = ("aero1.jpg", "aero3.jpg", "apple.jpg", "baboon.jpg", "basketball1.png", "blox.jpg", "building.jpg",
          "butterfly.jpg", "fruits.jpg", "home.jpg", "HappyFish.jpg", "leuvenA.jpg", "messi5.jpg", "orange.jpg",
          "squirrel_cls.jpg", "starry_night.jpg", "stuff.jpg", "smarties.png", "chicky_512.png",
          "Blender_Suzanne1.jpg", "ela_original.jpg", "rubberwhale1.png")


def test_photos_of_scenes_without_digits_read_few():
    """A camera pointed at a scene, not at writing: clutter passes for digits here and there.
    Measured on the 22 scenes: 24 false digits, 11 scenes none (26 and 11 before a sure 1
    stopped vouching for a line of text, 27 and 10 before a doubted big crop among junk was
    junk too, 28 before short lines with a crop turned down counted as text,
    acceptance.SHORT_LINE_CROPS; 31 and 8 when first
    measured, fruits.jpg's pips 10 and butterfly.jpg's veins 4 of those); without the
    rejecter 218 and 3. A limitation (README "Reads badly");
    the gates keep it from growing."""
    folder = opencv_samples_dir()
    if not all((folder / name).is_file() for name in SCENES):
        missing(f"OpenCV's sample photos not found in {folder} (apt-get install opencv-doc)")
    model = load_model(INT8_MODEL)
    found = [len(classify.classify_image(model, image_files.read_image(str(folder / name)))) for name in SCENES]
    print(f"scenes without digits: {sum(found)} false digits, {found.count(0)} of {len(SCENES)} read none")
    assert sum(found) <= 36
    assert found.count(0) >= 6


def test_an_empty_drawn_box_is_not_a_zero():
    """Shapes that pass the size and fill tests (a box reads as 0 at 0.97) but that the
    rejecter turns down."""
    page = np.full((480, 640), 200, np.uint8)
    cv2.rectangle(page, (250, 50), (400, 250), 20, 2)
    assert classify.classify_image(load_model(INT8_MODEL), page) == []


def test_a_second_opinion_at_the_doubtful_level_is_taken_only_when_clearly_surer():
    """classify.second_opinion reads the picture again at its doubtful threshold and keeps
    that reading when its evidence is over SECOND_LOOK_GAIN times the first look's plus
    SECOND_LOOK_MARGIN: here the first look found nothing, or some or all of the five digits
    that the lower level reads too."""
    model, options = load_model(INT8_MODEL), preprocess.FindOptions()
    frame = cv2.imread(str(next(EXAMPLES_DIR.glob("frame_*.jpg"))), cv2.IMREAD_COLOR)
    gray = grayscale.to_grayscale(frame)
    page = preprocess.prepare(gray)
    readings = classify.read_confident(model, page, 0.5, options)
    assert len(readings) == 5 and all(classify.evidence(r) > 0.85 for r in readings)
    lower = page.level - 10
    doubtful = page._replace(doubtful_level=lower)
    again = classify.read_confident(model, preprocess.prepare(gray, at_level=lower), 0.5, options)
    assert sorted(r.label for r in again) == sorted(r.label for r in readings)

    def opinion(first):
        chosen, found = classify.second_opinion(model, gray, doubtful, first, 0.5, options)
        assert chosen.level == (lower if chosen is not doubtful else page.level)
        return chosen is not doubtful, [(r.label, r.box) for r in found]
    assert opinion([]) == (True, [(r.label, r.box) for r in again])
    total = sum(classify.evidence(r) for r in again)  # about 4.9
    taken = []
    for size in range(1, 6):
        for first in itertools.combinations(readings, size):
            surer = total > 1.5 * sum(classify.evidence(r) for r in first) + 2.0
            kept = again if surer else first
            assert opinion(list(first)) == (surer, [(r.label, r.box) for r in kept])
            taken.append(surer)
    assert 0 < sum(taken) < len(taken)  # some first looks were outweighed, some not


def test_rows_out_of_focus_are_read_sharpened():
    """40 rows of six MNIST test digits 40 pixels tall, blurred by a Gaussian of 3 pixels: the
    crops come out faint and the rejecter doubts them. Measured: 25 read exactly, 12 without
    the sharper look (classify.SOFT_EVIDENCE 0); digits matched 213 against 186 of 240."""
    right = rows_read_exactly(lambda rng, digits: cv2.GaussianBlur(written_row(digits, height=40), (0, 0), 3.0), seed=0)
    print(f"rows out of focus: {right}/40 read exactly")
    assert right >= 20


def test_a_sharp_picture_read_well_is_not_read_again_sharpened(monkeypatch):
    """The sharper look is for doubtful readings only: the shipped camera frame's five digits
    average 0.97 evidence, so it costs that frame nothing (it is never sharpened)."""
    model, options = load_model(INT8_MODEL), preprocess.FindOptions()
    gray = grayscale.to_grayscale(cv2.imread(str(next(EXAMPLES_DIR.glob("frame_*.jpg"))), cv2.IMREAD_COLOR))
    page, readings = classify.look(model, gray, 0.5, options)
    sharpened = []
    monkeypatch.setattr(preprocess, "sharpened", lambda picture: sharpened.append(picture) or picture)
    assert classify.sharper_look(model, gray, page, readings, 0.5, options) == (gray, page, readings)
    assert len(classify.classify_image(model, gray)) == 5
    assert sharpened == []


def test_doubtful_readings_are_read_again_sharpened_and_the_surer_kept():
    """The same frame's readings made doubtful (0.5 evidence each, 2.5 in all): read again
    sharpened, its five digits sum 4.9, over 1.1 x 2.5 + 1, and that reading is kept."""
    model, options = load_model(INT8_MODEL), preprocess.FindOptions()
    gray = grayscale.to_grayscale(cv2.imread(str(next(EXAMPLES_DIR.glob("frame_*.jpg"))), cv2.IMREAD_COLOR))
    page, readings = classify.look(model, gray, 0.5, options)
    doubted = [r._replace(digit_probability=0.5) for r in readings]
    picture, _, chosen = classify.sharper_look(model, gray, page, doubted, 0.5, options)
    assert picture is not gray and len(chosen) == 5
    least = classify.SHARPER_GAIN * classify.total_evidence(doubted) + classify.SHARPER_MARGIN
    assert classify.total_evidence(chosen) > least


def test_a_box_of_a_reduced_picture_is_given_in_the_files_pixels_within_the_file():
    """8001x6001 decoded at half size is 4001x3001 (rounded up): a box reaching the decoded
    picture's last column doubles to column 8002, past the file's edge."""
    decoded = image_files.Decoded(None, 2, (6001, 8001))
    assert classify.in_file_pixels((10, 20, 30, 40), decoded) == (20, 40, 60, 80)
    assert classify.in_file_pixels((3990, 2990, 11, 11), decoded) == (7980, 5980, 21, 21)


def number_after_a_word(word, digits, height=56):
    """A word printed in a plain font, then MNIST digits written touching (each one's ink
    starting on the last column of the one before), all `height` pixels high on paper."""
    ink = np.zeros((480, 640), np.int32)
    printed = np.zeros((480, 640), np.uint8)
    top = 212
    cv2.putText(printed, word, (120, top + height - 8), cv2.FONT_HERSHEY_SIMPLEX, height / 30.0, 255, 4, cv2.LINE_AA)
    ink[:] = printed
    left, edge = np.flatnonzero(printed.max(axis=0))[-1] + 30, None
    for digit in digits:
        big = cv2.resize(digit, (height, height), interpolation=cv2.INTER_LINEAR).astype(np.int32)
        columns = np.flatnonzero(big.max(axis=0) > 60)
        left = left if edge is None else edge - columns[0]
        region = ink[top:top + height, left:left + height]
        region[...] = np.maximum(region, big)
        edge = left + columns[-1]
    return (225 - ink * 200 // 255).astype(np.uint8)


def test_a_touching_pair_after_a_word_is_read():
    """ "Room 36" with the 3 and the 6 touching: the word's letters the rejecter turns down
    must not take the pair's line for text, and the word's own strokes must not pass as
    digits because the pair's line holds sure ones. 18 of 20 such pairs read, 17 exactly;
    13 read with a rule tried against words and dropped (the two halves of a blob cut in two
    never keep their line from being text), 12 exactly before each word of a line was judged
    as text too (acceptance.outside_text): the m's first stroke read as a 1, "154"."""
    images, labels = mnist_test_arrays()
    model, rng = load_model(INT8_MODEL), np.random.default_rng(5)
    read = exact = 0
    for _ in range(20):
        pair = "".join(map(str, rng.integers(0, 10, 2)))
        digits = [images[rng.choice(np.flatnonzero(labels == int(d)))] for d in pair]
        number = classify.read_number(classify.classify_image(model, number_after_a_word("Room", digits)))
        read, exact = read + number.endswith(pair), exact + (number == pair)
    assert read >= 16 and exact >= 15
