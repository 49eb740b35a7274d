"""Where images come from: files, folders, globs, video files, OpenCV cameras, picamera2.

An image file is decoded by edge_runtime/image_files.py."""

import glob
import os
import stat
import time
from pathlib import Path

from edge_runtime.errors import UserInputError, first_line

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".mjpeg"}
# A folder's images: those Pillow or OpenCV read, and phone photos they may not (HEIC, and
# AVIF before Pillow 11.2), which are then that file's own one-line error, not skipped.
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".jfif", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm",
                  ".ppm", ".pbm", ".pnm", ".avif", ".heic", ".heif"}
PICAMERA_NAMES = ("picamera", "picamera2", "picam")
# A live camera that returns no frame for this long has stopped, not stuttered.
CAMERA_STALL_SECONDS = 3.0
# A network stream that does not connect or send a frame within this long is down, not slow.
STREAM_TIMEOUT_SECONDS = 10.0


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


# What a path is when it is not a regular file: reading a pipe or a device can block for ever.
FILE_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
              (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def check_regular_file(path):
    """UserInputError unless `path` is a regular file (symlinks followed), before anything opens it."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise UserInputError(f"{path}: no such file") from None
    except OSError as error:
        raise UserInputError(f"{path}: cannot read ({error.strerror or error})") from None
    if not stat.S_ISREG(mode):
        kind = next((name for is_kind, name in FILE_KINDS if is_kind(mode)), "an unknown kind of file")
        raise UserInputError(f"{path}: not a regular file ({kind})")


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


def stream_timeouts(cv2, seconds):
    """VideoCapture params bounding open and read of a network stream, where OpenCV has them."""
    names = ("CAP_PROP_OPEN_TIMEOUT_MSEC", "CAP_PROP_READ_TIMEOUT_MSEC")
    if not all(hasattr(cv2, name) for name in names):
        return []  # OpenCV before 4.5.4: FFmpeg's own defaults apply
    return [value for name in names for value in (getattr(cv2, name), int(seconds * 1000))]


def new_capture(cv2, parsed, timeout_seconds):
    """cv2.VideoCapture; network streams get open/read timeouts. Files and local cameras do
    not: a backend that does not know a parameter refuses to open the source at all."""
    params = stream_timeouts(cv2, timeout_seconds) if "://" in str(parsed) else []
    return cv2.VideoCapture(parsed, cv2.CAP_ANY, params) if params else cv2.VideoCapture(parsed)


def open_capture(source, timeout_seconds=STREAM_TIMEOUT_SECONDS):
    """An opened frame source with read() -> (ok, frame) and release(); clear error otherwise."""
    parsed = parse_camera_source(source)
    if parsed == "picamera":
        return open_picamera(timeout_seconds)
    import cv2
    quiet_opencv(cv2)
    if isinstance(parsed, str) and "://" not in parsed:
        if not os.path.exists(parsed):
            raise UserInputError(f"{parsed}: no such video file or camera")
        check_regular_file(parsed)  # a camera is an index (--source 0), never a device path
    capture = new_capture(cv2, parsed, timeout_seconds)
    if not capture.isOpened():
        capture.release()
        what = f"camera {parsed}" if isinstance(parsed, int) else f"{parsed}"
        raise UserInputError(f"{what}: cannot be opened (no such device, busy, or unsupported format)")
    return capture


class PiCamera:
    """picamera2 behind the same read()/release() interface as cv2.VideoCapture."""

    def __init__(self, picamera2_class, size=(640, 480), timeout_seconds=STREAM_TIMEOUT_SECONDS):
        self.camera, self.timeout_seconds = picamera2_class(), timeout_seconds
        config = self.camera.create_preview_configuration(main={"size": size, "format": "RGB888"})
        self.camera.configure(config)
        self.camera.start()

    def read(self):
        """The next frame, waiting at most timeout_seconds: a stalled camera is an error, not a hang."""
        job = self.camera.capture_array("main", wait=False)
        try:
            frame = self.camera.wait(job, timeout=self.timeout_seconds)
        except TimeoutError:
            raise UserInputError(f"picamera: no frame within {self.timeout_seconds:g} s "
                                 "(camera stopped delivering frames)") from None
        # picamera2's "RGB888" is BGR byte order in memory, which is what OpenCV expects.
        return frame is not None, frame

    def release(self):
        self.camera.stop()
        self.camera.close()


PICAMERA2_FROM_APT = ("apt's python3-picamera2 in a venv made with --system-site-packages, "
                      "and on bookworm apt's numpy kept with \"numpy<2\" (docs/raspberry-pi.md)")


def import_picamera2():
    """picamera2's Picamera2 class. It comes from apt, built against apt's numpy, so "not
    installed" (or a venv that cannot see it) and "installed but cannot load" (a dependency
    missing, numpy 2 shadowing bookworm's numpy 1.24: a ValueError) get different advice."""
    try:
        from picamera2 import Picamera2
    except ModuleNotFoundError as error:
        if error.name != "picamera2":
            raise UserInputError(f"picamera: picamera2 is installed but cannot be imported ({first_line(error)}); "
                                 f"use {PICAMERA2_FROM_APT}") from None
        raise UserInputError("picamera: the picamera2 package is not installed, or this venv cannot see it; on "
                             "Raspberry Pi OS run: sudo apt install python3-picamera2, and make the venv with "
                             "--system-site-packages (or use --source 0 for a USB camera)") from None
    except (ImportError, ValueError) as error:
        raise UserInputError(f"picamera: picamera2 is installed but cannot be imported ({first_line(error)}); "
                             f"use {PICAMERA2_FROM_APT}") from None
    return Picamera2


def open_picamera(timeout_seconds=STREAM_TIMEOUT_SECONDS):
    Picamera2 = import_picamera2()
    try:
        return PiCamera(Picamera2, timeout_seconds=timeout_seconds)
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
