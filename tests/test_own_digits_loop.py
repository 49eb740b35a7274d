"""The whole "my own handwriting" loop through the real commands, on a generated video:
collect -> fix labels by moving files -> train --finetune-from -> export -> compare ->
classify --model, with the readings of the video changing as they should."""

import json
import re
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from prerequisites import require_module

require_module("tensorflow")
require_module("sklearn")

from edge_runtime import DigitReader, evaluate, video  # noqa: E402
from mnist_edge.train import sklearn_digits  # noqa: E402

DIGITS_PER_FRAME, FRAMES_PER_NUMBER, LEFT, PITCH = 5, 3, 40, 110


def frame_of(images, indices):
    """A row of scikit-learn digits (another population of writers than MNIST's) drawn dark on
    paper, 56 px tall, at known places."""
    page = np.full((240, 640), 235, np.uint8)
    for position, index in enumerate(indices):
        digit = cv2.resize(images[index], (56, 56), interpolation=cv2.INTER_CUBIC)
        x = LEFT + position * PITCH
        page[90:146, x:x + 56] = np.minimum(page[90:146, x:x + 56], 255 - digit)
    return cv2.cvtColor(page, cv2.COLOR_GRAY2BGR)


@pytest.fixture(scope="module")
def handwriting_video(tmp_path_factory):
    """(video path, the number each group of frames shows): 8 numbers, 3 still frames each."""
    images, labels = sklearn_digits.digit_pictures()
    groups = [list(range(start, start + DIGITS_PER_FRAME)) for start in range(0, 40, DIGITS_PER_FRAME)]
    path = tmp_path_factory.mktemp("handwriting") / "mine.avi"
    video.write_video(path, [frame_of(images, g) for g in groups for _ in range(FRAMES_PER_NUMBER)], fps=5)
    return path, ["".join(str(labels[i]) for i in g) for g in groups]


def mnist_edge(*arguments):
    """Run one mnist-edge command as a user would; its stdout, after checking it succeeded."""
    result = subprocess.run([sys.executable, "-m", "edge_runtime", *map(str, arguments)],
                            capture_output=True, text=True)
    assert result.returncode == 0, (arguments[0], result.stderr[-2000:])
    return result.stdout


def read_video(model, path):
    """{frame: --json record} of `classify --model MODEL --json VIDEO`."""
    lines = mnist_edge("classify", "--model", model, "--json", path).splitlines()
    return {record["frame"]: record for record in map(json.loads, lines)}


def score(records, numbers):
    """Reading scores of one frame per number against the truth."""
    return evaluate.score([(records[k * FRAMES_PER_NUMBER]["number"], number) for k, number in enumerate(numbers)])


def fix_labels(crops, records, numbers):
    """What the user does in a file manager: look at each crop and move it into the folder of
    the digit it shows (here: the digit drawn at the crop's place). Returns how many moved."""
    moved = 0
    for crop in sorted(crops.glob("*/*.png")):
        if crop.parent.name == "originals":
            continue
        frame, position = map(int, re.fullmatch(r"mine-(\d+)-(\d+)\.png", crop.name).groups())
        x = records[frame]["digits"][position]["box"][0]
        truth = numbers[frame // FRAMES_PER_NUMBER][round((x - LEFT) / PITCH)]
        if crop.parent.name != truth:
            (crops / truth).mkdir(exist_ok=True)
            shutil.move(crop, crops / truth / crop.name)
            moved += 1
    return moved


def crops_read_as_their_folder(model, crops):
    """Share of the labelled crops the model reads as the folder they are in."""
    files = sorted(f for f in crops.glob("[0-9]/*.png"))
    batch = np.stack([cv2.imread(str(f), cv2.IMREAD_GRAYSCALE) for f in files])
    labels = DigitReader(str(model)).classify_28x28(batch).labels
    return float(np.mean(labels == np.array([int(f.parent.name) for f in files])))


def test_collect_fix_finetune_export_compare_and_read_again(small_run, mnist_npz_path, handwriting_video, tmp_path):
    path, numbers = handwriting_video
    base = small_run / "model_int8.tflite"
    before = read_video(base, path)
    crops, tuned = tmp_path / "crops", tmp_path / "tuned"

    mnist_edge("collect", "--model", base, "--source", path, "--out", crops)
    collected = [f for f in crops.glob("*/*.png") if f.parent.name != "originals"]
    assert len(collected) >= 20  # 40 digits shown; still frames give no duplicates
    moved = fix_labels(crops, before, numbers)
    assert moved >= 5, "the small model should misread some of these writers' digits"
    assert crops_read_as_their_folder(base, crops) <= 0.85

    data = ["--data", mnist_npz_path, "--extra", crops, "--holdout", "0"]
    mnist_edge("train", "--finetune-from", small_run / "model.keras", *data, "--extra-weight", 20,
               "--train-subset", 3000, "--validation-size", 500, "--out", tuned)
    mnist_edge("export", *data, "--out", tuned)
    mnist_edge("compare", *data, "--out", tuned)

    report = json.loads((tuned / "report.json").read_text())
    assert report["models"]["int8"]["accuracy"] >= report["models"]["before"]["accuracy"] - 0.005
    sidecar = json.loads((tuned / "model_int8.json").read_text())
    assert sum(sidecar["user_data"]["extra"]["train_counts"].values()) == len(collected)

    assert crops_read_as_their_folder(tuned / "model_int8.tflite", crops) >= 0.9
    old, new = score(before, numbers), score(read_video(tuned / "model_int8.tflite", path), numbers)
    assert new.characters >= old.characters + 0.1, (old, new)
    assert new.exact >= old.exact + 1, (old, new)
