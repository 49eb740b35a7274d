"""edge_runtime.sources: decoding real files, bad files, folders/globs, video and cameras."""

import io
import time

import cv2
import numpy as np
import pytest
from PIL import Image

from conftest_edge import EXAMPLES_DIR
from edge_runtime import sources
from edge_runtime.errors import UserInputError


def gradient_image():
    return np.tile(np.arange(0, 256, 4, dtype=np.uint8), (48, 1))


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".bmp", ".tif", ".webp", ".pgm"])
def test_reads_common_formats_as_grayscale(tmp_path, suffix):
    path = tmp_path / f"image{suffix}"
    Image.fromarray(gradient_image()).convert("RGB").save(path)
    image = sources.read_image(path)
    assert image.shape == (48, 64) and image.dtype == np.uint8
    assert np.abs(image.astype(int) - gradient_image()).max() <= 8  # lossy formats stay close


def test_16_bit_images_are_scaled_not_clipped(tmp_path):
    path = tmp_path / "deep.png"
    Image.fromarray(gradient_image().astype(np.uint16) * 257).save(path)  # 16-bit grayscale PNG
    np.testing.assert_array_equal(sources.read_image(path), gradient_image())


def test_exif_orientation_is_applied(tmp_path):
    path = tmp_path / "sideways.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    Image.fromarray(gradient_image()).save(path, exif=exif)
    assert sources.read_image(path).shape == (64, 48)


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (b"hello, I am text\n", "not an image file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "cannot decode image"),
])
def test_bad_files_raise_one_line_user_errors_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(UserInputError) as error:
        sources.read_image(path)
    assert str(error.value).startswith(f"{path}: ") and message in str(error.value)
    assert "\n" not in str(error.value)


def test_truncated_jpeg_is_a_user_error(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(gradient_image()).save(buffer, format="JPEG")
    path = tmp_path / "truncated.jpg"
    path.write_bytes(buffer.getvalue()[:200])
    with pytest.raises(UserInputError, match="truncated.jpg: cannot decode image"):
        sources.read_image(path)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(path, optimize=True)  # 400 megapixels, tens of kilobytes
    assert path.stat().st_size < 200_000
    with pytest.raises(UserInputError, match="decompression-bomb guard"):
        sources.read_image(path)


def test_images_over_the_pixel_limit_are_refused_with_their_size(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "MAX_IMAGE_PIXELS", 100 * 100)
    path = tmp_path / "big.png"
    Image.new("L", (101, 100)).save(path)
    with pytest.raises(UserInputError, match="image is 101x100 pixels, more than the 0.01 megapixel limit"):
        sources.read_image(path)


def test_missing_file_and_directory_are_user_errors(tmp_path):
    with pytest.raises(UserInputError, match="no such file"):
        sources.read_image(tmp_path / "nope.png")
    with pytest.raises(UserInputError, match="not a file"):
        sources.read_image(tmp_path)


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
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, size)
    assert writer.isOpened()
    for index in range(count):
        writer.write(np.full((size[1], size[0], 3), index * 10, np.uint8))
    writer.release()


def test_video_file_frames_end_cleanly(tmp_path):
    path = tmp_path / "clip.avi"
    write_video(path, 12)
    capture = sources.open_capture(str(path))
    frames = list(sources.read_frames(capture, live=False))
    capture.release()
    assert len(frames) == 12 and frames[0].shape == (120, 160, 3)


def test_unopenable_sources_fail_fast_with_a_clear_message(tmp_path):
    start = time.monotonic()
    with pytest.raises(UserInputError, match="camera 97: cannot be opened"):
        sources.open_capture("97")
    with pytest.raises(UserInputError, match="no such video file or camera"):
        sources.open_capture(str(tmp_path / "missing.mp4"))
    not_video = tmp_path / "fake.mp4"
    not_video.write_text("not a video")
    with pytest.raises(UserInputError, match="fake.mp4: cannot be opened"):
        sources.open_capture(str(not_video))
    assert time.monotonic() - start < 30  # guards against a hang, not a speed test


def test_picamera_without_picamera2_says_how_to_install_it():
    try:
        import picamera2  # noqa: F401
        pytest.skip("picamera2 is installed here")
    except ImportError:
        pass
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
        assert problem is None and sources.read_image(path).ndim == 2
