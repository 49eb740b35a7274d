"""Where images come from: files, folders, globs, video files, OpenCV cameras, picamera2."""

import glob
import os
import time
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from edge_runtime.errors import UserInputError

# 40 megapixels is a large phone photo; a decompression bomb claims far more.
MAX_IMAGE_PIXELS = 40_000_000
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".mjpeg"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm",
                  ".pbm", ".pnm"}
PICAMERA_NAMES = ("picamera", "picamera2", "picam")
# A live camera that returns no frame for this long has stopped, not stuttered.
CAMERA_STALL_SECONDS = 3.0


def is_video(path):
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def has_wildcards(argument):
    return any(character in argument for character in "*?[")


def expand_inputs(arguments):
    """Each argument -> (source, error or None) items: folders and globs become their files."""
    items = []
    for argument in arguments:
        if os.path.isdir(argument):
            files = [str(p) for p in sorted(Path(argument).iterdir())
                     if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES]
            items += [(f, None) for f in files] or [(argument, "folder has no image or video files")]
        elif has_wildcards(argument) and not os.path.exists(argument):
            matches = sorted(glob.glob(argument))
            items += [(m, None) for m in matches] or [(argument, "no files match this pattern")]
        else:
            items.append((argument, None))
    return items


def check_pixel_count(path, size):
    width, height = size
    if width * height > MAX_IMAGE_PIXELS:
        raise UserInputError(f"{path}: image is {width}x{height} pixels, more than the "
                             f"{MAX_IMAGE_PIXELS / 1e6:g} megapixel limit (decompression-bomb guard)")


def read_with_pillow(path):
    """Grayscale uint8 array via Pillow, size checked before any pixel is decoded."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            check_pixel_count(path, image.size)
            image = ImageOps.exif_transpose(image)  # phone photos are often stored sideways
            return to_8bit_gray(image)


def to_8bit_gray(image):
    """uint8 gray from any Pillow mode; 16-bit and float images are scaled, not clipped at 255."""
    if image.mode.startswith("I;16"):
        return (np.asarray(image, dtype=np.uint16) >> 8).astype(np.uint8)
    if image.mode in ("I", "F"):
        pixels = np.asarray(image, dtype=np.float64)
        low, high = float(pixels.min()), float(pixels.max())
        return np.round((pixels - low) * (255.0 / max(high - low, 1e-12))).astype(np.uint8)
    return np.asarray(image.convert("L"))


def read_with_opencv(path):
    """Fallback for formats Pillow does not know; OpenCV checks its own pixel limit."""
    import cv2
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if data.size else None
    if image is None:
        raise UserInputError(f"{path}: not an image file (or a format neither Pillow nor OpenCV reads)")
    check_pixel_count(path, (image.shape[1], image.shape[0]))
    return image


def read_image(path):
    """Grayscale uint8 image from any file Pillow or OpenCV decode; UserInputError otherwise."""
    path = str(path)
    if not os.path.isfile(path):
        raise UserInputError(f"{path}: no such file" if not os.path.exists(path) else f"{path}: not a file")
    if os.path.getsize(path) == 0:
        raise UserInputError(f"{path}: empty file (0 bytes)")
    try:
        return read_with_pillow(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UserInputError(f"{path}: image is too large to decode safely "
                             "(decompression-bomb guard)") from None
    except Image.UnidentifiedImageError:
        return read_with_opencv(path)
    except (OSError, ValueError, SyntaxError) as error:
        raise UserInputError(f"{path}: cannot decode image ({first_line(error)})") from None


def first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def parse_camera_source(source):
    """'0' -> camera index 0; 'picamera' -> the Pi camera; anything else is a path or URL."""
    text = str(source).strip()
    if text.isdigit():
        return int(text)
    return "picamera" if text.lower() in PICAMERA_NAMES else text


def quiet_opencv(cv2):
    """OpenCV and FFmpeg print warnings about sources they cannot open; our message is clearer."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # read when the FFmpeg backend loads
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging is not None:
        logging.setLogLevel(logging.LOG_LEVEL_ERROR)


def open_capture(source):
    """An opened frame source with read() -> (ok, frame) and release(); clear error otherwise."""
    parsed = parse_camera_source(source)
    if parsed == "picamera":
        return open_picamera()
    import cv2
    quiet_opencv(cv2)
    if isinstance(parsed, str) and "://" not in parsed and not os.path.exists(parsed):
        raise UserInputError(f"{parsed}: no such video file or camera")
    capture = cv2.VideoCapture(parsed)
    if not capture.isOpened():
        capture.release()
        what = f"camera {parsed}" if isinstance(parsed, int) else f"{parsed}"
        raise UserInputError(f"{what}: cannot be opened (no such device, busy, or unsupported format)")
    return capture


class PiCamera:
    """picamera2 behind the same read()/release() interface as cv2.VideoCapture."""

    def __init__(self, picamera2_class, size=(640, 480)):
        self.camera = picamera2_class()
        config = self.camera.create_preview_configuration(main={"size": size, "format": "RGB888"})
        self.camera.configure(config)
        self.camera.start()

    def read(self):
        # picamera2's "RGB888" is BGR byte order in memory, which is what OpenCV expects.
        return True, self.camera.capture_array()

    def release(self):
        self.camera.stop()
        self.camera.close()


def open_picamera():
    try:
        from picamera2 import Picamera2
    except ImportError:
        raise UserInputError("picamera: the picamera2 package is not installed; on Raspberry Pi OS "
                             "run: sudo apt install python3-picamera2 (or use --source 0 for a USB camera)") from None
    try:
        return PiCamera(Picamera2)
    except (RuntimeError, IndexError, OSError) as error:
        raise UserInputError(f"picamera: cannot start the camera ({first_line(error)})") from None


def is_live(source):
    parsed = parse_camera_source(source)
    return isinstance(parsed, int) or parsed == "picamera" or "://" in str(parsed)


def read_frames(capture, live, stall_seconds=CAMERA_STALL_SECONDS):
    """Yield frames until the end of a file; a live camera silent for `stall_seconds` is an error."""
    last_frame = time.monotonic()
    while True:
        ok, frame = capture.read()
        if ok and frame is not None:
            last_frame = time.monotonic()
            yield frame
        elif not live:
            return
        elif time.monotonic() - last_frame > stall_seconds:
            raise UserInputError(f"camera stopped delivering frames for {stall_seconds:.0f} s")
        else:
            time.sleep(0.01)
