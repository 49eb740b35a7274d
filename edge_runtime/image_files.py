"""Image files -> grayscale uint8 arrays, bad files and decompression bombs refused with a
one-line error naming the file.

Pillow reads most formats, OpenCV whole JPEGs (already loaded for the preprocessing, it
spares Pillow's import) and what Pillow does not know. Sizes are checked before decoding:
Pillow's from the file's header, a JPEG's from its headers (jpeg_size.py, which also says
when one over the pixel limit can be decoded smaller), other formats by OpenCV's own limit
(set by edge_runtime/__init__.py when edge_runtime is imported before cv2); what OpenCV
decodes is checked again.
"""

import collections
import os
import warnings

import numpy as np

from edge_runtime import MAX_IMAGE_PIXELS, jpeg_size
from edge_runtime.errors import UserInputError, first_line
from edge_runtime.sources import check_regular_file


# No image within the pixel limit needs more bytes than this (4 bytes per pixel, uncompressed);
# OpenCV reads the whole file into memory before it looks at the header.
MAX_FILE_BYTES = 4 * MAX_IMAGE_PIXELS


# ISO base media file brands of HEIF images with HEVC pictures: an iPhone's photos by default.
HEIC_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis")


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
    and is reduced like a whole one when its headers say it streams (jpeg_size.py)."""
    from PIL import Image, ImageOps

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            factor, shape = pillow_reduction(path, image), image.size[::-1]
            if factor > 1:
                image.draft("L", (image.width // factor, image.height // factor))
            check_pixel_count(path, image.size)
            turned = ImageOps.exif_transpose(image)  # phone photos are often stored sideways
            if turned.size != image.size:
                shape = shape[::-1]
            return Decoded(to_8bit_gray(turned), factor, shape)


def pillow_reduction(path, image):
    """The factor to decode a picture Pillow opened at: a JPEG (or MPO, a JPEG with more
    pictures after it) over the limit by jpeg_size, when its headers, read there, give the
    size Pillow found; 1 otherwise (then the plain pixel limit applies)."""
    if image.format not in ("JPEG", "MPO") or image.width * image.height <= MAX_IMAGE_PIXELS:
        return 1  # within the limit: decoded whole, its headers need not be read again
    frame = jpeg_size.frame_header(path)
    if frame is None or (frame.width, frame.height) != image.size:
        return 1
    return jpeg_size.reduction(path, frame)


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
    before decoding any pixel; what it decodes is checked again."""
    import cv2
    size = os.path.getsize(path)
    if size > MAX_FILE_BYTES:
        raise UserInputError(f"{path}: file is {size:,} bytes, more than any image within the "
                             f"{MAX_IMAGE_PIXELS / 1e6:g} megapixel limit needs")
    try:
        image = opencv_decode(cv2, path, getattr(cv2, OPENCV_FLAGS[factor]))
    except cv2.error as error:
        raise UserInputError(opencv_decode_problem(path, error)) from None
    if image is None:
        raise UserInputError(f"{path}: {unreadable_problem(path)}")
    check_pixel_count(path, (image.shape[1], image.shape[0]))
    return image


def opencv_decode(cv2, path, flag):
    """cv2.imread by name, not imdecode: for formats it decodes from a file (Radiance .hdr),
    imdecode copies the bytes to a temporary file that it leaves behind when it refuses the
    header. A name that is not valid UTF-8 (a str with surrogates) crashes cv2.imread, and
    OpenCV 4 takes no bytes: that file is read into memory and decoded with imdecode."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return cv2.imdecode(np.fromfile(path, dtype=np.uint8), flag)
    return cv2.imread(path, flag)


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
    if is_jpeg(path):  # whose headers neither jpeg_size nor Pillow could read: never decoded unsized
        raise UserInputError(f"{path}: cannot decode image (a JPEG whose headers are not readable)")
    image = read_with_opencv(path)
    return Decoded(image, 1, image.shape[:2])


def is_jpeg(path):
    """A file that begins as a JPEG does: its start-of-image marker."""
    with open(path, "rb") as file:
        return file.read(2) == b"\xff\xd8"


def is_whole_jpeg(path):
    """A JPEG that ends with its end-of-image marker (camera padding aside). OpenCV decodes
    those to the same gray pixels as Pillow, EXIF orientation applied, without Pillow's import.
    Anything else goes to Pillow first: OpenCV fills a truncated JPEG with gray, silently."""
    if not is_jpeg(path):
        return False
    with open(path, "rb") as file:
        file.seek(max(0, os.path.getsize(path) - 4096))
        tail = file.read()
    return tail.rstrip(b"\0").endswith(b"\xff\xd9")


def opencv_decode_problem(path, error):
    """OpenCV refuses oversize headers with an assertion naming its limits; say it plainly."""
    if "CV_IO_MAX_IMAGE" in str(error):
        return f"{path}: image is too large to decode safely (decompression-bomb guard)"
    return f"{path}: cannot decode image (OpenCV: {first_line(error)})"
