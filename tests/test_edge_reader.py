"""edge_runtime.reader: DigitReader against the CLI, DigitModel and MNIST; the README example."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest_edge import EXAMPLES_DIR, INT8_MODEL, FLOAT_MODEL, example_number, load_model, mnist_test_arrays
from prerequisites import REPO
from edge_runtime import DigitReader, classify, cli, image_files
from edge_runtime.errors import ModelError, UserInputError
from edge_runtime.reader import DEFAULT_MIN_SCORE, DigitReading

EXAMPLES = sorted(EXAMPLES_DIR.iterdir())


@pytest.fixture(scope="module")
def reader():
    return DigitReader(INT8_MODEL)


def reading_key(reading):
    """Everything a reading holds, crops included, in a form == compares exactly."""
    return [(d.label, d.score, tuple(d.box), d.line, d.image.tobytes()) for d in reading.digits]


def test_shipped_examples_read_as_their_names_and_as_classify_json_prints_them(reader, capsys):
    assert len(EXAMPLES) >= 4
    assert cli.classify_main(["--json", "--model", str(INT8_MODEL), *map(str, EXAMPLES)]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    for path, record in zip(EXAMPLES, printed, strict=True):
        reading = reader.read(path)
        assert reading.number == example_number(path) == "".join(reading.lines)
        assert reading.source == str(path)
        assert reading.to_dict() == record


def test_a_48_megapixel_photo_reads_as_classify_json_prints_it_boxes_in_its_pixels(reader, tmp_path, capsys):
    """Decoded at half size; the reader, like the CLI, gives its boxes in the file's pixels."""
    photo = next(EXAMPLES_DIR.glob("photo_*"))
    large = tmp_path / "large.jpg"
    cv2.imwrite(str(large), cv2.resize(cv2.imread(str(photo)), (8000, 6000), interpolation=cv2.INTER_CUBIC))
    assert cli.classify_main(["--json", "--model", str(INT8_MODEL), str(large)]) == 0
    record = json.loads(capsys.readouterr().out)
    reading = reader.read(large)
    assert reading.to_dict() == record and reading.number == example_number(photo)
    assert max(d.box[0] + d.box[2] for d in reading.digits) > 4000  # boxes of the 8000-wide file
    assert all(d.box[0] + d.box[2] <= 8000 and d.box[1] + d.box[3] <= 6000 for d in reading.digits)


def test_the_default_reader_is_the_shipped_int8_model_with_its_rejecter():
    reader = DigitReader()
    assert Path(reader.model.path).name == "model_int8.tflite" and reader.model.rejecter is not None
    assert reader.labels == tuple("0123456789") and reader.min_score == DEFAULT_MIN_SCORE == classify.DEFAULT_MIN_SCORE
    assert reader.read(EXAMPLES_DIR / "frame_91724.jpg").number == "91724"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_a_path_its_gray_array_and_its_bgr_array_read_identically(reader, path):
    gray = image_files.read_image(path)
    from_path = reader.read(path)
    assert reading_key(reader.read(gray)) == reading_key(from_path)
    assert reading_key(reader.read(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))) == reading_key(from_path)
    assert reading_key(reader.read(cv2.imread(str(path), cv2.IMREAD_COLOR))) == reading_key(from_path)
    assert reader.read(gray).source == "<array>" and reader.read(gray, source="cam").to_dict()["source"] == "cam"


def test_min_score_drops_what_the_cli_drops(reader):
    strict = DigitReader(INT8_MODEL, min_score=1.0)
    assert strict.read(EXAMPLES_DIR / "frame_91724.jpg").digits == []
    assert len(reader.read(EXAMPLES_DIR / "frame_91724.jpg").digits) == 5


@pytest.mark.parametrize("model_path", [INT8_MODEL, FLOAT_MODEL], ids=["int8", "float32"])
def test_classify_28x28_equals_digit_model_and_scores_mnist(model_path):
    images, truth = mnist_test_arrays()
    images, truth = images[:1000], truth[:1000]
    result = DigitReader(model_path).classify_28x28(images)
    expected = np.stack([load_model(model_path).scores(image) for image in images])
    assert result.labels.dtype == np.int64 and result.labels.shape == (1000,)
    assert result.probabilities.dtype == np.float32 and result.probabilities.shape == (1000, 10)
    np.testing.assert_array_equal(result.probabilities, expected)
    np.testing.assert_array_equal(result.labels, expected.argmax(axis=1))
    accuracy = float((result.labels == truth).mean())
    print(f"{model_path.name}: {accuracy:.2%} on the first 1000 MNIST test images")
    assert accuracy >= 0.985


def test_classify_28x28_takes_every_mnist_shape_and_floats_in_0_1(reader):
    images = mnist_test_arrays()[0][:20]
    expected = reader.classify_28x28(images)
    just_below = np.clip((images - 0.4) / 255.0, 0.0, 1.0)  # rounds to the same uint8 pixels
    for same in (images[..., None], images / 255.0, (images / 255.0).astype(np.float32), just_below, list(images)):
        result = reader.classify_28x28(same)
        np.testing.assert_array_equal(result.labels, expected.labels)
        np.testing.assert_array_equal(result.probabilities, expected.probabilities)
    one = reader.classify_28x28(images[3])
    assert one.labels.tolist() == [expected.labels[3]] and one.probabilities.shape == (1, 10)
    empty = reader.classify_28x28(np.zeros((0, 28, 28), np.uint8))
    assert empty.labels.shape == (0,) and empty.probabilities.shape == (0, 10)


def test_float_pixels_are_rounded_to_the_nearest_of_256_levels():
    from edge_runtime.reader import as_mnist_batch

    pixels = as_mnist_batch(np.array([[[0.0, 99.4 / 255, 100.6 / 255, 1.0] * 7] * 28]))
    assert pixels.dtype == np.uint8 and pixels.shape == (1, 28, 28)
    assert pixels[0, 0, :4].tolist() == [0, 99, 101, 255]


@pytest.mark.parametrize("bad, message", [
    (np.zeros((5, 27, 28), np.uint8), "got shape (5, 27, 28)"),
    (np.zeros((5, 28, 28, 3), np.uint8), "got shape (5, 28, 28, 3)"),
    (np.zeros(784, np.uint8), "got shape (784,)"),
    (np.zeros((2, 28, 28), np.int64), "got dtype int64"),
    (np.zeros((2, 28, 28), bool), "got dtype bool"),
    (np.full((2, 28, 28), 255.0), "got values from 255 to 255"),
    (np.full((28, 28), -0.5), "got values from -0.5 to -0.5"),
    (np.full((28, 28), np.nan), "got 784 NaN or infinite values"),
])
def test_classify_28x28_refuses_wrong_shapes_dtypes_and_ranges_naming_them(reader, bad, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        reader.classify_28x28(bad)


def test_read_refuses_what_is_not_an_image_naming_it(reader, tmp_path):
    with pytest.raises(UserInputError, match=re.escape(f"{tmp_path / 'missing.png'}: no such file")):
        reader.read(tmp_path / "missing.png")
    with pytest.raises(UserInputError, match=re.escape(f"{tmp_path}: not a regular file (a folder)")):
        reader.read(str(tmp_path))
    (tmp_path / "notes.png").write_text("not a picture")
    with pytest.raises(UserInputError, match="notes.png: "):
        reader.read(tmp_path / "notes.png")
    with pytest.raises(ValueError, match=re.escape("got float32 (shape (40, 30))")):
        reader.read(np.zeros((40, 30), np.float32))
    with pytest.raises(ValueError, match=re.escape("got shape (40, 30, 2)")):
        reader.read(np.zeros((40, 30, 2), np.uint8))
    with pytest.raises(ValueError, match=re.escape("empty image (shape (0, 30))")):
        reader.read(np.zeros((0, 30), np.uint8))


def test_bad_reader_settings_are_refused_naming_them(tmp_path):
    for threads in (0, 65, 1.5, True):
        with pytest.raises(ValueError, match=re.escape(f"threads must be an integer from 1 to 64, got {threads!r}")):
            DigitReader(threads=threads)
    for min_score in (-0.1, 1.5, "0.5"):
        with pytest.raises(ValueError, match=re.escape(f"min_score must be a number from 0 to 1, got {min_score!r}")):
            DigitReader(min_score=min_score)
    with pytest.raises(ValueError, match="unknown backend 'onnx'"):
        DigitReader(backend="onnx")
    with pytest.raises(ModelError, match=re.escape(f"{tmp_path / 'none.tflite'}: model file not found")):
        DigitReader(tmp_path / "none.tflite")


def run_python(code):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


BLOCK_OPENCV = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "cv2" or name.startswith("cv2."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Block())
"""


def test_import_is_light_and_classify_28x28_works_without_opencv():
    out = run_python(BLOCK_OPENCV + (
        "import edge_runtime\n"
        "print('numpy' in sys.modules, 'edge_runtime.reader' in sys.modules)\n"
        "import numpy as np\n"
        "from edge_runtime import DigitReader\n"
        "reader = DigitReader()\n"
        "print(reader.classify_28x28(np.zeros((2, 28, 28), np.uint8)).labels.shape)\n"
        "try:\n"
        "    reader.read(np.zeros((40, 40), np.uint8))\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error.name, error)\n"))
    assert out.splitlines() == [
        "False False", "(2,)",
        "cv2 DigitReader.read() finds digits with OpenCV, which is not installed (no module 'cv2'): "
        "pip install 'mnist-edge[edge]'"]


def test_read_imports_opencv_only_when_first_called():
    out = run_python("import sys, numpy as np\n"
                     "from edge_runtime import DigitReader\n"
                     "reader = DigitReader()\n"
                     "reader.classify_28x28(np.zeros((28, 28), np.uint8))\n"
                     "print('cv2' in sys.modules)\n"
                     "print(reader.read(np.zeros((40, 40), np.uint8)).number == '', 'cv2' in sys.modules)\n")
    assert out.splitlines() == ["False", "True True"]


def test_unknown_attributes_of_the_package_are_attribute_errors():
    import edge_runtime

    assert "DigitReader" in dir(edge_runtime) and edge_runtime.DigitReading is DigitReading
    with pytest.raises(AttributeError, match="has no attribute 'DigitWriter'"):
        edge_runtime.DigitWriter


def readme_example():
    """The README's DigitReader code block and the output block that follows it."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"runs the next code block.*?```python\n(.*?)```\s*prints\s*```text\n(.*?)```", text, re.S)
    assert found, "README.md lost its DigitReader example"
    return found.group(1), found.group(2)


def test_the_readme_example_runs_and_prints_what_the_readme_says():
    code, expected = readme_example()
    assert "DigitReader()" in code and "classify_28x28" in code
    assert run_python(code) == expected
