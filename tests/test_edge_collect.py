"""mnist-edge collect: labelled crops from generated videos and MNIST files, duplicates skipped."""

import collections
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest

from conftest_edge import INT8_MODEL, load_model, mnist_test_arrays
from prerequisites import REPO
from edge_runtime import DigitReader, cli, collect, duplicates, files, synthetic
from edge_runtime import video as video_module
from edge_runtime.classify import Digit

FRAMES_PER_PHOTO = 10
NOISE_SIGMA = 4.0  # grey levels of sensor noise, drawn anew for every frame
NOT_A_FOLDER = "not a folder (a file of that name exists)"
CANNOT_OPEN = "cannot be opened (no such device, busy, or unsupported format)"


def photos():
    """Two generated photos of a row of digits (the camera tests' pair): 5337 and 9641."""
    images, labels = mnist_test_arrays()
    return synthetic.make_photo_set(images[:40], labels[:40], 2, seed=3,
                                    options=synthetic.PhotoOptions(digits=(3, 4), row_band=0.3))


def noisy(image, rng):
    return np.clip(image + rng.normal(0.0, NOISE_SIGMA, image.shape), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def still_video(tmp_path_factory):
    """A still camera: each photo for 10 frames, new sensor noise in every frame; returns
    (path, the photos' labels, the first frame of each photo as the video decodes it)."""
    shots, rng = photos(), np.random.default_rng(0)
    path = tmp_path_factory.mktemp("video") / "desk.avi"
    video_module.write_video(path, [noisy(p.image, rng) for p in shots for _ in range(FRAMES_PER_PHOTO)], fps=15)
    capture = cv2.VideoCapture(str(path))
    decoded = [capture.read()[1] for _ in range(2 * FRAMES_PER_PHOTO)]
    capture.release()
    return path, [p.labels for p in shots], [decoded[0], decoded[FRAMES_PER_PHOTO]]


def run_collect(*arguments):
    return cli.collect_main(["--model", str(INT8_MODEL), *map(str, arguments)])


def crops_by_folder(out):
    """{folder name: sorted PNG names} for every folder under `out`."""
    return {folder.name: sorted(p.name for p in folder.iterdir())
            for folder in sorted(out.iterdir()) if folder.is_dir()}


def test_a_still_noisy_video_gives_one_crop_per_digit_in_its_label_folder(still_video, tmp_path, capsys):
    path, labels, first_frames = still_video
    out = tmp_path / "mine"
    assert run_collect("--source", path, "--out", out) == 0
    found = crops_by_folder(out)
    truth = collections.Counter(str(label) for photo in labels for label in photo)
    assert {name: len(names) for name, names in found.items() if name != "originals"} == dict(truth)
    expected_names = [f"desk-{frame:06d}-{n}.png" for frame, photo in zip((0, FRAMES_PER_PHOTO), labels)
                      for n in range(len(photo))]
    assert sorted(name for folder, names in found.items() if folder != "originals" for name in names) == expected_names
    assert found["originals"] == expected_names
    out_line, err = capsys.readouterr()
    detections = 2 * FRAMES_PER_PHOTO * 4
    assert out_line == f"{path}: 20 frames, 8 crops saved (0 unsure), {detections - 8} near-duplicates skipped\n"
    assert err.splitlines()[-1] == (f"mnist-edge collect: 8 crops saved in {out} (0 unsure) from 20 frames, "
                                    f"{detections - 8} near-duplicates skipped; stopped: end of input")
    assert not [p for p in out.rglob(".*") if p.name != files.LOCK_NAME]  # no temporaries left


def test_crops_are_what_the_reader_saw_and_originals_are_the_digit_cut_from_the_frame(still_video, tmp_path):
    path, labels, first_frames = still_video
    out = tmp_path / "mine"
    assert run_collect("--source", path, "--out", out) == 0
    reader = DigitReader(INT8_MODEL)
    for frame_index, frame in zip((0, FRAMES_PER_PHOTO), first_frames):
        for n, digit in enumerate(reader.read(frame).digits):
            name = f"desk-{frame_index:06d}-{n}.png"
            crop = cv2.imread(str(out / digit.label / name), cv2.IMREAD_UNCHANGED)
            np.testing.assert_array_equal(crop, digit.image)
            original = cv2.imread(str(out / "originals" / name), cv2.IMREAD_UNCHANGED)
            x, y, w, h = digit.box
            margin = max(2, round(collect.MARGIN_FRACTION * max(w, h)))
            assert original.shape == (min(y + h + margin, 480) - max(0, y - margin),
                                      min(x + w + margin, 640) - max(0, x - margin), 3)
            np.testing.assert_array_equal(original, frame[max(0, y - margin):y + h + margin,
                                                          max(0, x - margin):x + w + margin])
            assert reader.read(original).number == digit.label  # the original shows that digit


def test_a_video_of_identical_frames_gives_one_set_of_crops(tmp_path, capsys):
    shot = photos()[0]
    path = tmp_path / "still.avi"
    video_module.write_video(path, [shot.image] * 12, fps=15)
    assert run_collect("--source", path, "--out", tmp_path / "out") == 0
    found = crops_by_folder(tmp_path / "out")
    assert found["originals"] == [f"still-000000-{n}.png" for n in range(4)]
    assert sum(len(v) for k, v in found.items() if k != "originals") == 4
    assert capsys.readouterr().out == f"{path}: 12 frames, 4 crops saved (0 unsure), 44 near-duplicates skipped\n"


def test_a_new_digit_in_the_same_place_is_not_a_duplicate():
    recent = duplicates.RecentCrops()
    images = mnist_test_arrays()[0]
    three, other_three = images[18], images[30]  # two writers' 3s
    box = (100, 100, 40, 60)
    assert not recent.is_duplicate(Digit("3", 0.99, box, three), 0)
    assert recent.is_duplicate(Digit("3", 0.99, (101, 100, 40, 61), three), 1)
    assert not recent.is_duplicate(Digit("3", 0.99, box, other_three), 2)
    assert not recent.is_duplicate(Digit("8", 0.99, box, three), 3)            # another label
    assert not recent.is_duplicate(Digit("3", 0.99, (300, 100, 40, 60), three), 4)  # another place
    assert not recent.is_duplicate(Digit("3", 0.99, box, three), 4 + duplicates.DUPLICATE_MEMORY_FRAMES + 1)


def test_low_scores_go_to_unsure_and_mnist_files_to_their_predicted_labels(tmp_path, capsys):
    images, truth = mnist_test_arrays()
    images, truth = images[240:300], truth[240:300]  # 247 and 290 score 0.82 and 0.79
    folder = tmp_path / "digits"
    folder.mkdir()
    for index, image in enumerate(images):
        cv2.imwrite(str(folder / f"mnist_{index:03d}.png"), image)
    predicted, scores = load_model(INT8_MODEL).predict(images)
    top = scores.max(axis=1)
    expected = collections.Counter("unsure" if s < 0.9 else str(p) for p, s in zip(predicted, top) if s >= 0.5)
    assert expected["unsure"] >= 2
    assert run_collect("--source", folder, "--out", tmp_path / "out") == 0
    found = crops_by_folder(tmp_path / "out")
    assert {name: len(names) for name, names in found.items() if name != "originals"} == dict(expected)
    assert len(found["originals"]) == sum(expected.values()) == 60
    right = sum(f"mnist_{i:03d}-000000-0.png" in found.get(str(label), []) for i, label in enumerate(truth))
    assert right >= 57  # the sure ones are in their true digit's folder
    original = cv2.imread(str(tmp_path / "out" / "originals" / "mnist_000-000000-0.png"), cv2.IMREAD_UNCHANGED)
    assert original.shape == (28, 28)
    assert capsys.readouterr().out.splitlines()[0] == (f"{folder / 'mnist_000.png'}: 1 frame, 1 crop saved "
                                                       "(0 unsure), 0 near-duplicates skipped")


def test_unsure_below_one_sends_every_crop_to_unsure(still_video, tmp_path):
    assert run_collect("--source", still_video[0], "--out", tmp_path, "--unsure-below", "1") == 0
    found = crops_by_folder(tmp_path)
    assert set(found) == {"unsure", "originals"} and len(found["unsure"]) == 8 == len(found["originals"])


def test_every_and_max_frames(still_video, tmp_path, capsys):
    path = still_video[0]
    assert run_collect("--source", path, "--out", tmp_path / "every", "--every", "5") == 0
    assert crops_by_folder(tmp_path / "every")["originals"] == (
        [f"desk-000000-{n}.png" for n in range(4)] + [f"desk-000010-{n}.png" for n in range(4)])
    assert capsys.readouterr().out.startswith(f"{path}: 4 frames, 8 crops saved")
    assert run_collect("--source", path, path, "--out", tmp_path / "limit", "--max-frames", "3") == 0
    out, err = capsys.readouterr()
    assert out == f"{path}: 3 frames, 4 crops saved (0 unsure), 8 near-duplicates skipped\n"
    assert err.strip().endswith("stopped: frame limit")
    assert len(crops_by_folder(tmp_path / "limit")["originals"]) == 4


def test_a_second_run_never_undoes_a_moved_label(still_video, tmp_path, capsys):
    path, out = still_video[0], tmp_path / "mine"
    assert run_collect("--source", path, "--out", out) == 0
    (out / "6").mkdir(exist_ok=True)
    (out / "5" / "desk-000000-0.png").rename(out / "6" / "desk-000000-0.png")  # the user's fix
    capsys.readouterr()
    assert run_collect("--source", path, "--out", out) == 0
    assert capsys.readouterr().out.endswith(
        "0 crops saved (0 unsure), 72 near-duplicates skipped, 8 already in the folder\n")
    assert crops_by_folder(out)["6"] == ["desk-000000-0.png", "desk-000010-1.png"]
    assert "5" not in crops_by_folder(out) or crops_by_folder(out)["5"] == []


def test_two_sources_with_one_name_get_two_stems(tmp_path):
    items = [("a/photo.png", None), ("b/photo.jpg", None), ("c/photo.png", None), ("clip.avi", None)]
    assert collect.unique_stems(items) == ["photo", "photo_2", "photo_3", "clip"]
    assert collect.source_stem("scans/my page (2).jpg") == "my_page_2_"
    assert collect.source_stem(".hidden.png") == "hidden"
    assert re.fullmatch(r"camera0_\d{8}_\d{6}", collect.source_stem("0"))
    assert re.fullmatch(r"picamera_\d{8}_\d{6}", collect.source_stem("picamera"))
    assert collect.crop_name("clip", 12, 3) == "clip-000012-3.png"


def test_originals_are_clipped_to_the_frame():
    frame = np.arange(100 * 80, dtype=np.uint32).reshape(100, 80)
    assert collect.cut_original(frame, (0, 0, 20, 40)).shape == (46, 26)     # margin 6, clipped at 0
    assert collect.cut_original(frame, (70, 90, 10, 10)).shape == (12, 12)   # margin 2, clipped at the far edges
    np.testing.assert_array_equal(collect.cut_original(frame, (10, 10, 20, 20)), frame[7:33, 7:33])


def test_a_model_whose_labels_are_collect_folders_is_refused():
    with pytest.raises(collect.ModelError, match="label 'unsure' would share a folder"):
        collect.check_labels(("digit", "unsure"))


def test_bad_inputs_are_one_line_errors_and_the_good_sources_still_run(still_video, tmp_path, capsys):
    (tmp_path / "a_file").write_text("")
    assert run_collect("--source", still_video[0], "--out", tmp_path / "a_file") == 1
    assert capsys.readouterr().err == f"mnist-edge collect: error: {tmp_path / 'a_file'}: {NOT_A_FOLDER}\n"
    (tmp_path / "fake.avi").write_text("not a video")
    out = tmp_path / "out"
    assert run_collect("--source", tmp_path / "missing.png", tmp_path / "fake.avi", "97", still_video[0],
                       "--out", out) == 1
    stdout, stderr = capsys.readouterr()
    assert stderr.splitlines()[:3] == [
        f"mnist-edge collect: error: {tmp_path / 'missing.png'}: no such file",
        f"mnist-edge collect: error: {tmp_path / 'fake.avi'}: {CANNOT_OPEN}",
        f"mnist-edge collect: error: camera 97: {CANNOT_OPEN}"]
    assert len(stderr.splitlines()) == 4 and "Traceback" not in stderr
    assert stdout.startswith(f"{still_video[0]}: 20 frames, 8 crops saved")
    assert len(crops_by_folder(out)["originals"]) == 8


@pytest.mark.parametrize("arguments, message", [
    (["--unsure-below", "1.5"], "argument --unsure-below: must be between 0 and 1, got 1.5"),
    (["--every", "0"], "argument --every: must be at least 1, got 0"),
    (["--max-frames", "-2"], "argument --max-frames: must be at least 1, got -2"),
])
def test_bad_options_are_usage_errors(tmp_path, capsys, arguments, message):
    with pytest.raises(SystemExit) as exit_status:
        cli.collect_main(["--source", "x.avi", "--out", str(tmp_path), *arguments])
    assert exit_status.value.code == 2 and message in capsys.readouterr().err


def test_a_folder_another_run_is_writing_to_is_refused(still_video, tmp_path, capsys):
    with files.locked_folder(tmp_path):  # as a first collect holds it
        assert run_collect("--source", still_video[0], "--out", tmp_path) == 1
    assert capsys.readouterr().err == (f"mnist-edge collect: error: {tmp_path}: another mnist-edge run is writing "
                                       "to this folder; wait for it to finish or use another --out\n")


def test_half_written_crops_of_a_killed_run_are_removed(still_video, tmp_path):
    (tmp_path / "3").mkdir()
    (tmp_path / "3" / ".desk-000000-1.k3j_x9a2.tmp.png").write_bytes(b"half a png")
    (tmp_path / "3" / "mine.png").write_bytes(b"the user's own file")
    assert run_collect("--source", still_video[0], "--out", tmp_path, "--max-frames", "1") == 0
    assert crops_by_folder(tmp_path)["3"] == ["desk-000000-1.png", "desk-000000-2.png", "mine.png"]
    assert not list(tmp_path.rglob("*.tmp.png"))


def test_the_command_runs_as_mnist_edge_collect(tmp_path):
    (tmp_path / "a_file").write_text("")
    result = subprocess.run([sys.executable, "-m", "edge_runtime", "collect", "--source", "0", "--out",
                             str(tmp_path / "a_file")], capture_output=True, text=True, cwd=REPO)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"mnist-edge collect: error: {tmp_path / 'a_file'}: {NOT_A_FOLDER}\n"
