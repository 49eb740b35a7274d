"""edge_runtime.sources: folders and globs, files that are no regular file, video and cameras."""

import os
import socket
import sys
import threading

import numpy as np
import pytest

from conftest_edge import EXAMPLES_DIR
from edge_runtime import image_files, sources, video
from edge_runtime.errors import UserInputError


def test_folders_and_globs_expand_sorted_and_empty_ones_are_errors(tmp_path):
    for name in ("b.png", "a.jpg", "notes.txt", "c.mp4"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "empty").mkdir()
    items = sources.expand_inputs([str(tmp_path), str(tmp_path / "*.png"), str(tmp_path / "empty"),
                                   str(tmp_path / "*.gif"), "plain.png"])
    assert items == [(str(tmp_path / "a.jpg"), None), (str(tmp_path / "b.png"), None), (str(tmp_path / "c.mp4"), None),
                     (str(tmp_path / "b.png"), None),
                     (str(tmp_path / "empty"), "folder has no image or video files"),
                     (str(tmp_path / "*.gif"), "no files match this pattern"),
                     ("plain.png", None)]


def write_video(path, count, size=(160, 120)):
    frames = (np.full((size[1], size[0], 3), index * 10, np.uint8) for index in range(count))
    assert video.write_video(path, frames, fps=10) == count


def test_video_file_frames_end_cleanly(tmp_path):
    path = tmp_path / "clip.avi"
    write_video(path, 12)
    capture = sources.open_capture(str(path))
    frames = list(sources.read_frames(capture, live=False))
    capture.release()
    assert len(frames) == 12 and frames[0].shape == (120, 160, 3)


def test_unopenable_sources_fail_fast_with_a_clear_message(tmp_path):
    with pytest.raises(UserInputError, match="camera 97: cannot be opened"):
        sources.open_capture("97")
    with pytest.raises(UserInputError, match="no such video file or camera"):
        sources.open_capture(str(tmp_path / "missing.mp4"))
    not_video = tmp_path / "fake.mp4"
    not_video.write_text("not a video")
    with pytest.raises(UserInputError, match="fake.mp4: cannot be opened"):
        sources.open_capture(str(not_video))


def test_picamera_without_picamera2_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "picamera2", None)  # `import picamera2` now fails, installed or not
    with pytest.raises(UserInputError, match="picamera2 package is not installed"):
        sources.open_capture("picamera")


class SilentCamera:
    """A live camera that opened but never delivers a frame (unplugged USB camera)."""

    def read(self):
        return False, None


def test_a_live_camera_that_stops_delivering_frames_is_an_error_not_a_hang():
    with pytest.raises(UserInputError, match="stopped delivering frames"):
        list(sources.read_frames(SilentCamera(), live=True, stall_seconds=0.2))


def test_examples_folder_ships_only_readable_images():
    for path, problem in sources.expand_inputs([str(EXAMPLES_DIR)]):
        assert problem is None and image_files.read_image(path).ndim == 2


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never answers (a stream that is down)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = []
    threading.Thread(target=lambda: [accepted.append(server.accept()) for _ in range(8)], daemon=True).start()
    yield server.getsockname()[1]
    server.close()
    for connection, _ in accepted:
        connection.close()


def test_a_network_stream_that_never_answers_times_out_with_a_clear_error(silent_server):
    url = f"http://127.0.0.1:{silent_server}/stream.mjpg"
    with pytest.raises(UserInputError, match="stream.mjpg: cannot be opened"):
        sources.open_capture(url, timeout_seconds=1)


class StalledPicamera2:
    """Stand-in for picamera2.Picamera2 (only on a Pi): capture jobs whose wait times out."""

    def create_preview_configuration(self, main):
        return {"main": main}

    def configure(self, config):
        self.config = config

    def start(self):
        self.started = True

    def capture_array(self, name="main", wait=None):
        assert wait is False, "a blocking capture_array cannot be bounded"
        return "job"

    def wait(self, job, timeout=None):
        assert timeout is not None, "an unbounded wait hangs when the camera stalls"
        raise TimeoutError


def test_a_stalled_pi_camera_is_a_user_error_not_a_hang():
    camera = sources.PiCamera(StalledPicamera2, timeout_seconds=0.5)
    with pytest.raises(UserInputError, match=r"picamera: no frame within 0.5 s"):
        camera.read()


@pytest.fixture
def fifo_named_like_media(tmp_path):
    """Named pipes called clip.avi and digit.png, each with a writer that keeps opening and
    closing it: code that opens one sees an empty stream (and fails) instead of blocking for
    ever, so a regression fails this test rather than hanging it."""
    paths = [tmp_path / "clip.avi", tmp_path / "digit.png"]
    stop = threading.Event()

    def keep_opening(path):
        while not stop.is_set():
            with open(path, "wb"):
                pass

    threads = []
    for path in paths:
        os.mkfifo(path)
        threads.append(threading.Thread(target=keep_opening, args=(path,), daemon=True))
        threads[-1].start()
    yield [str(path) for path in paths]
    stop.set()
    readers = [os.open(path, os.O_RDONLY | os.O_NONBLOCK) for path in paths]  # frees a writer in open()
    for thread in threads:
        thread.join()
    for reader in readers:
        os.close(reader)


def test_a_named_pipe_is_refused_as_a_video_or_an_image(fifo_named_like_media):
    video_pipe, image_pipe = fifo_named_like_media
    with pytest.raises(UserInputError) as error:
        sources.open_capture(video_pipe)
    assert str(error.value) == f"{video_pipe}: not a regular file (a named pipe)"
    with pytest.raises(UserInputError) as error:
        image_files.read_image(image_pipe)
    assert str(error.value) == f"{image_pipe}: not a regular file (a named pipe)"


def test_a_socket_and_a_device_are_refused_but_camera_indices_are_not_paths(tmp_path):
    path = tmp_path / "clip.mp4"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(UserInputError, match=r"clip\.mp4: not a regular file \(a socket\)$"):
            sources.open_capture(str(path))
    with pytest.raises(UserInputError, match=r"^/dev/zero: not a regular file \(a character device\)$"):
        sources.open_capture("/dev/zero")
    with pytest.raises(UserInputError, match="camera 97: cannot be opened"):
        sources.open_capture("97")


@pytest.mark.parametrize("body, cause", [
    # pip's picamera2 in a venv that cannot see apt's libcamera bindings
    ("import libcamera\n", "libcamera"),
    # numpy 2 in the venv shadowing bookworm's numpy 1.24, which apt's simplejpeg is built against
    ("raise ValueError('numpy.dtype size changed, may indicate binary incompatibility. "
     "Expected 96 from C header, got 88 from PyObject')\n", "numpy.dtype size changed"),
])
def test_a_picamera2_that_cannot_load_is_told_apart_from_a_missing_one(tmp_path, monkeypatch, body, cause):
    """A real (if tiny) picamera2 package on sys.path whose import fails as the real one does."""
    (tmp_path / "picamera2").mkdir()
    (tmp_path / "picamera2" / "__init__.py").write_text(body)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)
    monkeypatch.setitem(sys.modules, "libcamera", None)  # absent here even where it is installed
    with pytest.raises(UserInputError) as caught:
        sources.open_capture("picamera")
    message = str(caught.value)
    assert message.startswith("picamera: picamera2 is installed but cannot be imported (") and cause in message
    assert "--system-site-packages" in message and '"numpy<2"' in message and "not installed" not in message
