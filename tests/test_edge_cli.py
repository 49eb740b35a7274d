"""edge_runtime.cli: `mnist-edge classify` on good and bad inputs, and without TensorFlow."""

import io
import json
import os
import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pytest
from PIL import Image

from conftest_edge import EXAMPLES_DIR, REPO, example_number, read_one_line_then_close
from edge_runtime import cli, preprocess, video
from prerequisites import require_module

EXAMPLES = sorted(str(p) for p in EXAMPLES_DIR.iterdir())


@pytest.fixture
def bad_inputs(tmp_path):
    """One of each kind of bad input a user can pass, by name."""
    (tmp_path / "empty_folder").mkdir()
    (tmp_path / "zero.png").write_bytes(b"")
    (tmp_path / "notes.jpg").write_text("shopping list\n")
    jpeg = io.BytesIO()
    Image.fromarray(np.tile(np.arange(0, 256, 4, dtype=np.uint8), (48, 1))).save(jpeg, format="JPEG", quality=90)
    (tmp_path / "truncated.jpg").write_bytes(jpeg.getvalue()[:len(jpeg.getvalue()) // 2])
    Image.new("1", (20000, 20000)).save(tmp_path / "bomb.png", optimize=True)
    return {name: str(tmp_path / name) for name in
            ("empty_folder", "zero.png", "notes.jpg", "truncated.jpg", "bomb.png", "missing.png")}


def test_json_lines_for_good_and_bad_inputs_and_exit_status_1(bad_inputs, capsys):
    inputs = [EXAMPLES[0], *bad_inputs.values(), EXAMPLES[1]]
    assert cli.classify_main(["--json", *inputs]) == 1
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["source"] for r in records] == inputs
    assert records[0]["number"] == example_number(EXAMPLES[0])
    assert records[-1]["number"] == example_number(EXAMPLES[1])
    errors = {r["source"]: r["error"] for r in records if "error" in r}
    assert errors == {
        bad_inputs["empty_folder"]: "folder has no image or video files",
        bad_inputs["zero.png"]: "empty file (0 bytes)",
        bad_inputs["notes.jpg"]: "not an image file (or a format neither Pillow nor OpenCV reads)",
        bad_inputs["truncated.jpg"]: "cannot decode image (Truncated File Read)",
        bad_inputs["bomb.png"]: "image is too large to decode safely (decompression-bomb guard)",
        bad_inputs["missing.png"]: "no such file",
    }
    assert "Traceback" not in out + err


def test_human_output_names_each_file_and_errors_go_to_stderr_one_line_each(bad_inputs, capsys):
    assert cli.classify_main([EXAMPLES[0], bad_inputs["zero.png"], bad_inputs["notes.jpg"]]) == 1
    out, err = capsys.readouterr()
    assert out.startswith(f"{EXAMPLES[0]}: {example_number(EXAMPLES[0])}  [")
    assert err.splitlines() == [f"mnist-edge classify: error: {bad_inputs['zero.png']}: empty file (0 bytes)",
                                f"mnist-edge classify: error: {bad_inputs['notes.jpg']}: not an image file "
                                "(or a format neither Pillow nor OpenCV reads)"]


def test_all_good_inputs_exit_0_and_folders_expand(capsys):
    assert cli.classify_main(["--json", str(EXAMPLES_DIR)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["source"], r["number"]) for r in records] == [(p, example_number(p)) for p in EXAMPLES]


def test_a_video_file_gives_one_record_per_frame(tmp_path, capsys):
    frame = cv2.imread(str(next(EXAMPLES_DIR.glob("frame_*"))))
    path = tmp_path / "clip.avi"
    video.write_video(path, [frame] * 4, fps=10)
    assert cli.classify_main(["--json", str(path)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    number = example_number(next(EXAMPLES_DIR.glob("frame_*")))
    assert [(r["frame"], r["number"]) for r in records] == [(i, number) for i in range(4)]


def test_a_48_megapixel_phone_photo_reads_as_its_smaller_self_with_boxes_in_its_own_pixels(tmp_path, capsys):
    """Read at half size (image_files.read_image_reduced), its digits, lines and boxes match the
    1600x1200 example's, boxes scaled by the five times it was enlarged."""
    photo = str(next(EXAMPLES_DIR.glob("photo_*")))
    large = str(tmp_path / "large.jpg")
    cv2.imwrite(large, cv2.resize(cv2.imread(photo), (8000, 6000), interpolation=cv2.INTER_CUBIC))
    assert cli.classify_main(["--json", photo, large]) == 0
    small, big = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert big["number"] == small["number"] == example_number(photo) and big["lines"] == small["lines"]
    for a, b in zip(small["digits"], big["digits"], strict=True):
        assert a["label"] == b["label"]
        assert np.abs(5 * np.array(a["box"]) - np.array(b["box"])).max() <= 0.05 * 5 * max(a["box"][2:])


def test_a_folder_of_phone_photos_names_the_heic_ones_instead_of_skipping_them(tmp_path, capsys):
    """An iPhone saves HEIC by default, which neither Pillow nor OpenCV reads: the folder
    looked empty. Each such photo is now its own one-line error, saying what to do; a JPEG
    saved as .jfif (as browsers on Windows do) is read."""
    photo = next(EXAMPLES_DIR.glob("photo_*"))
    (tmp_path / "IMG_0001.jfif").write_bytes(photo.read_bytes())
    (tmp_path / "IMG_0002.HEIC").write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(4000))
    (tmp_path / "IMG_0003.heif").write_bytes(b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic" + bytes(4000))
    assert cli.classify_main(["--json", str(tmp_path)]) == 1
    jfif, *heics = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert jfif["number"] == example_number(photo)
    assert heics == [{"source": str(tmp_path / name), "error": "HEIC photo, which neither Pillow nor OpenCV "
                      "reads: save it as JPEG (iPhone: Settings > Camera > Formats > Most Compatible)"}
                     for name in ("IMG_0002.HEIC", "IMG_0003.heif")]


def test_a_one_pixel_high_strip_is_classified_not_a_crash(tmp_path, capsys):
    path = tmp_path / "strip.png"
    Image.new("L", (3000, 1), 200).save(path)
    assert cli.classify_main(["--json", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == {"source": str(path), "digits": [], "number": "", "lines": []}


def test_an_opencv_error_is_that_inputs_one_line_error_and_the_others_go_on(monkeypatch, capsys):
    """Backstop for OpenCV failures no check foresaw; the error raised is OpenCV's own."""
    real_prepare = preprocess.prepare

    def failing_on_photos(image, *args):
        if image.shape[:2] == (1200, 1600):
            cv2.resize(image, (0, 0))  # raises cv2.error: (-215:Assertion failed)
        return real_prepare(image, *args)
    monkeypatch.setattr(preprocess, "prepare", failing_on_photos)
    photo, digit = str(next(EXAMPLES_DIR.glob("photo_*"))), str(next(EXAMPLES_DIR.glob("mnist_28x28_*")))
    assert cli.classify_main(["--json", photo, digit]) == 1
    out, err = capsys.readouterr()
    first, second = [json.loads(line) for line in out.splitlines()]
    assert first["source"] == photo and first["error"].startswith("image processing failed (OpenCV: OpenCV(")
    assert "(-215:Assertion failed)" in first["error"] and "\n" not in first["error"]
    assert second["number"] == example_number(digit) and "Traceback" not in out + err


def test_a_text_file_named_tflite_is_a_one_line_model_error(tmp_path, capsys):
    model = tmp_path / "model.tflite"
    model.write_text("this is not a model\n")
    assert cli.classify_main(["--model", str(model), EXAMPLES[0]]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"mnist-edge classify: error: {model}: not a loadable TFLite model (")
    assert len(err.strip().splitlines()) == 1


def test_missing_model_file_is_a_one_line_error(tmp_path, capsys):
    assert cli.classify_main(["--model", str(tmp_path / "none.tflite"), EXAMPLES[0]]) == 1
    assert capsys.readouterr().err == f"mnist-edge classify: error: {tmp_path / 'none.tflite'}: model file not found\n"


def test_a_model_with_the_wrong_input_shape_is_refused(tmp_path, capsys):
    """A real 32x32-input TFLite model, converted by TensorFlow in a child process."""
    require_module("tensorflow", "needs it to make the wrong-shape model")
    path = tmp_path / "wrong_shape.tflite"
    script = textwrap.dedent(f"""
        import keras, tensorflow as tf
        model = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
        open({str(path)!r}, "wb").write(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    """)
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, timeout=600)
    assert cli.classify_main(["--model", str(path), EXAMPLES[0]]) == 1
    assert capsys.readouterr().err == (f"mnist-edge classify: error: {path}: model input shape [1, 32, 32, 1] "
                                       "is not a 28x28 grayscale image\n")


BLOCK_IMPORTS = textwrap.dedent("""
    import importlib.abc, os, sys
    BLOCKED = tuple(os.environ["BLOCKED_MODULES"].split(","))

    def blocked(name):
        return any(name == b or name.startswith(b + ".") for b in BLOCKED)

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if blocked(name):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    sys.meta_path.insert(0, Block())
    sys.argv[0] = "edge_runtime"
    import runpy
    try:
        runpy.run_module("edge_runtime", run_name="__main__")
    finally:
        loaded = sorted(m for m in sys.modules if blocked(m))
        print("LOADED:", loaded, file=sys.stderr)
""")


def run_without(blocked, *arguments):
    environment = dict(os.environ, PYTHONPATH=str(REPO), BLOCKED_MODULES=",".join(blocked))
    return subprocess.run([sys.executable, "-c", BLOCK_IMPORTS, *arguments], capture_output=True,
                          text=True, env=environment, cwd=REPO, timeout=120)


def run_without_tensorflow(*arguments):
    return run_without(("tensorflow", "keras", "tf_keras"), *arguments)


def test_python_m_edge_runtime_classifies_where_tensorflow_cannot_be_imported():
    result = run_without_tensorflow("classify", "--json", *EXAMPLES)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["number"] for r in records] == [example_number(p) for p in EXAMPLES]
    assert "LOADED: []" in result.stderr


def test_a_jpeg_photo_is_read_without_pillow_or_numpy_ma():
    """Both are a tenth of the cold start each on a small machine (`mnist-edge benchmark`):
    whole JPEGs go through OpenCV, and no np.percentile (which imports numpy.ma) is on the path."""
    photos = [path for path in EXAMPLES if path.endswith(".jpg")]
    result = run_without(("PIL", "numpy.ma"), "classify", "--json", *photos)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["number"] for line in result.stdout.splitlines()] == [example_number(p) for p in photos]
    assert "LOADED: []" in result.stderr


def test_forcing_the_tensorflow_backend_without_tensorflow_is_a_clear_error():
    result = run_without_tensorflow("classify", "--backend", "tensorflow", EXAMPLES[0])
    assert result.returncode == 1
    assert "mnist-edge classify: error: no TFLite interpreter installed (tensorflow)" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["classify", "camera", "collect", "benchmark"])
def test_a_missing_opencv_names_the_edge_extra_and_exits_1(command):
    result = run_without(("cv2",), command, "--help")
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (f"mnist-edge {command}: missing dependency (cv2); "
                                             "install it with: pip install 'mnist-edge[edge]'")


def test_a_reader_that_closes_the_pipe_early_gets_no_traceback():
    """`mnist-edge classify --json ... | head -1`: the pipe closes while results are still coming."""
    command = [sys.executable, "-m", "edge_runtime", "classify", "--json", *EXAMPLES * 10]
    first, stderr, status = read_one_line_then_close(command)
    assert status == 1
    assert json.loads(first)["source"] == EXAMPLES[0]
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr and "Exception ignored" not in stderr


@pytest.mark.parametrize("threads", ["99999999999", "0", "65"])
def test_threads_outside_1_to_64_are_a_usage_error(threads, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.classify_main(["--threads", threads, EXAMPLES[0]])
    assert exit_info.value.code == 2
    assert "--threads: must be between 1 and 64" in capsys.readouterr().err


def test_json_to_a_full_disk_is_one_line_naming_stdout():
    """stdout really is /dev/full: every write fails with ENOSPC."""
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "edge_runtime", "classify", "--json", EXAMPLES[0]],
                                stdout=full, stderr=subprocess.PIPE, text=True, cwd=REPO,
                                env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert result.returncode == 1 and "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    assert [line for line in result.stderr.splitlines() if "error" in line] == [
        "mnist-edge classify: error: stdout: cannot write (No space left on device)"]


def test_a_file_name_that_is_not_utf8_is_printed_escaped_and_can_be_mapped_back(tmp_path):
    """b'\\xff7.png' is a legal Linux file name; stdout is strict UTF-8, as on most systems."""
    import base64

    raw_name = os.fsencode(tmp_path) + b"/\xff7.png"
    digit = next(p for p in EXAMPLES if "mnist_28x28" in p)
    with open(digit, "rb") as source, open(raw_name, "wb") as target:
        target.write(source.read())
    environment = dict(os.environ, PYTHONPATH=str(REPO), PYTHONIOENCODING="utf-8:strict", LC_ALL="C.UTF-8")
    command = [sys.executable.encode(), b"-m", b"edge_runtime", b"classify"]
    as_json = subprocess.run([*command, b"--json", raw_name], capture_output=True, cwd=REPO, env=environment)
    human = subprocess.run([*command, raw_name], capture_output=True, cwd=REPO, env=environment)
    assert (as_json.returncode, human.returncode) == (0, 0), as_json.stderr + human.stderr
    record = json.loads(as_json.stdout.decode("utf-8", errors="strict"))
    escaped = os.fsdecode(tmp_path) + "/\\xff7.png"
    assert record["source"] == escaped and "\\ud" not in as_json.stdout.decode()
    assert base64.b64decode(record["source_base64"]) == raw_name
    assert record["number"] == example_number(digit)
    assert human.stdout.decode("utf-8", errors="strict").startswith(f"{escaped}: {example_number(digit)}")
