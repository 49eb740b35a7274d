"""Run `python -m edge_runtime classify --json` on x86_64 and emulated aarch64; compare labels.

Called by check.sh once the rootfs, qemu and both interpreter sets are installed. Exits 1
unless every emulated run gives exactly the x86_64 labels for every image.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

INTERPRETER_SETS = ("litert", "tflite-runtime")
MODEL_NAMES = ("model_float32.tflite", "model_int8.tflite")


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
    """The first `count` MNIST test digits as 28x28 PNGs; returns {path: true label}."""
    with np.load(mnist_path) as data:
        images, labels = data["x_test"][:count], data["y_test"][:count]
    directory.mkdir(parents=True, exist_ok=True)
    truth = {}
    for index, (image, label) in enumerate(zip(images, labels)):
        path = directory / f"{index:05d}.png"
        Image.fromarray(image).save(path)
        truth[str(path)] = int(label)
    return truth


def host_command(work, interpreter_set):
    return [str(work / f"x86_64-{interpreter_set}" / "bin" / "python")], {}


def emulated_command(work, interpreter_set, qemu, rootfs, cpu):
    """qemu-user with -L: the guest sees the rootfs for system paths and the host for the rest."""
    environment = {"QEMU_CPU": cpu, "PYTHONPATH": str(work / f"aarch64-{interpreter_set}"),
                   "PYTHONNOUSERSITE": "1"}
    return [str(qemu), "-L", str(rootfs), str(rootfs / "usr/bin/python3.11")], environment


def run_json(command, environment, arguments):
    """Run `command -m edge_runtime ARGS`; return ({source: record}, seconds, stderr)."""
    started = time.monotonic()
    result = subprocess.run([*command, "-m", "edge_runtime", *arguments], capture_output=True, text=True,
                            env={**os.environ, **environment}, check=False)
    seconds = time.monotonic() - started
    records = {}
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            records[record["source"]] = record
    if result.returncode not in (0, 1) or not records:
        raise RuntimeError(f"{' '.join(command)} -m edge_runtime {' '.join(arguments[:6])} ... "
                           f"exited {result.returncode}:\n{result.stderr[-2000:]}")
    return records, seconds, result.stderr


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
    right = sum(1 for source, label in truth.items()
                if records.get(source, {}).get("number") == str(label))
    return right / len(truth)


def check_all(options, truth, inputs):
    """Every interpreter set x model x CPU model; returns the number of failed comparisons."""
    failures = 0
    for interpreter_set in INTERPRETER_SETS:
        package = options.work / f"x86_64-{interpreter_set}"
        models_dir = next(package.glob("lib/python3*/site-packages/edge_runtime/models"))
        for model_name in MODEL_NAMES:
            arguments = ["classify", "--json", "--backend", interpreter_set,
                         "--model", str(models_dir / model_name), *inputs]
            reference, seconds, _ = run_json(*host_command(options.work, interpreter_set), arguments)
            print(f"x86_64  {interpreter_set:<14} {model_name:<21} {len(reference)} records in "
                  f"{seconds:6.1f} s, MNIST accuracy {accuracy(reference, truth):.4f}", flush=True)
            for cpu in options.cpus:
                command = emulated_command(options.work, interpreter_set, options.qemu, options.rootfs, cpu)
                emulated, seconds, stderr = run_json(*command, arguments)
                matches, mismatches, score_difference = compare(reference, emulated)
                verdict = "OK" if not mismatches else "MISMATCH"
                print(f"aarch64 {interpreter_set:<14} {model_name:<21} {cpu:<11} {matches}/{len(reference)} "
                      f"labels identical to x86_64, max |score diff| {score_difference:.4f}, "
                      f"{seconds:6.1f} s emulated  {verdict}", flush=True)
                for line in mismatches[:10]:
                    print(f"    {line}")
                failures += bool(mismatches)
    return failures


def run_emulated_extras(options):
    """`--help` and the benchmark under emulation (times are qemu's, not a Pi's)."""
    command, environment = emulated_command(options.work, "litert", options.qemu, options.rootfs,
                                            options.cpus[0])
    result = subprocess.run([*command, "-m", "edge_runtime", "--help"], capture_output=True, text=True,
                            env={**os.environ, **environment}, check=True)
    print("aarch64 `python -m edge_runtime --help`:\n    " + "\n    ".join(result.stdout.splitlines()))
    if options.no_benchmark:
        return
    # The benchmark's cold-start child must go through qemu as well: see emulated_benchmark.py.
    environment = {**os.environ, **environment, "QEMU": str(options.qemu), "ROOTFS": str(options.rootfs)}
    model = options.work / "aarch64-litert" / "edge_runtime" / "models" / "model_int8.tflite"
    started = time.monotonic()
    result = subprocess.run([*command, str(Path(__file__).with_name("emulated_benchmark.py")), "--model", str(model),
                             "--repeats", "20", "--max-threads", "1"],
                            capture_output=True, text=True, env=environment, check=False)
    print(f"aarch64 benchmark (litert, QEMU_CPU={options.cpus[0]}, {time.monotonic() - started:.0f} s) - "
          f"emulated times, NOT Raspberry Pi times; exit {result.returncode}:")
    print("    " + "\n    ".join((result.stdout or result.stderr[-1500:]).splitlines()), flush=True)


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--qemu", type=Path, required=True)
    parser.add_argument("--rootfs", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--mnist")
    parser.add_argument("--digits", type=int, default=600)
    parser.add_argument("--cpus", nargs="+", default=["cortex-a72"])
    parser.add_argument("--no-benchmark", action="store_true")
    return parser.parse_args(argv)


def main(argv=None):
    options = parse_arguments(argv)
    truth = write_digits(find_mnist(options.repo, options.mnist), options.digits, options.work / "digits")
    package = options.work / "x86_64-litert"
    examples = next(package.glob("lib/python3*/site-packages/edge_runtime"), package) / "examples"
    inputs = [str(options.work / "digits")] + ([str(examples)] if examples.is_dir() else [])
    print(f"inputs: {len(truth)} MNIST test digits + "
          f"{len(list(examples.iterdir())) if examples.is_dir() else 0} shipped example files", flush=True)
    failures = check_all(options, truth, inputs)
    run_emulated_extras(options)
    if failures:
        print(f"FAILED: {failures} emulated run(s) differ from x86_64")
        return 1
    print("all emulated aarch64 labels identical to x86_64")
    return 0


if __name__ == "__main__":
    sys.exit(main())
