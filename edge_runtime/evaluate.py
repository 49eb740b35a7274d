"""Score readings of photos against their truth: digit recall and precision, character
accuracy, exact numbers. The measures of shared/data/real-photos-dev/README.md, usable on any
folder with a truth.json ({"image.png": {"number": "1247", "lines": ["12", "47"]}, ...}).

    mnist-edge evaluate photos/            # or: --model, --json
"""

import argparse
import collections
import json
import sys
from pathlib import Path

from edge_runtime.errors import UserInputError, run_command

Score = collections.namedtuple("Score", ["images", "digits", "recall", "precision", "characters", "exact"])
Score.__doc__ = "Scores summed over images: recall, precision and character accuracy in 0..1, exact images."


def edit_distance(read, truth):
    """Levenshtein distance between two strings (insertions, deletions, substitutions)."""
    previous = list(range(len(truth) + 1))
    for i, character in enumerate(read, start=1):
        current = [i]
        for j, expected in enumerate(truth, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (character != expected)))
        previous = current
    return previous[-1]


def matched_digits(read, truth):
    """Digits read that the truth holds, counted as multisets (order-free)."""
    return sum((collections.Counter(read) & collections.Counter(truth)).values())


def score(pairs):
    """Score from (read, truth) number strings, one pair per image."""
    pairs = list(pairs)
    true = sum(len(t) for _, t in pairs)
    read = sum(len(r) for r, _ in pairs)
    matched = sum(matched_digits(r, t) for r, t in pairs)
    errors = sum(edit_distance(r, t) for r, t in pairs)
    return Score(len(pairs), true, matched / true if true else 1.0, matched / read if read else 1.0,
                 1.0 - errors / true if true else float(read == 0), sum(r == t for r, t in pairs))


def load_truth(folder):
    """{file name: truth record} from folder/truth.json, every named image checked to exist."""
    path = Path(folder) / "truth.json"
    try:
        truth = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UserInputError(f"{path}: cannot read the truth file ({error})") from None
    if not isinstance(truth, dict) or not truth:
        raise UserInputError(f"{path}: expected an object of image name -> {{\"number\": ...}}")
    for name, record in truth.items():
        number = record.get("number") if isinstance(record, dict) else None
        if not isinstance(number, str) or not (number == "" or number.isdigit()):
            raise UserInputError(f"{path}: {name}: 'number' must be a string of digits")
        image_path = Path(folder) / "images" / name
        if not image_path.is_file() and not (Path(folder) / name).is_file():
            raise UserInputError(f"{path}: {name}: no such image beside it or in images/")
    return truth


def image_path(folder, name):
    nested = Path(folder) / "images" / name
    return nested if nested.is_file() else Path(folder) / name


def read_folder(model, folder, min_score):
    """[(name, read number, read lines, truth record)] for every image the truth names."""
    from edge_runtime import classify, image_files

    results = []
    for name, record in sorted(load_truth(folder).items()):
        digits = classify.classify_image(model, image_files.read_image(str(image_path(folder, name))), min_score)
        results.append((name, classify.read_number(digits), classify.read_lines(digits), record))
    return results


def report(results, out=sys.stdout):
    for name, number, _, record in results:
        mark = "ok " if number == record["number"] else "BAD"
        print(f"{mark} {name}: read {number or '-'} (truth {record['number'] or '-'})", file=out)
    total = score((number, record["number"]) for _, number, _, record in results)
    print(f"{total.images} images, {total.digits} digits: recall {total.recall:.2%}, precision "
          f"{total.precision:.2%}, characters {total.characters:.2%}, exact {total.exact}/{total.images}",
          file=out)
    return total


def run(arguments):
    from edge_runtime.cli import load_model

    results = read_folder(load_model(arguments), arguments.folder, arguments.min_score)
    if arguments.json:
        total = score((number, record["number"]) for _, number, _, record in results)
        print(json.dumps({"images": [{"source": n, "number": r, "lines": lines, "truth": t["number"]}
                                     for n, r, lines, t in results], "score": total._asdict()}))
    else:
        report(results)
    return 0


def main(argv=None):
    from edge_runtime.cli import add_model_arguments

    parser = argparse.ArgumentParser(prog="mnist-edge evaluate",
                                     description="Read a folder of photos with a truth.json and score the readings.")
    add_model_arguments(parser)
    parser.add_argument("folder", help="folder with truth.json and the images (beside it or in images/)")
    return run_command("mnist-edge evaluate", run, parser.parse_args(argv))
