"""The README's screenshot of the `mnist-edge serve` page: runs the headless-chromium test
(tests/test_edge_serve_browser.py: a generated video through the real server into Debian's
chromium) and keeps the screenshot that test takes once the video's second number is read.

    python scripts/make_serve_screenshot.py docs/images/serve-page.jpg

Needs chromium (apt-get install chromium) and MNIST (MNIST_NPZ or ../shared/data/mnist.npz).
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parents[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="a .jpg or .png file")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        picture = Path(directory) / "page.png"
        environment = dict(os.environ, MNIST_EDGE_SCREENSHOT=str(picture), PYTHONPATH=str(REPO))
        command = [sys.executable, "-m", "pytest", "-q", "tests/test_edge_serve_browser.py"]
        if subprocess.run(command, cwd=REPO, env=environment).returncode != 0 or not picture.is_file():
            sys.exit("make_serve_screenshot: the browser test failed; no screenshot written")
        image = cv2.imread(str(picture), cv2.IMREAD_COLOR)
        if not cv2.imwrite(arguments.out, image, [cv2.IMWRITE_JPEG_QUALITY, 85]):
            sys.exit(f"make_serve_screenshot: cannot write {arguments.out}")
    print(f"wrote {arguments.out} ({image.shape[1]}x{image.shape[0]})")


if __name__ == "__main__":
    main()
