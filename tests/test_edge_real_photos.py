"""Real photos taken by people outside the project (shared/data/real-photos-dev): the measures
of that set's README, with the shipped int8 model. A development set: never trained on."""

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest_edge import INT8_MODEL, REPO, load_model, missing, tilted
from edge_runtime import classify, evaluate, image_files

REAL_PHOTOS = Path(os.environ.get("REAL_PHOTOS_DIR", REPO.parent / "shared" / "data" / "real-photos-dev"))


@pytest.fixture(scope="module")
def readings():
    if not (REAL_PHOTOS / "truth.json").is_file():
        missing(f"real photos not found at {REAL_PHOTOS} (set REAL_PHOTOS_DIR)")
    return evaluate.read_folder(load_model(INT8_MODEL), REAL_PHOTOS, min_score=0.5)


def on_a_dark_desk_at_an_angle(image):
    """The photo as a camera at an angle sees the page, the dark desk showing in the corners."""
    height, width = image.shape[:2]
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    seen = np.float32([[0.08 * width, 0.03 * height], [0.95 * width, 0], [width, height], [0.02 * width, 0.94 * height]])
    return cv2.warpPerspective(image, cv2.getPerspectiveTransform(corners, seen), (width, height),
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(50, 60, 70))


def moved(image, pixels=7):
    """The page or the camera moving while the shutter is open: a blur of `pixels` sideways."""
    kernel = np.zeros((pixels, pixels), np.float32)
    kernel[pixels // 2, :] = 1.0 / pixels
    return cv2.filter2D(image, -1, kernel)


def shaken(image, pixels=7):
    """A hand-held camera shaking up and down while the shutter is open: `moved`, vertically."""
    return np.swapaxes(moved(np.swapaxes(image, 0, 1), pixels), 0, 1)


def lamp_to_one_side(image):
    """Light falling off across the photo, to 45 % at its left edge."""
    light = np.linspace(0.45, 1.0, image.shape[1]).reshape((1, -1) + (1,) * (image.ndim - 2))
    return (image * light).astype(image.dtype)


def shadow_across(image):
    """A hand's or a phone's shadow: a band a tenth of the photo wide, leaning, from its top to
    its bottom, with 55 % of the light in it and soft edges."""
    height, width = image.shape[:2]
    left, band, lean = 0.35 * width, 0.1 * width, 0.1 * width
    corners = np.array([[left, 0], [left + band, 0], [left + band - lean, height], [left - lean, height]], np.int32)
    shade = np.ones((height, width), np.float32)
    cv2.fillPoly(shade, [corners], 0.55)
    shade = cv2.GaussianBlur(shade, (0, 0), 0.01 * max(height, width))
    return (image * shade.reshape(shade.shape + (1,) * (image.ndim - 2))).astype(image.dtype)


def noisy(image, sigma):
    """A dim or small camera's sensor noise: Gaussian, `sigma` grey levels, the same each run."""
    noise = np.random.default_rng(0).normal(0.0, sigma, image.shape)
    return np.clip(image + noise, 0, 255).astype(image.dtype)


def from_further_away(image, enlarged=1.5, frame=(3000, 4000)):
    """The photo as a phone's 12-megapixel still taken from further away: the writing at 1.5
    times its size in a 4000x3000 frame whose paper and desk run on to the frame's edges (its
    border repeated, with a little sensor noise), so the writing fills a small part of it."""
    big = cv2.resize(image, None, fx=enlarged, fy=enlarged, interpolation=cv2.INTER_CUBIC)
    height, width = big.shape[:2]
    top, left = (frame[0] - height) // 2, (frame[1] - width) // 2
    framed = cv2.copyMakeBorder(big, top, frame[0] - height - top, left, frame[1] - width - left, cv2.BORDER_REPLICATE)
    return noisy(framed, 2)


# The same photos as a smaller camera, a soft focus, a tilted hand, dim light, a camera at an
# angle over a dark desk, a lamp to one side, a hand over the page, a camera letting in too
# much light (the paper clipped white), a page moving in front of it, a dim or small camera's
# noisy sensor or a phone held further away would have taken them.
CHANGES = {
    "half size": lambda image: cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA),
    "out of focus": lambda image: cv2.GaussianBlur(image, (0, 0), 2.0),
    "far out of focus": lambda image: cv2.GaussianBlur(image, (0, 0), 3.0),
    "tilted 8 degrees": lambda image: tilted(image, 8),
    "tilted 25 degrees": lambda image: tilted(image, 25),
    "in dim light": lambda image: (image * 0.35).astype(image.dtype),
    "on a dark desk at an angle": on_a_dark_desk_at_an_angle,
    "a lamp to one side": lamp_to_one_side,
    "a shadow across it": shadow_across,
    "overexposed": lambda image: np.clip(image * 1.6, 0, 255).astype(image.dtype),
    "moved while taken": moved,
    "shaken up and down": shaken,
    "a noisy sensor": lambda image: noisy(image, 20),
    "a very noisy sensor": lambda image: noisy(image, 30),
    "from further away": from_further_away,
}


def test_real_photos_are_read_at_the_measured_level(readings):
    """Measured: recall 97.5 % (271 of 278), precision 98.5 %, characters 97.5 %, 16 of 19
    exact: issue 10's 95 / 97 / 90 / 80 %; 96.0 / 97.8 / 96.0 % before two long-tailed 9s and
    a 7 were read by their heads (reading.read_by_its_head), 97.1 / 98.2 / 97.1 % before the
    classifier's doubt counted there too (a 7 like a bracket). The gates sit three digits (an
    image) below. The misses: dense touching digits, a 4 whose arm runs
    into a 7, see README "What the runtime can and cannot read"."""
    total = evaluate.report(readings)
    assert total.images == 19 and total.digits == 278
    assert total.recall >= 0.964  # 268 of 278
    assert total.precision >= 0.975
    assert total.characters >= 0.95
    assert total.exact >= 15


def test_real_photos_with_several_rows_come_back_line_by_line(readings):
    """Written lines come back one by one, in reading order. Measured on the 8 pages of 2-6
    rows: all 8 with the right number of lines (7 before the second look at the threshold:
    in hypjudy_04 two missed digits left a gap that split a line in two), 5 with every line
    exactly right. The gate allows one page a line too many or too few."""
    multi_row = [(lines, record) for _, _, lines, record in readings if len(record["lines"]) > 1]
    assert len(multi_row) == 8
    assert sum(len(lines) == len(record["lines"]) for lines, record in multi_row) >= 7
    assert sum(lines == record["lines"] for lines, record in multi_row) >= 5


@pytest.mark.parametrize("change, least_recall, least_precision", [
    ("half size", 0.92, 0.95), ("out of focus", 0.92, 0.95), ("far out of focus", 0.74, 0.88),
    ("tilted 8 degrees", 0.91, 0.94), ("tilted 25 degrees", 0.88, 0.94),
    ("in dim light", 0.95, 0.97), ("on a dark desk at an angle", 0.93, 0.95), ("a lamp to one side", 0.93, 0.95),
    ("a shadow across it", 0.92, 0.95), ("overexposed", 0.89, 0.94), ("moved while taken", 0.83, 0.95),
    ("shaken up and down", 0.85, 0.88),
    ("a noisy sensor", 0.93, 0.96), ("a very noisy sensor", 0.85, 0.91), ("from further away", 0.93, 0.95)])
def test_real_photos_read_nearly_as_well_taken_otherwise(readings, change, least_recall, least_precision):
    """Measured, recall / precision, now and (in brackets) just before this change (cbd51b7):
    half size 89.2 / 97.6 % (70.1 / 96.1 %), out of focus (Gaussian sigma 2) 89.6 / 96.1 %
    (54.7 / 95.6 %), tilted 92.8 / 95.6 % (88.5 / 93.5 %), in dim light (a third as bright)
    96.4 / 98.2 % (94.6 / 95.6 %), on a dark desk at an angle 84.5 / 97.1 % (58.3 / 97.0 %),
    a lamp to one side 91.0 / 97.3 % (78.4 / 98.6 %). The desk's edge along the border had
    set the threshold above thinner, fainter or blurred writing, and whole pages read empty
    (threshold.ink_mask); in dim light the threshold's floor now falls with the light
    (preprocess.exposure). A shadow across the page 91.4 / 94.8 % (73.0 / 97.1 % just before
    shadows were taken out, f297d53): the band was one blob holding the digits it crossed
    (edge_runtime/shadows.py); digits read in the shade now are misread more often.
    Half size 94.6 / 97.4 % and on a dark desk 95.7 / 96.0 %, tilted 93.9 / 96.7 % since
    small pictures are worked on enlarged (preprocess.SMALL_PICTURE) and a fair
    split of the rest is followed where the desk's level loses most of the writing
    (threshold.FAIR_SPLIT); before (0fe8476) 89.2 / 97.6 %, 84.5 / 97.1 %, 92.8 / 95.6 %.
    A shadow across the page 92.8 / 95.9 %, 15 exact, since a shadow is also told from the
    writing by its tone (shadows.shadow_by_tone): two of the four big marker digits
    under the band had read as nothing, the band run into them; before (f8470b7) 91.4 /
    94.8 %, 10 exact. Under the lamp 94.6 / 96.7 % and overexposed (1.6 times as bright)
    91.0 / 95.5 % since a fair split needs 0.70, not 0.72 (threshold.FAIR_SPLIT): before
    (46e86ee) 91.0 / 97.3 % and 81.3 / 96.6 %, one overexposed page read as empty.
    Moved while taken (7 pixels sideways) 84.9 / 97.5 % since a page's doubtful threshold is
    also read (classify.second_opinion): before (3d1cedc) 77.7 / 97.3 %, hypjudy_03 read as
    empty. Tilted 94.2 / 96.0 % since a sloping picture is also read turned level
    (classify.straighter_look): before (18e81de) 93.9 / 96.7 %; tilted 25 degrees 90.3 / 96.9 %
    against 86.7 / 94.1 %. Out of focus 93.9 / 97.4 % and
    far out of focus (sigma 3) 77.7 / 90.8 % since a picture whose readings are doubtful on
    average is also read sharpened (classify.sharper_look): before (d8a8e62) 89.6 / 96.1 % and
    51.1 / 88.8 %. Half size 95.0 / 96.4 % and under the lamp 94.6 / 96.3 % since then.
    Reading a long-tailed digit by its head (reading.read_by_its_head) lost nothing anywhere:
    half size 95.7 / 96.7 %, out of focus 94.2 / 97.4 %, tilted 95.7 / 97.4 % (25 degrees
    91.0 / 96.9 %), in dim light 97.5 / 98.5 %, on a dark desk 96.8 / 96.8 %, under the lamp
    95.3 / 96.7 %, a shadow across it 93.9 / 96.3 %; the others read the same. Cutting a run
    of touching digits finer (reading.finer_cut): half size 96.0 / 98.2 %, the others the same.
    Keeping digits scattered in no row (acceptance.SCATTERED_PROBABILITY): a shadow across it
    94.6 / 96.3 %, the others the same. A noisy sensor (sigma 20) 95.0 / 98.1 % and a very
    noisy one (sigma 30) 87.8 / 93.1 % since the paper's grain is measured without its noise
    where it is mostly noise (pen_ink.grain_without_noise): before (86ede72) 90.6 / 94.4 % and
    16.2 / 100 %, whole pages read as empty. Reading the head of a tall 1 the classifier
    doubts, not only the rejecter: half size 96.4 / 98.5 %, in dim light 97.8 / 98.9 %, on a
    dark desk 97.1 / 98.5 %, under the lamp 95.7 / 97.1 %, a shadow across it 95.0 / 96.7 %, a
    noisy sensor 95.3 / 98.5 %; tilted 8 degrees and overexposed read a 7 for a 1 at the same
    score, the others the same. From further away (a 4000x3000 still, the writing at 1.5 times
    its size) 95.0 / 97.4 %, 14 exact, since a big photo whose writing comes out small is also
    read at 3072 pixels (classify.finer_look): before (f829d9b) 77.3 / 96.4 %, 13 exact.
    Shaken up and down (7 pixels vertically), first measured with a cut into all 1s read as
    a letter's stems (reading.are_stems): 87.8 / 90.4 %, strokes stretched upright read as 1s;
    far out of focus 76.6 / 91.0 % since then (91.4 % before, one 1 more). Keeping a digit read
    surely between the sure digits of a long number (acceptance.is_inside_long_number): out
    of focus 94.6 / 97.4 %, in dim light 98.2 / 98.9 %, a shadow across it 95.3 / 97.1 %,
    overexposed 91.0 / 95.1 %, moved 85.3 / 97.5 %, a noisy sensor 96.0 / 98.5 %."""
    model, pairs = load_model(INT8_MODEL), []
    for name, _, _, record in readings:
        image = CHANGES[change](image_files.read_image(str(evaluate.image_path(REAL_PHOTOS, name))))
        pairs.append((classify.read_number(classify.classify_image(model, image, 0.5)), record["number"]))
    total = evaluate.score(pairs)
    assert total.digits == 278
    assert total.recall >= least_recall
    assert total.precision >= least_precision


def test_real_photos_turned_far_read_nothing_from_the_made_up_corners(readings):
    """Read turned level, a photo turned 35 degrees has corners made up from its border
    (straighten.turned), whose streaks read as 1s. A reading whose centre lies outside the
    photo is dropped (straighten.lands_inside): without that, hypjudy_04 gave a "1" in a 2x2
    box on the photo's bottom edge (its centre, carried back, lay outside the photo)."""
    model = load_model(INT8_MODEL)
    for name, _, _, _ in readings:
        photo = tilted(image_files.read_image(str(evaluate.image_path(REAL_PHOTOS, name))), 35)
        for digit in classify.classify_image(model, photo, 0.5):
            assert min(digit.box[2:]) >= 3, (name, digit.label, digit.box)
