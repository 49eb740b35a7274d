"""Where images come from: files, folders, globs, video files, OpenCV cameras, picamera2."""

import collections
import glob
import os
import stat
import time
import warnings
from pathlib import Path

import numpy as np

from edge_runtime import MAX_IMAGE_PIXELS, jpeg_size
from edge_runtime.errors import UserInputError, first_line

# No image within the pixel limit needs more bytes than this (4 bytes per pixel, uncompressed);
# OpenCV reads the whole file into memory before it looks at the header.
MAX_FILE_BYTES = 4 * MAX_IMAGE_PIXELS
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".mjpeg"}
# A folder's images: those Pillow or OpenCV read, and phone photos they may not (HEIC, and
# AVIF before Pillow 11.2), which are then that file's own one-line error, not skipped.
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".jfif", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm",
                  ".ppm", ".pbm", ".pnm", ".avif", ".heic", ".heif"}
# ISO base media file brands of HEIF images with HEVC pictures: an iPhone's photos by default.
HEIC_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis")
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


def check_pixel_count(path, size):
    width, height = size
    if width * height > MAX_IMAGE_PIXELS:
        raise UserInputError(f"{path}: image is {width}x{height} pixels, more than the "
                             f"{MAX_IMAGE_PIXELS / 1e6:g} megapixel limit (decompression-bomb guard)")


def read_with_pillow(path):
    """Decoded via Pillow, size checked before any pixel is decoded; None when Pillow does
    not know the format. Pillow is imported here, not at the top: a JPEG never
    needs it, and its import is a tenth of a cold start."""
    from PIL import Image

    try:
        return decode_with_pillow(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UserInputError(f"{path}: image is too large to decode safely "
                             "(decompression-bomb guard)") from None
    except Image.UnidentifiedImageError:
        return None
    except (OSError, ValueError, SyntaxError) as error:
        raise UserInputError(f"{path}: cannot decode image ({first_line(error)})") from None


def decode_with_pillow(path):
    """Decoded via Pillow. Its own bomb warning (over 89 megapixels) is not needed: every size
    is checked here, before decoding; its bomb error (over 179) still refuses the file. A JPEG
    with data after its picture (a Samsung photo's trailer, a Pixel's motion photo) comes here
    and is reduced like a whole one."""
    from PIL import Image, ImageOps

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            factor, shape = 1, image.size[::-1]
            if image.format == "JPEG":
                factor = jpeg_size.reduction(path, pillow_frame(image))
            if factor > 1:
                image.draft("L", (image.width // factor, image.height // factor))
            check_pixel_count(path, image.size)
            turned = ImageOps.exif_transpose(image)  # phone photos are often stored sideways
            if turned.size != image.size:
                shape = shape[::-1]
            return Decoded(to_8bit_gray(turned), factor, shape)


def pillow_frame(image):
    """The jpeg_size.Frame of a JPEG that Pillow opened."""
    return jpeg_size.Frame(image.width, image.height, bool(image.info.get("progressive")))


def has_transparency(image):
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def on_white(image):
    """Composite a transparent image onto white paper: transparent pixels are black underneath,
    so dark strokes on a transparent background would otherwise vanish into black."""
    from PIL import Image

    rgba = image.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)


def to_8bit_gray(image):
    """uint8 gray from any Pillow mode; 16-bit and float images are scaled, not clipped at 255."""
    if has_transparency(image) and not image.mode.startswith("I"):
        image = on_white(image)
    if image.mode.startswith("I;16"):
        return (np.asarray(image, dtype=np.uint16) >> 8).astype(np.uint8)
    if image.mode in ("I", "F"):
        pixels = np.asarray(image, dtype=np.float64)
        low, high = float(pixels.min()), float(pixels.max())
        return np.round((pixels - low) * (255.0 / max(high - low, 1e-12))).astype(np.uint8)
    return np.asarray(image.convert("L"))


# imread's flag per reduction, by name: cv2 is imported only when a file needs it.
OPENCV_FLAGS = {1: "IMREAD_GRAYSCALE", 2: "IMREAD_REDUCED_GRAYSCALE_2", 4: "IMREAD_REDUCED_GRAYSCALE_4",
                8: "IMREAD_REDUCED_GRAYSCALE_8"}
Decoded = collections.namedtuple("Decoded", ["image", "factor", "shape"])
Decoded.__doc__ = """A decoded picture: grayscale uint8 image, the factor its sides were divided by
(1, or 2, 4 or 8 for a JPEG over the pixel limit, jpeg_size.py), and the file's own (height,
width), turned like the image."""


def read_with_opencv(path, factor=1):
    """Whole JPEGs and formats Pillow does not know, decoded at 1/`factor` of their size.
    OpenCV checks the size against OPENCV_IO_MAX_IMAGE_PIXELS (set in edge_runtime/__init__.py)
    before decoding any pixel; what it decodes is checked again.
    imread, not imdecode: for formats it decodes from a file (Radiance .hdr), imdecode copies
    the bytes to a temporary file that it leaves behind when it refuses the header. The name
    goes as bytes: a str that is not valid UTF-8 crashes cv2.imread."""
    import cv2
    size = os.path.getsize(path)
    if size > MAX_FILE_BYTES:
        raise UserInputError(f"{path}: file is {size:,} bytes, more than any image within the "
                             f"{MAX_IMAGE_PIXELS / 1e6:g} megapixel limit needs")
    try:
        image = cv2.imread(os.fsencode(path), getattr(cv2, OPENCV_FLAGS[factor]))  # bytes: any file name
    except cv2.error as error:
        raise UserInputError(opencv_decode_problem(path, error)) from None
    if image is None:
        raise UserInputError(f"{path}: {unreadable_problem(path)}")
    check_pixel_count(path, (image.shape[1], image.shape[0]))
    return image


def unreadable_problem(path):
    """Why neither Pillow nor OpenCV decoded the file; for an iPhone's photo, what to do."""
    if is_heic(path):
        return ("HEIC photo, which neither Pillow nor OpenCV reads: save it as JPEG "
                "(iPhone: Settings > Camera > Formats > Most Compatible)")
    return "not an image file (or a format neither Pillow nor OpenCV reads)"


def is_heic(path):
    """A HEIF file of HEVC pictures: its first box is 'ftyp' and names a HEIC brand, as its
    major brand or as one it is compatible with (a 'mif1' file holding HEVC pictures)."""
    with open(path, "rb") as file:
        head = file.read(64)
    if head[4:8] != b"ftyp":
        return False
    box = head[8:min(len(head), int.from_bytes(head[:4], "big"))]
    brands = [box[i:i + 4] for i in range(0, len(box), 4) if i != 4]  # the major brand, then the compatible ones
    return any(brand in HEIC_BRANDS for brand in brands)


def read_image(path):
    """Grayscale uint8 image from any file Pillow or OpenCV decode; UserInputError otherwise.
    A JPEG over the pixel limit comes at a half, a quarter or an eighth of its size
    (read_image_reduced says which)."""
    return read_image_reduced(path).image


def read_image_reduced(path):
    """The file decoded (Decoded): a JPEG over the pixel limit at a half, a quarter or an
    eighth of its size."""
    path = str(path)
    check_regular_file(path)
    if os.path.getsize(path) == 0:
        raise UserInputError(f"{path}: empty file (0 bytes)")
    frame = jpeg_size.frame_header(path) if is_whole_jpeg(path) else None
    if frame is not None:
        factor = jpeg_size.reduction(path, frame)
        image = read_with_opencv(path, factor)
        return Decoded(image, factor, jpeg_size.oriented_shape(frame, factor, image.shape))
    decoded = read_with_pillow(path)
    if decoded is not None:
        return decoded
    image = read_with_opencv(path)
    return Decoded(image, 1, image.shape[:2])


def is_whole_jpeg(path):
    """A JPEG that ends with its end-of-image marker (camera padding aside). OpenCV decodes
    those to the same gray pixels as Pillow, EXIF orientation applied, without Pillow's import.
    Anything else goes to Pillow first: OpenCV fills a truncated JPEG with gray, silently."""
    with open(path, "rb") as file:
        start = file.read(3)
        file.seek(max(0, os.path.getsize(path) - 4096))
        tail = file.read()
    return start == b"\xff\xd8\xff" and tail.rstrip(b"\0").endswith(b"\xff\xd9")


def opencv_decode_problem(path, error):
    """OpenCV refuses oversize headers with an assertion naming its limits; say it plainly."""
    if "CV_IO_MAX_IMAGE" in str(error):
        return f"{path}: image is too large to decode safely (decompression-bomb guard)"
    return f"{path}: cannot decode image (OpenCV: {first_line(error)})"


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
