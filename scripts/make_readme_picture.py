"""The README's picture of a page read line by line: a generated photo (MNIST test digits on a
sheet on a desk, edge_runtime/synthetic_pages.py) with the shipped int8 model's boxes,
labels and line numbers drawn on it.

    python scripts/make_readme_picture.py docs/images/reading-a-page.jpg [--seed 24 --kind sticky-note]
"""

import argparse
import os
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge_runtime import MODELS_DIR, classify, draw, synthetic, synthetic_pages  # noqa: E402
from edge_runtime.model import DigitModel  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--kind", default="sticky-note")
    parser.add_argument("--mnist", default=os.environ.get("MNIST_NPZ", str(REPO.parent / "shared" / "data" / "mnist.npz")))
    arguments = parser.parse_args()
    with np.load(arguments.mnist) as data:
        images, labels = data["x_test"], data["y_test"]
    page = synthetic_pages.make_page(np.random.default_rng(arguments.seed), images, labels, arguments.kind)
    digits = classify.classify_image(DigitModel(MODELS_DIR / "model_int8.tflite"), page.image)
    canvas = draw.draw_digits(page.image, digits)
    scale = 900.0 / max(canvas.shape[:2])
    if scale < 1:
        canvas = cv2.resize(canvas, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    synthetic.write_image(arguments.out, canvas)
    print(f"truth {page.lines}\nread  {classify.read_lines(digits)}")


if __name__ == "__main__":
    main()
