"""A user's folder tree of pictures -> training arrays (train/folders.py), each picture prepared
by edge_runtime/crops.py as reading prepares a digit, and the seeded held-out split."""

import subprocess
import sys

import cv2
import numpy as np
import pytest

from conftest_edge import mnist_test_arrays
from edge_runtime import MODELS_DIR, crops, preprocess
from edge_runtime.errors import UserInputError
from edge_runtime.model import DigitModel
from prerequisites import require_module
from mnist_edge.train import data as mnist_data
from mnist_edge.train import folders

SHIPPED_INT8 = MODELS_DIR / "model_int8.tflite"


def drawn_digit(text, size, dark_on_light, thickness):
    """A digit drawn with OpenCV's Hershey font on a square of `size` pixels."""
    paper, ink = (235, 25) if dark_on_light else (20, 230)
    image = np.full((size, size), paper, np.uint8)
    scale = size / 40.0
    (width, height), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    cv2.putText(image, text, ((size - width) // 2, (size + height) // 2), cv2.FONT_HERSHEY_SIMPLEX, scale, ink,
                thickness, cv2.LINE_AA)
    return image


def write_tree(root, layout):
    """layout: {relative path: image array or bytes}."""
    for name, content in layout.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            assert cv2.imwrite(str(path), content)
    return root


def test_an_mnist_picture_passes_through_unchanged():
    images, _ = mnist_test_arrays()
    for image in images[:20]:
        prepared = crops.prepare_crop(image)
        np.testing.assert_array_equal(prepared, image)
        assert prepared is not image


def test_either_polarity_and_any_size_give_the_same_crop_and_reading():
    model = DigitModel(SHIPPED_INT8, rejecter=None)
    wrong = []
    for digit in "0123456789":
        for size in (12, 40, 300):
            thickness = max(1, size // 12)
            dark = crops.prepare_crop(drawn_digit(digit, size, True, thickness))
            light = crops.prepare_crop(drawn_digit(digit, size, False, thickness))
            assert dark.shape == (28, 28) and dark.dtype == np.uint8
            assert dark[0].max() == 0 and dark[:, 0].max() == 0, "white digit on black, with a dark border"
            assert np.abs(dark.astype(int) - light.astype(int)).mean() < 8, (digit, size)
            if model.labels[int(model.scores(dark).argmax())] != digit:
                wrong.append((digit, size))
    assert wrong == [("6", 12)]  # a 12-pixel Hershey 6 closes its loop into a 0


def test_a_crop_prepares_as_reading_prepares_the_same_picture():
    """Small pictures are read enlarged (preprocess.SMALL_PICTURE), and so are crops for
    training: the same 28x28 image either way, at any size, but for a few pixels a grey level
    or two apart (measured: at most 0.24 grey levels on average; 25 when crops were prepared
    at the picture's own size and reading enlarged it)."""
    for size in (150, 300, preprocess.SMALL_PICTURE - 1, 600):
        for digit in "0378":
            image = drawn_digit(digit, size, True, max(1, size // 12))
            (found,) = preprocess.find_digits(image)
            difference = np.abs(crops.prepare_crop(image).astype(int) - found.image.astype(int)).mean()
            assert difference < 1.0, (digit, size, difference)


def test_a_crop_in_dim_light_prepares_as_reading_finds_it():
    """Pencil-grey ink photographed in dim light: reading finds the digit (the threshold's
    floor falls with the light), and so must preparing a crop of it for training."""
    page = np.full((80, 60), 200, np.uint8)
    cv2.putText(page, "7", (12, 62), cv2.FONT_HERSHEY_SIMPLEX, 2, 150, 6)
    dim = (page * 0.35).astype(np.uint8)
    assert len(preprocess.find_digits(dim)) == 1
    crop = crops.prepare_crop(dim)
    assert crop.shape == (28, 28) and crop.max() == 255


def test_a_blank_picture_is_an_error():
    with pytest.raises(ValueError, match="no ink found"):
        crops.prepare_crop(np.full((50, 40), 200, np.uint8))


def sample_tree(root):
    """Three labels in PNG and JPEG of several sizes and both polarities, and what is skipped."""
    layout = {}
    for digit in "123":
        for index, (size, dark) in enumerate([(28, True), (64, False), (100, True), (20, False), (48, True)]):
            suffix = ".jpg" if index == 2 else ".png"
            layout[f"{digit}/{digit}-{index}{suffix}"] = drawn_digit(digit, size, dark, max(1, size // 12))
    layout["unsure/odd.png"] = drawn_digit("7", 40, True, 3)
    layout["originals/1-0-full.png"] = drawn_digit("1", 200, True, 16)
    layout["1/.hidden.png"] = drawn_digit("4", 40, True, 3)
    layout["2/notes.txt"] = b"not a picture"
    layout[".thumbnails/3.png"] = drawn_digit("3", 40, True, 3)
    return write_tree(root, layout)


def test_a_folder_tree_reads_into_arrays_skipping_unsure_originals_and_hidden(tmp_path):
    found = folders.read_folder(sample_tree(tmp_path))
    assert found.images.shape == (15, 28, 28) and found.images.dtype == np.uint8
    assert found.counts() == {"0": 0, "1": 5, "2": 5, "3": 5, **{str(d): 0 for d in range(4, 10)}}
    assert found.files[:5] == ("1/1-0.png", "1/1-1.png", "1/1-2.jpg", "1/1-3.png", "1/1-4.png")
    assert found.labels.tolist() == [1] * 5 + [2] * 5 + [3] * 5
    model = DigitModel(SHIPPED_INT8, rejecter=None)
    predictions, _ = model.predict(found.images)
    assert np.mean(predictions == found.labels) >= 14 / 15


@pytest.mark.parametrize("layout, message", [
    ({}, "no PNG or JPEG images in its label folders"),
    ({"3/readme.txt": b"hello"}, "no PNG or JPEG images in its label folders"),
    ({"3/a.png": b"\x89PNG\r\n\x1a\n garbage"}, "3/a.png: "),
    ({"3/blank.png": np.full((30, 30), 255, np.uint8)}, "3/blank.png: no ink found"),
    ({"three/a.png": np.zeros((28, 28), np.uint8)}, "folder(s) three are not labels of the model"),
])
def test_bad_folders_are_one_line_errors_naming_the_problem(tmp_path, layout, message):
    root = write_tree(tmp_path / "mine", layout)
    root.mkdir(exist_ok=True)
    with pytest.raises(UserInputError, match=None) as raised:
        folders.read_folder(root)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_labels_other_than_digits_come_from_the_model(tmp_path):
    root = write_tree(tmp_path, {"cat/a.png": drawn_digit("0", 40, True, 3),
                                 "dog/b.png": drawn_digit("1", 40, True, 3)})
    found = folders.read_folder(root, ("ant", "cat", "dog"))
    assert found.labels.tolist() == [1, 2] and found.counts() == {"ant": 0, "cat": 1, "dog": 1}


def numbered_tree(root, per_label=10, labels="0123"):
    layout = {f"{label}/{label}-{index:02d}.png": drawn_digit(label, 30 + index, index % 2 == 0, 2 + index % 3)
              for label in labels for index in range(per_label)}
    return write_tree(root, layout)


def test_the_split_is_seeded_per_label_and_recorded(tmp_path):
    found = folders.read_folder(numbered_tree(tmp_path, per_label=10))
    split = folders.split_folder(found, holdout=0.2, seed=0)
    assert split.held_out.counts()["0"] == 2 and len(split.held_out.files) == 8 and len(split.train.files) == 32
    again = folders.split_folder(folders.read_folder(tmp_path), holdout=0.2, seed=0)
    assert again.held_out.files == split.held_out.files
    other_seed = folders.split_folder(found, holdout=0.2, seed=1)
    assert other_seed.held_out.files != split.held_out.files
    record = split.record()
    assert record["held_out_files"] == list(split.held_out.files)
    assert record["train_counts"]["3"] == 8 and record["held_out_counts"]["3"] == 2
    assert len(record["sha256"]) == 64 and record["holdout"] == 0.2 and record["split_seed"] == 0
    assert set(split.train.files).isdisjoint(split.held_out.files)


def test_adding_pictures_does_not_reshuffle_the_split(tmp_path):
    root = numbered_tree(tmp_path, per_label=10, labels="5")
    before = folders.split_folder(folders.read_folder(root), 0.2).held_out.files
    write_tree(root, {f"5/new-{index}.png": drawn_digit("5", 50 + index, True, 3 + index) for index in range(3)})
    after = folders.split_folder(folders.read_folder(root), 0.2).held_out.files
    assert len(before) == 2 and len(after) == 3 and set(before) < set(after)


def test_moving_a_picture_to_another_label_changes_the_fingerprint(tmp_path):
    root = numbered_tree(tmp_path, per_label=5, labels="01")
    first = mnist_data.load_path(root).fingerprint()
    (root / "0" / "0-00.png").rename(root / "1" / "0-00.png")
    assert mnist_data.load_path(root).fingerprint() != first


def test_a_folder_tree_as_data_holds_out_its_test_set(tmp_path):
    root = numbered_tree(tmp_path, per_label=10)
    data = mnist_data.load_path(root, folders.FolderOptions(holdout=0.5))
    assert data.x_train.shape == (20, 28, 28) and data.x_test.shape == (20, 28, 28)
    assert np.bincount(data.y_test).tolist() == [5, 5, 5, 5]
    images, labels, files = data.user_held_out()
    assert len(files) == 20 and all(f.startswith(str(label)) for f, label in zip(files, labels))


def test_extra_pictures_are_oversampled_by_their_weight(tmp_path):
    extra = folders.load_extra(numbered_tree(tmp_path, per_label=5, labels="7"), weight=3)
    images, labels = extra.training_arrays()
    assert len(images) == 3 * 4 and set(labels.tolist()) == {7}
    assert extra.record()["weight"] == 3 and extra.fingerprint() != folders.Extra(extra.split, 2).fingerprint()


def mnist_edge(*arguments):
    return subprocess.run([sys.executable, "-m", "edge_runtime", *arguments], capture_output=True, text=True)


@pytest.mark.parametrize("make, message", [
    (lambda root: None, "empty folder (expected MNIST IDX files or label folders of images)"),
    (lambda root: write_tree(root, {"4/bad.jpg": b"\xff\xd8\xff\xe0 not really"}), "4/bad.jpg"),
    (lambda root: write_tree(root, {"x/a.png": np.zeros((28, 28), np.uint8)}), "folder(s) x are not labels"),
])
def test_train_names_a_bad_folder_in_one_line(tmp_path, make, message):
    root = tmp_path / "mine"
    root.mkdir()
    make(root)
    result = mnist_edge("train", "--data", str(root), "--out", str(tmp_path / "run"))
    lines = [line for line in result.stderr.splitlines() if "error:" in line]
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(lines) == 1 and message in lines[0], result.stderr


@pytest.mark.slow
def test_sklearn_digits_as_a_folder_tree(tmp_path):
    """scikit-learn's 1,797 8x8 digits written as pictures and read back like any user's crops:
    the shipped int8 model reads about 95 % of the held-out half (README: "Your own handwriting")."""
    require_module("sklearn", "the stand-in for a user's own handwriting")
    from mnist_edge.train import sklearn_digits

    assert sklearn_digits.write_folder_tree(tmp_path) == 1797
    assert cv2.imread(str(tmp_path / "0" / "sklearn-0000.png"), cv2.IMREAD_UNCHANGED).shape == (8, 8)
    split = folders.load_split(tmp_path, folders.FolderOptions(holdout=0.5, seed=0))
    assert len(split.train.files) == 899 and len(split.held_out.files) == 898
    model = DigitModel(SHIPPED_INT8, rejecter=None)
    predictions, _ = model.predict(split.held_out.images)
    assert 0.94 <= np.mean(predictions == split.held_out.labels) <= 0.97
