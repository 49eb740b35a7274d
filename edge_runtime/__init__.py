"""mnist-edge runtime: classify handwritten digits with a TFLite model, without TensorFlow."""

import os
from pathlib import Path

# 40 megapixels is a large phone photo; a decompression bomb claims far more.
MAX_IMAGE_PIXELS = 40_000_000
# OpenCV reads this limit once, when cv2 is first imported, and checks it against an image's
# header before decoding; its default (2**30 pixels) lets a 54-byte header claim gigabytes.
# It must be set here, before any edge_runtime module imports cv2.
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_IMAGE_PIXELS))

PACKAGE_DIR = Path(__file__).resolve().parent
MODELS_DIR = PACKAGE_DIR / "models"
EXAMPLES_DIR = PACKAGE_DIR / "examples"
