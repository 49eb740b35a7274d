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

# Imported on first use, so `import edge_runtime` stays light (no numpy, interpreter or OpenCV).
LAZY_ATTRIBUTES = {"DigitReader": "edge_runtime.reader", "DigitReading": "edge_runtime.reader"}
__all__ = list(LAZY_ATTRIBUTES)


def __getattr__(name):
    """`from edge_runtime import DigitReader` imports edge_runtime.reader only then (PEP 562)."""
    if name not in LAZY_ATTRIBUTES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib
    return getattr(importlib.import_module(LAZY_ATTRIBUTES[name]), name)


def __dir__():
    return sorted(list(globals()) + list(LAZY_ATTRIBUTES))
