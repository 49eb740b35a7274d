"""How many pages of a synthetic page set (scripts/make_page_set.py) a given classifier could
read exactly if finding, cutting and cropping were perfect: a page counts when the classifier
reads every digit on it right from the digit's own 28x28 MNIST image (and a page without
digits counts, as if no false digit were read on it). An estimate, not a bound: a digit drawn
on a page (stroked, resized, turned, blurred) is not its MNIST image, and the runtime reads
some pages right though the classifier misreads one of their digits' images.

    python scripts/page_set_ceiling.py --count 500 --seed 0 [--read]

--read also reads every page with the runtime (shipped rejecter included) and splits its pages
by whether the classifier misreads some digit's MNIST image: read wrong with such a digit, read
wrong without one (lost to finding, cutting and cropping), read right despite one.
The pages are the ones make_page_set.py writes for the same count and seed: made with each
digit's index into MNIST's test split as its label, which changes no pixel
(tests/test_edge_synthetic_pages.py).
"""

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edge_runtime import classify, synthetic_pages  # noqa: E402
from edge_runtime.model import SHIPPED_MODEL, SHIPPED_REJECTER, DigitModel  # noqa: E402


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-digit-share", type=float, default=0.2)
    parser.add_argument("--model", default=str(SHIPPED_MODEL))
    parser.add_argument("--read", action="store_true", help="also read each page with the runtime")
    default_mnist = os.environ.get("MNIST_NPZ", str(REPO.parent / "shared" / "data" / "mnist.npz"))
    parser.add_argument("--mnist", default=default_mnist)
    return parser.parse_args(argv)


def labels_read(model, images):
    """The classifier's label for each image (MNIST's 10,000 test images take a second or two)."""
    return [classify.top_class(model.scores(image), model.labels)[0] for image in images]


def page_figures(arguments, images, labels, readings, runtime):
    """Per page: its digits, whether the classifier reads all their MNIST images right, and
    (with a runtime model) whether the runtime reads the page exactly."""
    indices = np.arange(len(images))
    for number in range(arguments.count):
        page = synthetic_pages.page_of_set(images, indices, arguments.count, arguments.seed, number,
                                           arguments.no_digit_share)
        truth = "".join(str(labels[i]) for i in page.labels)
        row = {"digits": len(page.labels), "kind": page.kind,
               "misread": sum(readings[i] != str(labels[i]) for i in page.labels)}
        if runtime is not None:
            row["exact"] = classify.read_number(classify.classify_image(runtime, page.image)) == truth
        yield row


def summary(rows, read):
    pages = len(rows)
    ceiling = sum(row["misread"] == 0 for row in rows)
    result = {"pages": pages, "pages_without_digits": sum(row["digits"] == 0 for row in rows),
              "digits": sum(row["digits"] for row in rows),
              "digits_misread_from_their_mnist_image": sum(row["misread"] for row in rows),
              "exact_ceiling": ceiling, "exact_ceiling_share": round(ceiling / pages, 4)}
    if read:
        wrong = [row for row in rows if not row["exact"]]
        result.update({"exact_read": pages - len(wrong),
                       "wrong_with_a_digit_the_classifier_misreads": sum(row["misread"] > 0 for row in wrong),
                       "wrong_otherwise": sum(row["misread"] == 0 for row in wrong),
                       "exact_despite_a_digit_the_classifier_misreads":
                           sum(row["misread"] > 0 and row["exact"] for row in rows)})
    return result


def main(argv=None):
    arguments = parse_args(argv)
    with np.load(arguments.mnist) as data:
        images, labels = data["x_test"], data["y_test"]
    # The classifier alone reads the MNIST images; with --read the same model, its rejecter
    # loaded too, reads the pages.
    model = DigitModel(arguments.model, rejecter=SHIPPED_REJECTER if arguments.read else None)
    readings = labels_read(model, images)
    rows = list(page_figures(arguments, images, labels, readings, model if arguments.read else None))
    print(json.dumps(summary(rows, arguments.read), indent=2))


if __name__ == "__main__":
    main()
