"""scikit-learn's bundled handwritten digits as a folder of a user's own pictures.

load_digits ships 1,797 real 8x8 digits from 43 writers (UCI "optical recognition of
handwritten digits", 0..16 per pixel, ink high). Written out as DIR/<label>/<n>.png they
stand in for the crops a user collects: MNIST never saw these hands, and the files go
through the same reading (edge_runtime/crops.py) as any picture.

    python -m mnist_edge.train.sklearn_digits DIR
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from edge_runtime.errors import UserInputError, run_command
from edge_runtime.files import write_bytes_atomic


def digit_pictures():
    """(uint8 (1797, 8, 8) white ink on black, labels) from scikit-learn's copy."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise UserInputError("scikit-learn is not installed: pip install 'mnist-edge[train]'") from None
    digits = load_digits()
    return np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8), digits.target.astype(np.int64)


def write_folder_tree(out_dir):
    """DIR/<label>/sklearn-<index>.png for every digit, as they are (8x8); return the count."""
    import cv2

    images, labels = digit_pictures()
    for index, (image, label) in enumerate(zip(images, labels)):
        ok, encoded = cv2.imencode(".png", image)
        if not ok:
            raise UserInputError(f"could not encode digit {index} as PNG")
        write_bytes_atomic(Path(out_dir) / str(label) / f"sklearn-{index:04d}.png", encoded.tobytes())
    return len(images)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mnist_edge.train.sklearn_digits",
                                     description="Write scikit-learn's 1,797 handwritten digits as DIR/<label>/*.png.")
    parser.add_argument("out", metavar="DIR")
    arguments = parser.parse_args(argv)

    def body(arguments):
        print(f"wrote {write_folder_tree(arguments.out)} pictures under {arguments.out}")
        return 0

    return run_command("sklearn_digits", body, arguments)


if __name__ == "__main__":
    sys.exit(main())
