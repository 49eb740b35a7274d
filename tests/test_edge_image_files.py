"""edge_runtime.image_files and jpeg_size: decoding real image files, bad files and bombs."""

import base64
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest_edge import EXAMPLES_DIR, REPO
from edge_runtime import image_files, jpeg_size
from edge_runtime.errors import UserInputError


BOMB_MESSAGE = "image is too large to decode safely (decompression-bomb guard)"


def radiance_header(width, height):
    """A Radiance .hdr (a format Pillow does not read, so OpenCV decodes it) claiming a size."""
    return b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n" + f"-Y {height} +X {width}\n".encode() + b"\x02\x02\x9c\x40"


def pam_header(width, height):
    return f"P7\nWIDTH {width}\nHEIGHT {height}\nDEPTH 1\nMAXVAL 255\nTUPLTYPE GRAYSCALE\nENDHDR\n".encode() + b"\0\0"


def gradient_image():
    return np.tile(np.arange(0, 256, 4, dtype=np.uint8), (48, 1))


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".bmp", ".tif", ".webp", ".pgm"])
def test_reads_common_formats_as_grayscale(tmp_path, suffix):
    path = tmp_path / f"image{suffix}"
    Image.fromarray(gradient_image()).convert("RGB").save(path)
    image = image_files.read_image(path)
    assert image.shape == (48, 64) and image.dtype == np.uint8
    assert np.abs(image.astype(int) - gradient_image()).max() <= 8  # lossy formats stay close


def test_whole_jpegs_skip_pillow_with_the_same_pixels_up_to_rounding():
    """OpenCV decodes the luma plane alone, Pillow converts from RGB: one grey level apart at most."""
    photo = str(sorted(EXAMPLES_DIR.glob("photo_*.jpg"))[0])
    assert image_files.is_whole_jpeg(photo)
    difference = image_files.read_image(photo).astype(int) - image_files.decode_with_pillow(photo).image
    assert np.abs(difference).max() <= 1 and np.mean(difference != 0) < 1e-3


def test_whole_jpegs_under_any_file_name_read_as_under_a_plain_one(tmp_path):
    """Linux names are bytes: one that is not UTF-8 reaches Python as a str with surrogates,
    which cv2.imread given as a str takes down the whole process. Run as a user runs it."""
    photo = sorted(EXAMPLES_DIR.glob("photo_*.jpg"))[0]
    renamed = os.path.join(os.fsencode(tmp_path), b"digits-\xff-z\xc3\xa4hl.jpg")
    with open(renamed, "wb") as file:
        file.write(photo.read_bytes())
    result = subprocess.run([sys.executable, "-m", "edge_runtime", "classify", "--json", str(photo),
                             os.fsdecode(renamed)], capture_output=True, cwd=REPO,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    plain, odd = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0 and base64.b64decode(odd["source_base64"]) == renamed
    assert len(plain["number"]) >= 3 and odd["number"] == plain["number"] and odd["digits"] == plain["digits"]


@pytest.mark.parametrize("ending, whole", [(b"", True), (b"\0" * 1000, True), (b"trailer", False), (None, False)],
                         ids=["plain", "zero-padded", "trailing-data", "truncated"])
def test_only_jpegs_that_end_with_their_end_marker_skip_pillow(tmp_path, ending, whole):
    buffer = io.BytesIO()
    Image.fromarray(gradient_image()).save(buffer, format="JPEG")
    path = tmp_path / "image.jpg"
    path.write_bytes(buffer.getvalue()[:-40] if ending is None else buffer.getvalue() + ending)
    assert image_files.is_whole_jpeg(str(path)) == whole


def test_16_bit_images_are_scaled_not_clipped(tmp_path):
    path = tmp_path / "deep.png"
    Image.fromarray(gradient_image().astype(np.uint16) * 257).save(path)  # 16-bit grayscale PNG
    np.testing.assert_array_equal(image_files.read_image(path), gradient_image())


def test_exif_orientation_is_applied(tmp_path):
    path = tmp_path / "sideways.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    Image.fromarray(gradient_image()).save(path, exif=exif)
    assert image_files.read_image(path).shape == (64, 48)


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (b"hello, I am text\n", "not an image file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "cannot decode image"),
])
def test_bad_files_raise_one_line_user_errors_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(UserInputError) as error:
        image_files.read_image(path)
    assert str(error.value).startswith(f"{path}: ") and message in str(error.value)
    assert "\n" not in str(error.value)


def test_truncated_jpeg_is_a_user_error(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(gradient_image()).save(buffer, format="JPEG")
    path = tmp_path / "truncated.jpg"
    path.write_bytes(buffer.getvalue()[:200])
    with pytest.raises(UserInputError, match="truncated.jpg: cannot decode image"):
        image_files.read_image(path)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(path, optimize=True)  # 400 megapixels, tens of kilobytes
    assert path.stat().st_size < 200_000
    with pytest.raises(UserInputError, match="decompression-bomb guard"):
        image_files.read_image(path)


def jpeg_claiming(width, height, progressive=False):
    """A small whole JPEG whose frame header claims another size."""
    buffer = io.BytesIO()
    Image.new("L", (16, 16), 200).save(buffer, format="JPEG", progressive=progressive)
    encoded = bytearray(buffer.getvalue())
    start = encoded.index(b"\xff\xc2" if progressive else b"\xff\xc0") + 5  # marker, length, precision
    encoded[start:start + 4] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(encoded)


def seg(marker, body):
    """A JPEG segment: its marker, its length, its body."""
    return bytes([0xFF, marker]) + (len(body) + 2).to_bytes(2, "big") + body


def jpeg_headers(width, height, frame=0xC0, components=3, scanned=3, before=b""):
    """A JPEG's headers as libjpeg reads them, then a little data: a frame of `components`
    whose first scan holds `scanned` of them; `before` goes in front of the first segment."""
    tables = seg(0xDB, b"\x00" + b"\x01" * 64) + seg(0xC4, b"\x00" + bytes([1] + [0] * 15) + b"\x00")
    sof = seg(frame, b"\x08" + height.to_bytes(2, "big") + width.to_bytes(2, "big") + bytes([components])
              + b"".join(bytes([c + 1, 0x11, 0]) for c in range(components)))
    sos = seg(0xDA, bytes([scanned]) + b"".join(bytes([c + 1, 0]) for c in range(scanned)) + bytes([0, 63, 0]))
    return b"\xff\xd8" + before + tables + sof + sos + bytes(4096) + b"\xff\xd9"


@pytest.fixture
def never_decoded(monkeypatch):
    """Fails the test if OpenCV or Pillow decodes a single pixel: a refusal must come from the headers."""
    import cv2
    from PIL import ImageFile

    def decoded(*args, **kwargs):
        raise AssertionError("decoded")
    monkeypatch.setattr(cv2, "imread", decoded)
    monkeypatch.setattr(ImageFile.ImageFile, "load", decoded)


@pytest.mark.parametrize("content, message", [
    (jpeg_headers(65000, 65000), "image is 65000x65000 pixels, more than the 200 megapixel limit for a JPEG read reduced"),
    (jpeg_claiming(20000, 20000, progressive=True), "image is 20000x20000 pixels, more than the 40 megapixel "
     "limit for a JPEG that does not stream (progressive or lossless)"),
    (jpeg_headers(8000, 6000, scanned=1), "image is 8000x6000 pixels, more than the 40 megapixel limit for a JPEG "
     "that does not stream (progressive or lossless)"),
    (jpeg_headers(8000, 6000, frame=0xC3, components=1, scanned=1), "image is 8000x6000 pixels, more than the 40 "
     "megapixel limit for a JPEG that does not stream (progressive or lossless)"),
], ids=["baseline-65000", "progressive-20000", "one-component-first-scan", "lossless"])
def test_jpeg_bombs_are_refused_from_their_headers(tmp_path, never_decoded, content, message):
    """A few hundred bytes claiming many megapixels. A JPEG that does not stream holds every
    coefficient while decoding, however small its output (a progressive claim of 40000x40000
    read at an eighth took 3.1 GB; one of three components whose first scan holds one, 6
    bytes a pixel): it is never read reduced."""
    path = tmp_path / "bomb.jpg"
    path.write_bytes(content)
    assert image_files.is_whole_jpeg(str(path))
    with pytest.raises(UserInputError) as error:
        image_files.read_image(path)
    assert str(error.value) == f"{path}: {message} (decompression-bomb guard)"


@pytest.mark.parametrize("before, message", [
    (b"\xff\x00", "image is too large to decode safely"),   # FF 00, which libjpeg skips as junk: Pillow sizes it
    (b"\x00", "cannot decode image (a JPEG whose headers are not readable)"),  # a stray byte: Pillow gives up too
    (b"\x00\xff\x01", "cannot decode image (a JPEG whose headers are not readable)"),
], ids=["ff00", "stray-byte", "stray-and-tem"])
def test_a_jpeg_whose_headers_stray_from_the_plain_layout_is_never_decoded_unsized(tmp_path, never_decoded,
                                                                                 before, message):
    """Such a file goes to Pillow, which reads the size before decoding; one Pillow cannot read
    either is refused. (Sent to OpenCV whole when cv2 was imported before edge_runtime, a claim
    of 7000x7000 was decoded, 95 MB, before its size was checked.)"""
    path = tmp_path / "odd.jpg"
    path.write_bytes(jpeg_headers(30000, 30000, before=before))
    assert jpeg_size.frame_header(str(path)) is None
    with pytest.raises(UserInputError) as error:
        image_files.read_image(path)
    assert str(error.value).startswith(f"{path}: {message}")


def test_ff00_is_junk_to_the_header_reader_as_to_libjpeg(tmp_path, never_decoded):
    """FF 00 and two bytes after it, read as a marker with a length, would skip the real frame
    header (7000x7000) to a fake one hidden in an EXIF segment (100x100), and the file would
    be decoded whole. libjpeg skips FF 00 as junk; so does the header reader, by giving up."""
    real = seg(0xC0, b"\x08" + (7000).to_bytes(2, "big") * 2 + b"\x01\x01\x11\x00")
    fake = seg(0xC0, b"\x08" + (100).to_bytes(2, "big") * 2 + b"\x01\x01\x11\x00")
    exif = seg(0xE1, b"Exif\0\0" + fake)
    rest = jpeg_headers(16, 16)[2:]
    rest = rest[:rest.index(b"\xff\xc0")] + rest[rest.index(b"\xff\xda"):]  # its tables and scan, no frame
    path = tmp_path / "desync.jpg"
    path.write_bytes(b"\xff\xd8\xff\x00" + (len(real) + 4 + 6 + 2).to_bytes(2, "big") + real + exif + rest)
    assert jpeg_size.frame_header(str(path)) is None
    with pytest.raises(UserInputError, match="7000x7000 pixels, more than the 40 megapixel limit"):
        image_files.read_image(path)


def test_a_progressive_jpeg_with_data_appended_is_not_read_reduced(tmp_path, never_decoded):
    """Through Pillow (not a whole JPEG), the headers still decide: progressive, it does not
    stream, and over 40 megapixels it is refused."""
    path = tmp_path / "motion.jpg"
    path.write_bytes(jpeg_claiming(8000, 6000, progressive=True) + b"\0\0\0\x18ftypmp42" + bytes(500))
    assert not image_files.is_whole_jpeg(str(path))
    with pytest.raises(UserInputError, match="8000x6000 pixels, more than the 40 megapixel limit for a JPEG that "
                                             "does not stream"):
        image_files.read_image(path)


def exif_jpeg(path, size, progressive=False):
    """A JPEG as a phone writes it: an EXIF segment (orientation 6) before the frame header."""
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("L", size, 200).save(path, format="JPEG", exif=exif, progressive=progressive)


@pytest.mark.parametrize("progressive", [False, True])
def test_the_frame_header_is_found_after_exif_and_says_if_the_jpeg_streams(tmp_path, progressive):
    path = tmp_path / "phone.jpg"
    exif_jpeg(path, (120, 80), progressive)
    assert jpeg_size.frame_header(str(path)) == jpeg_size.Frame(120, 80, not progressive)
    padded = tmp_path / "padded.jpg"  # fill bytes before a marker, and a marker with no length
    data = path.read_bytes()
    padded.write_bytes(data[:2] + b"\xff\x01" + b"\xff" * 5 + data[2:])
    assert jpeg_size.frame_header(str(padded)) == jpeg_size.Frame(120, 80, not progressive)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[:data.index(b"\xff\xc2" if progressive else b"\xff\xc0") + 6])
    assert jpeg_size.frame_header(str(cut)) is None


def large_photo(tmp_path, size=(8000, 6000), trailer=b""):
    """The 1600x1200 example photo enlarged to a phone's 48 megapixels, as a JPEG."""
    import cv2
    photo = sorted(EXAMPLES_DIR.glob("photo_*.jpg"))[0]
    large = cv2.resize(cv2.imread(str(photo), cv2.IMREAD_GRAYSCALE), size, interpolation=cv2.INTER_CUBIC)
    path = tmp_path / "large.jpg"
    path.write_bytes(cv2.imencode(".jpg", large)[1].tobytes() + trailer)
    return path, large


@pytest.mark.parametrize("trailer", [b"", b"\0\0\0\x18ftypmp42" + bytes(5000)], ids=["whole", "motion-photo"])
def test_phone_photos_over_the_pixel_limit_are_read_at_a_fraction_of_their_size(tmp_path, trailer):
    """A 48 megapixel phone photo (8000x6000) was refused as a decompression bomb. libjpeg
    decodes it at half size directly, through OpenCV for a whole JPEG, through Pillow for one
    with a video appended (a Pixel's motion photo); other formats that large are still refused."""
    import cv2
    path, large = large_photo(tmp_path, trailer=trailer)
    assert image_files.is_whole_jpeg(str(path)) == (trailer == b"")
    decoded = image_files.read_image_reduced(path)
    assert decoded.factor == 2 and decoded.image.shape == (3000, 4000) and decoded.shape == (6000, 8000)
    assert np.abs(decoded.image.astype(int) - cv2.resize(large, (4000, 3000), interpolation=cv2.INTER_AREA)).mean() < 2
    photo = sorted(EXAMPLES_DIR.glob("photo_*.jpg"))[0]
    assert image_files.read_image_reduced(photo).factor == 1  # within the limit: whole, as before
    Image.fromarray(large).save(tmp_path / "large.png")
    with pytest.raises(UserInputError, match="8000x6000 pixels, more than the 40 megapixel limit"):
        image_files.read_image(tmp_path / "large.png")


def test_a_turned_phone_photo_knows_its_own_turned_size(tmp_path):
    """EXIF orientation 6: stored 8000x6000, shown 6000x8000; decoded at half size, turned."""
    path = tmp_path / "turned.jpg"
    exif_jpeg(path, (8000, 6000))
    decoded = image_files.read_image_reduced(path)
    assert decoded.factor == 2 and decoded.image.shape == (4000, 3000) and decoded.shape == (8000, 6000)


def test_images_over_the_pixel_limit_are_refused_with_their_size(tmp_path, monkeypatch):
    monkeypatch.setattr(image_files, "MAX_IMAGE_PIXELS", 100 * 100)
    path = tmp_path / "big.png"
    Image.new("L", (101, 100)).save(path)
    with pytest.raises(UserInputError, match="image is 101x100 pixels, more than the 0.01 megapixel limit"):
        image_files.read_image(path)


def test_missing_file_and_directory_are_user_errors(tmp_path):
    with pytest.raises(UserInputError, match="no such file"):
        image_files.read_image(tmp_path / "nope.png")
    with pytest.raises(UserInputError, match=r"not a regular file \(a folder\)"):
        image_files.read_image(tmp_path)


@pytest.mark.parametrize("name, header", [("over.hdr", radiance_header(40000, 40000)),
                                          ("over.pam", pam_header(40000, 40000))])
def test_oversize_headers_in_opencv_formats_are_user_errors_not_crashes(tmp_path, name, header):
    """A 60-byte file claiming 1.6 gigapixels: OpenCV refuses it with cv2.error, which must not escape."""
    path = tmp_path / name
    path.write_bytes(header)
    with pytest.raises(UserInputError) as error:
        image_files.read_image(path)
    assert str(error.value) == f"{path}: {BOMB_MESSAGE}"


def test_opencv_pixel_limit_is_ours_before_any_pixel_is_decoded(tmp_path):
    """8000x8000 is under OpenCV's default limit (2**30), so without OPENCV_IO_MAX_IMAGE_PIXELS
    OpenCV would allocate and decode 64 megapixels before our check. Run as a user runs it."""
    bomb, good = tmp_path / "bomb8k.hdr", str(sorted(EXAMPLES_DIR.glob("mnist_28x28_*"))[0])
    bomb.write_bytes(radiance_header(8000, 8000) + b"\x7f\x80" * 4096)
    environment = {k: v for k, v in os.environ.items() if k != "OPENCV_IO_MAX_IMAGE_PIXELS"}
    opencv_temporary = tmp_path / "opencv-temp"  # where OpenCV would copy a file it decodes from disk
    opencv_temporary.mkdir()
    result = subprocess.run([sys.executable, "-m", "edge_runtime", "classify", "--json", str(bomb), good],
                            capture_output=True, text=True, cwd=REPO,
                            env=dict(environment, PYTHONPATH=str(REPO), OPENCV_TEMP_PATH=str(opencv_temporary)))
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0] == {"source": str(bomb), "error": BOMB_MESSAGE}
    assert records[1]["source"] == good and "error" not in records[1]
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert list(opencv_temporary.iterdir()) == []  # nothing left behind for the refused file


def test_files_larger_than_any_allowed_image_are_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(image_files, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.hdr"
    path.write_bytes(radiance_header(10, 10) + bytes(2000))
    with pytest.raises(UserInputError, match="big.hdr: file is 2,051 bytes, more than any image within the 40 megapixel limit"):
        image_files.read_image(path)


def strokes_on_transparent(mode):
    """Black strokes (a 7) on a fully transparent background, as drawing apps export them."""
    rgba = np.zeros((60, 40, 4), np.uint8)  # transparent pixels are black underneath
    rgba[10:14, 8:32] = (0, 0, 0, 255)
    rgba[14:50, 26:30] = (0, 0, 0, 255)
    image = Image.fromarray(rgba, "RGBA")
    return image if mode == "RGBA" else image.convert("LA") if mode == "LA" else image.convert("P")


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_transparent_backgrounds_become_white_paper(tmp_path, mode):
    path = tmp_path / f"{mode}.png"
    strokes_on_transparent(mode).save(path)
    gray = image_files.read_image(path)
    assert gray[0, 0] == 255 and gray[30, 10] == 255   # background: paper
    assert gray[12, 20] == 0 and gray[30, 28] == 0     # strokes: ink


def test_palette_transparency_becomes_white_paper(tmp_path):
    palette = Image.fromarray(np.array([[0, 1], [1, 1]], np.uint8), "P")
    palette.putpalette([0, 0, 0, 0, 0, 0])  # both entries black; entry 1 transparent
    path = tmp_path / "palette.png"
    palette.save(path, transparency=1)
    np.testing.assert_array_equal(image_files.read_image(path), [[0, 255], [255, 255]])
