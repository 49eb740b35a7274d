"""Run `python -m edge_runtime classify --json` on x86_64 and on the emulated Pi; compare labels.

Called by check.sh once per release, after pi_install.py followed the guide in that release's
root and check.sh built an x86_64 venv pinned to the versions the Pi got (it runs this script).
Exits 1 unless, for every interpreter the Pi has, both models and every CPU model, each image
gets exactly the x86_64 labels.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from emulated_pi import HOME, VENV, EmulatedPi, bind_host_filesystems  # noqa: E402

MODEL_NAMES = ("model_float32.tflite", "model_int8.tflite")
INPUTS = ("digits", "examples")  # relative to the home folder on both machines: same source names


def find_mnist(repo, explicit):
    """The mnist.npz to draw test digits from: --mnist, $MNIST_NPZ, or shared/data beside the repo."""
    explicit = explicit or os.environ.get("MNIST_NPZ")
    candidates = [Path(explicit)] if explicit else [repo.parent / "shared" / "data" / "mnist.npz",
                                                    repo / "dataset" / "mnist.npz"]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(f"no mnist.npz at {', '.join(map(str, candidates))}; set MNIST_NPZ")


def write_digits(mnist_path, count, directory):
    """The first `count` MNIST test digits as 28x28 PNGs; returns {source name: true label}."""
    with np.load(mnist_path) as data:
        images, labels = data["x_test"][:count], data["y_test"][:count]
    directory.mkdir(parents=True, exist_ok=True)
    truth = {}
    for index, (image, label) in enumerate(zip(images, labels)):
        name = f"{index:05d}.png"
        Image.fromarray(image).save(directory / name)
        truth[f"{directory.name}/{name}"] = int(label)
    return truth


def records_of(result, what):
    """{source: record} from classify --json output; RuntimeError if it did not run."""
    records = {}
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            records[record["source"]] = record
    if result.returncode not in (0, 1) or not records:
        raise RuntimeError(f"{what} exited {result.returncode}:\n{result.stderr[-2000:]}")
    return records


def labels_of(record):
    """What must match: the digit labels and the number read (errors compare by presence)."""
    if "error" in record:
        return ("error",)
    return tuple(digit["label"] for digit in record["digits"]), record["number"]


def compare(reference, candidate):
    """(matching sources, [mismatch descriptions], max |score difference|)."""
    matches, mismatches, score_difference = 0, [], 0.0
    for source, expected in reference.items():
        got = candidate.get(source)
        if got is None or labels_of(got) != labels_of(expected):
            mismatches.append(f"{source}: x86_64 {labels_of(expected)} vs aarch64 "
                              f"{labels_of(got) if got else 'missing'}")
            continue
        matches += 1
        for a, b in zip(expected.get("digits", []), got.get("digits", [])):
            score_difference = max(score_difference, abs(a["score"] - b["score"]))
    return matches, mismatches, score_difference


def accuracy(records, truth):
    right = sum(1 for source, label in truth.items() if records.get(source, {}).get("number") == str(label))
    return right / len(truth)


def edge_runtime_folder(venv):
    """edge_runtime/ inside a venv (lib/python3.X differs by release)."""
    return next(Path(venv).glob("lib/python3*/site-packages/edge_runtime"))


def pi_models_folder(root):
    """The models folder of the Pi's venv, as a path on the Pi."""
    return "/" + str(edge_runtime_folder(root / VENV.lstrip("/")).relative_to(root)) + "/models"


def classify_arguments(backend, model):
    return ["-m", "edge_runtime", "classify", "--json", "--backend", backend, "--model", str(model), *INPUTS]


def run_host(home, backend, model_name):
    """The x86_64 reference: this script's own venv, in the emulated root's home folder."""
    models = edge_runtime_folder(sys.prefix) / "models"
    started = time.monotonic()
    result = subprocess.run([sys.executable, *classify_arguments(backend, models / model_name)], cwd=home,
                            capture_output=True, text=True, check=False)
    return records_of(result, f"x86_64 classify {backend} {model_name}"), time.monotonic() - started


def run_pi(pi, backend, model_name):
    models = pi_models_folder(pi.root)
    started = time.monotonic()
    result = pi.run([f"{VENV}/bin/python", *classify_arguments(backend, f"{models}/{model_name}")],
                    check=False, capture=True, show=False)
    return records_of(result, f"aarch64 classify {backend} {model_name}"), time.monotonic() - started


def check_all(options, backends, truth):
    """Every backend x model x CPU model; returns the number of failed comparisons."""
    home = options.root / HOME.lstrip("/")
    failures = 0
    for backend in backends:
        for model_name in MODEL_NAMES:
            reference, seconds = run_host(home, backend, model_name)
            print(f"x86_64  {backend:<14} {model_name:<21} {len(reference)} records in "
                  f"{seconds:6.1f} s, MNIST accuracy {accuracy(reference, truth):.4f}", flush=True)
            for cpu in options.cpus:
                emulated, seconds = run_pi(EmulatedPi(options.root, cpu), backend, model_name)
                matches, mismatches, score_difference = compare(reference, emulated)
                print(f"aarch64 {backend:<14} {model_name:<21} {cpu:<11} {matches}/{len(reference)} "
                      f"labels identical to x86_64, max |score diff| {score_difference:.4f}, "
                      f"{seconds:6.1f} s emulated  {'OK' if not mismatches else 'MISMATCH'}", flush=True)
                for line in mismatches[:10]:
                    print(f"    {line}")
                failures += bool(mismatches)
    return failures


def run_benchmark(options):
    """`mnist-edge benchmark` on the emulated Pi (qemu times, not a Pi's)."""
    pi = EmulatedPi(options.root, options.cpus[0])
    model = pi_models_folder(options.root) + "/model_int8.tflite"
    started = time.monotonic()
    result = pi.run([f"{VENV}/bin/mnist-edge", "benchmark", "--model", model, "--repeats", "20", "--max-threads", "1"],
                    check=False, capture=True)
    print(f"aarch64 benchmark (litert, QEMU_CPU={options.cpus[0]}, {time.monotonic() - started:.0f} s) - "
          f"emulated times, NOT Raspberry Pi times; exit {result.returncode}:")
    print("    " + "\n    ".join((result.stdout or result.stderr[-1500:]).splitlines()), flush=True)


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True, help="the emulated Pi's root, after pi_install.py")
    parser.add_argument("--report", type=Path, required=True, help="pi_install.py's report.json")
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--mnist")
    parser.add_argument("--digits", type=int, default=500)
    parser.add_argument("--cpus", nargs="+", default=["cortex-a72"])
    parser.add_argument("--benchmark", action="store_true")
    parser.add_argument("--bind-host-filesystems", action="store_true", help="bind /proc and /sys (private mount namespace only)")
    return parser.parse_args(argv)


def main(argv=None):
    options = parse_arguments(argv)
    if options.bind_host_filesystems:
        bind_host_filesystems(options.root)
    home = options.root / HOME.lstrip("/")
    truth = write_digits(find_mnist(options.repo, options.mnist), options.digits, home / INPUTS[0])
    examples = edge_runtime_folder(sys.prefix) / "examples"
    shutil.copytree(examples, home / INPUTS[1], dirs_exist_ok=True)
    print(f"inputs: {len(truth)} MNIST test digits + {len(list(examples.iterdir()))} shipped example files", flush=True)
    backends = json.loads(options.report.read_text())["backends"]
    failures = check_all(options, backends, truth)
    if options.benchmark:
        run_benchmark(options)
    if failures:
        print(f"FAILED: {failures} emulated run(s) differ from x86_64")
        return 1
    print(f"all emulated aarch64 labels identical to x86_64 ({', '.join(backends)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
