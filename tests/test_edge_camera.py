"""edge_runtime.camera: the loop end to end on a generated video through cv2.VideoCapture."""

import io
import json
import re

import cv2
import numpy as np
import pytest

from conftest_edge import INT8_MODEL, load_model, mnist_test_arrays, read_one_line_then_close
from edge_runtime import camera, cli, draw, snapshots, sources, synthetic
from edge_runtime import video as video_module

FRAMES_PER_PHOTO = 12


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    """An MJPG .avi: 12 frames showing one number, then 12 showing another; returns (path, numbers)."""
    images, labels = mnist_test_arrays()
    photos = synthetic.make_photo_set(images[:40], labels[:40], 2, seed=3,
                                      options=synthetic.PhotoOptions(digits=(3, 4), row_band=0.3))
    path = tmp_path_factory.mktemp("video") / "digits.avi"
    video_module.write_video(path, [photo.image for photo in photos for _ in range(FRAMES_PER_PHOTO)], fps=15)
    return path, ["".join(map(str, p.labels)) for p in photos]


def run(video_path, **options):
    output = io.StringIO()
    capture = sources.open_capture(str(video_path))
    summary = camera.run_camera(load_model(INT8_MODEL), capture, video_path,
                                camera.CameraOptions(**options), output=output)
    lines = output.getvalue().splitlines()
    return summary, [json.loads(line) for line in lines] if options.get("json") else lines


def test_headless_json_loop_reads_every_frame_and_stops_at_end_of_stream(video):
    path, numbers = video
    summary, records = run(path, headless=True, json=True)
    assert summary.frames == 2 * FRAMES_PER_PHOTO and summary.stopped_by == "end of stream"
    assert [r["frame"] for r in records] == list(range(2 * FRAMES_PER_PHOTO))
    assert [r["number"] for r in records] == [numbers[0]] * FRAMES_PER_PHOTO + [numbers[1]] * FRAMES_PER_PHOTO
    times = [r["time"] for r in records]
    assert times == sorted(times) and all(r["source"] == str(path) for r in records)
    assert all(len(d["box"]) == 4 and 0 < d["score"] <= 1 for r in records for d in r["digits"])


def test_save_dir_gets_a_snapshot_and_crops_each_time_the_reading_changes(video, tmp_path):
    path, numbers = video
    run(path, headless=True, save_dir=str(tmp_path))
    names = sorted(p.name for p in tmp_path.iterdir())
    # Every file is a finished snapshot or crop: no temporaries (".frame_000000.k2j4x.tmp.png", see
    # edge_runtime/files.py) or other stray files left beside them.
    assert [n for n in names if not re.fullmatch(r"frame_\d{6}(_digit\d+_\d)?\.png", n)] == []
    snapshots = [n for n in names if "_digit" not in n]
    assert snapshots == ["frame_000000.png", f"frame_{FRAMES_PER_PHOTO:06d}.png"]
    crops = [n for n in names if "_digit" in n]
    assert len(crops) == len(numbers[0]) + len(numbers[1])
    assert cv2.imread(str(tmp_path / crops[0]), cv2.IMREAD_UNCHANGED).shape == (28, 28)
    assert cv2.imread(str(tmp_path / snapshots[0])).shape == (480, 640, 3)


def test_frame_limit_stops_early(video):
    summary, records = run(video[0], headless=True, json=True, max_frames=5)
    assert (summary.frames, summary.stopped_by, len(records)) == (5, "frame limit", 5)


def test_camera_command_on_a_video_file(video, capsys):
    path, numbers = video
    assert cli.camera_main(["--source", str(path), "--headless", "--json"]) == 0
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 2 * FRAMES_PER_PHOTO and records[-1]["number"] == numbers[1]
    assert "24 frames" in err and "stopped: end of stream" in err


def test_camera_command_with_an_unopenable_source_fails_with_one_line(tmp_path, capsys):
    assert cli.camera_main(["--source", "97", "--headless"]) == 1
    assert cli.camera_main(["--source", str(tmp_path / "nothing.avi"), "--headless"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == ["mnist-edge camera: error: camera 97: cannot be opened (no such device, busy, or unsupported format)",
                     f"mnist-edge camera: error: {tmp_path / 'nothing.avi'}: no such video file or camera"]


class RecordingCapture:
    """A real cv2.VideoCapture that records whether it was released, optionally interrupted."""

    def __init__(self, capture, interrupt_after=None):
        self.capture, self.count, self.interrupt_after, self.released = capture, 0, interrupt_after, False

    def read(self):
        self.count += 1
        if self.interrupt_after is not None and self.count > self.interrupt_after:
            raise KeyboardInterrupt  # as Ctrl-C does mid-read
        return self.capture.read()

    def release(self):
        self.released = True
        self.capture.release()


def test_ctrl_c_stops_cleanly_and_releases_the_capture(video):
    capture = RecordingCapture(sources.open_capture(str(video[0])), interrupt_after=3)
    summary = camera.run_camera(load_model(INT8_MODEL), capture, "video", camera.CameraOptions(headless=True),
                                output=io.StringIO())
    assert (summary.frames, summary.stopped_by, capture.released) == (3, "interrupted", True)


def test_a_save_dir_that_cannot_be_made_still_releases_the_capture(video, tmp_path):
    (tmp_path / "a_file").write_text("")
    capture = RecordingCapture(sources.open_capture(str(video[0])))
    with pytest.raises(OSError):
        camera.run_camera(load_model(INT8_MODEL), capture, "video",
                          camera.CameraOptions(headless=True, save_dir=str(tmp_path / "a_file" / "snaps")))
    assert capture.released


def test_camera_command_reports_an_unusable_save_dir_in_one_line(video, tmp_path, capsys):
    (tmp_path / "a_file").write_text("")
    save_dir = tmp_path / "a_file" / "snaps"
    assert cli.camera_main(["--source", str(video[0]), "--headless", "--save-dir", str(save_dir)]) == 1
    assert capsys.readouterr().err == f"mnist-edge camera: error: {save_dir}: Not a directory\n"


def test_headless_saving_draws_only_the_frames_it_saves(video, tmp_path, monkeypatch):
    drawn = []
    real_draw_digits = draw.draw_digits
    monkeypatch.setattr(draw, "draw_digits", lambda frame, digits: drawn.append(1) or real_draw_digits(frame, digits))
    run(video[0], headless=True, save_dir=str(tmp_path))
    assert len(drawn) == 2 == len([p for p in tmp_path.iterdir() if "_digit" not in p.name])


def test_fps_meter_reports_a_positive_rate():
    meter = camera.FpsMeter()
    assert meter.tick() == 0.0
    assert meter.tick() > 0.0


def test_headless_without_json_prints_one_human_line_per_frame(video, capsys):
    path, numbers = video
    assert cli.camera_main(["--source", str(path), "--headless"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 * FRAMES_PER_PHOTO
    assert lines[0].startswith(f"{path}#0: {numbers[0]}  [")
    assert lines[-1].startswith(f"{path}#{2 * FRAMES_PER_PHOTO - 1}: {numbers[1]}  [")


def test_a_reader_that_closes_the_pipe_gets_no_error_message(tmp_path):
    """`mnist-edge camera --json | head -1`: 3,000 frames are far more than a pipe buffers."""
    import sys

    path = tmp_path / "blank.avi"
    video_module.write_video(path, [np.zeros((32, 32, 3), np.uint8)] * 3000, fps=30)
    command = [sys.executable, "-m", "edge_runtime", "camera", "--source", str(path), "--headless", "--json"]
    first, stderr, status = read_one_line_then_close(command)
    assert status == 1
    assert json.loads(first)["frame"] == 0
    assert "error" not in stderr and "Traceback" not in stderr and "Exception ignored" not in stderr


def test_a_crop_label_cannot_put_a_file_outside_the_save_dir(tmp_path):
    save_dir = tmp_path / "snaps"
    save_dir.mkdir()
    crop = np.zeros((28, 28), np.uint8)
    digit = camera.classify.Digit("../../escaped", 0.9, (0, 0, 28, 28), crop)
    with pytest.raises(ValueError, match="label '../../escaped' cannot be part of a file name"):
        snapshots.save_snapshot(str(save_dir), 0, np.zeros((48, 64, 3), np.uint8), [digit])
    assert not list(tmp_path.rglob("escaped*"))


def snapshot_bytes(folder):
    return sum(p.stat().st_size for p in folder.iterdir() if p.name.startswith("frame_"))


def test_save_dir_stays_under_its_size_limit_oldest_snapshots_removed_first(video, tmp_path):
    path, _ = video
    unlimited, limited = tmp_path / "unlimited", tmp_path / "limited"
    run(path, headless=True, save_dir=str(unlimited))
    first = [p for p in unlimited.iterdir() if p.name.startswith("frame_000000")]
    second = [p for p in unlimited.iterdir() if p.name.startswith(f"frame_{FRAMES_PER_PHOTO:06d}")]
    # Room for the second snapshot and half the first: the frames/s drawn on each snapshot
    # changes its PNG's size by a few bytes from run to run.
    limit = sum(p.stat().st_size for p in second) + sum(p.stat().st_size for p in first) // 2
    limited.mkdir()
    (limited / "notes.txt").write_text("not ours: never counted or removed\n")
    run(path, headless=True, save_dir=str(limited), save_limit_bytes=limit)
    kept = sorted(p.name for p in limited.iterdir())
    assert kept == sorted(["notes.txt", *(p.name for p in second)])
    assert snapshot_bytes(limited) <= limit and first and second


def test_half_written_snapshots_of_a_killed_run_are_removed(video, tmp_path):
    (tmp_path / ".frame_000003.k3j_x9a2.tmp.png").write_bytes(b"half a png")
    (tmp_path / ".keep.tmp.png").write_bytes(b"not ours")
    run(video[0], headless=True, save_dir=str(tmp_path), max_frames=1)
    assert sorted(p.name for p in tmp_path.glob(".*")) == [".keep.tmp.png"]


def test_save_limit_mb_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        cli.camera_main(["--source", "0", "--save-limit-mb", "0"])
    assert "--save-limit-mb: must be a positive number" in capsys.readouterr().err


def test_a_camera_that_stops_delivering_frames_exits_1_as_the_docs_say(video, capsys):
    """A finished video read as if it were live is a camera that stopped: status 1, one line."""
    from conftest_edge import REPO

    capture = sources.open_capture(str(video[0]))
    with pytest.raises(camera.UserInputError, match="camera stopped delivering frames"):
        camera.run_camera(load_model(INT8_MODEL), capture, "video", camera.CameraOptions(headless=True),
                          live=True, output=io.StringIO())
    said = {"README.md": "or stops delivering frames, ends with a one-line message and status 1",
            "docs/raspberry-pi.md": "stops delivering frames ends the loop with status 1",
            "deploy/mnist-edge-camera.service": "stops delivering frames ends the loop with status 1"}
    for doc, sentence in said.items():
        text = " ".join((REPO / doc).read_text().split())
        assert sentence in text, doc
        assert "ends the loop with status 0" not in text, doc
