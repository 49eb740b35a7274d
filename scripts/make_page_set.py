"""Write a synthetic page set (edge_runtime/synthetic_pages.py) to a folder: images + truth.json.

truth.json has the layout of ../shared/data/real-photos-dev/truth.json (per image: `number`,
`lines`, `layout`, `kind`, `note`, `confidence`), so one scorer reads both sets; it adds each
digit's `boxes` (x, y, w, h). The digits come from MNIST's test split.

    python scripts/make_page_set.py out/pages --count 500 --seed 0
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edge_runtime import files, synthetic, synthetic_pages  # noqa: E402


def describe_layout(page):
    """The `layout` words of the real set: 'single digit', 'single row', '3 rows', ..."""
    if not page.labels:
        return "no digits"
    if len(page.labels) == 1:
        return "single digit"
    if len(page.lines) == 1:
        return "single row"
    if page.kind == "column":
        return f"single column of {len(page.lines)} digits, one per line"
    if page.kind == "two-columns":
        return f"{len(page.lines)} separate numbers, two side by side on a row (left before right)"
    return f"{len(page.lines)} rows"


def truth_entry(page, seed, index):
    return {"number": "".join(page.lines), "lines": list(page.lines), "layout": describe_layout(page),
            "kind": page.kind, "note": f"synthetic: edge_runtime/synthetic_pages.py, seed {seed}, page {index}",
            "confidence": "high", "size": [page.image.shape[1], page.image.shape[0]],
            "boxes": [list(box) for box in page.boxes]}


def write_page_set(pages, directory, seed, suffix=".png"):
    """Write each page as page_NNNN<suffix> and truth.json beside them; returns the truth dict."""
    directory = Path(directory)
    truth = {}
    for index, page in enumerate(pages):
        name = f"page_{index:04d}{suffix}"
        synthetic.write_image(str(directory / "images" / name), page.image)
        truth[name] = truth_entry(page, seed, index)
    files.write_bytes_atomic(directory / "truth.json", (json.dumps(truth, indent=1) + "\n").encode())
    return truth


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", help="output folder (images/ and truth.json)")
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-digit-share", type=float, default=0.2)
    parser.add_argument("--format", choices=("png", "jpg"), default="png")
    parser.add_argument("--mnist", default=str(REPO.parent / "shared" / "data" / "mnist.npz"))
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    with np.load(args.mnist) as data:
        images, labels = data["x_test"], data["y_test"]
    start = time.perf_counter()
    pages = synthetic_pages.make_page_set(images, labels, args.count, args.seed, args.no_digit_share)
    seconds = time.perf_counter() - start
    write_page_set(pages, args.directory, args.seed, "." + args.format)
    digits = sum(len(page.labels) for page in pages)
    print(f"{len(pages)} pages, {digits} digits, generated in {seconds:.1f} s -> {args.directory}")


if __name__ == "__main__":
    main()
