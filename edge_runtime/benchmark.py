"""`mnist-edge benchmark`: latency, camera-loop FPS, cold start and peak memory of the runtime.

Only the shipped example images are used as inputs, so the benchmark runs on a Pi that has
neither TensorFlow nor the MNIST files.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from edge_runtime import EXAMPLES_DIR, MODELS_DIR, PACKAGE_DIR, camera, classify, image_files, sources, video
from edge_runtime.cli import MAX_THREADS, thread_count
from edge_runtime.errors import run_command
from edge_runtime.interpreter import BACKENDS
from edge_runtime.model import DigitModel


def time_calls(function, repeats, warmup=20):
    """(median, p99) wall time of function() in microseconds."""
    for _ in range(warmup):
        function()
    times = np.empty(repeats)
    for index in range(repeats):
        start = time.perf_counter_ns()
        function()
        times[index] = time.perf_counter_ns() - start
    return float(np.median(times)) / 1e3, float(np.percentile(times, 99)) / 1e3


def example_image(prefix):
    """The first shipped example whose name starts with `prefix`, as a grayscale array."""
    matches = sorted(EXAMPLES_DIR.glob(prefix + "*"))
    if not matches:
        raise FileNotFoundError(f"no example image {prefix}* in {EXAMPLES_DIR}")
    return image_files.read_image(matches[0]), matches[0]


def speckled_frame(seed=0, specks=5000):
    """A 640x480 frame of paper strewn with thousands of specks: the worst case for joining
    broken strokes (comparing every pair of pieces once took 20 s on such a frame)."""
    rng = np.random.default_rng(seed)
    frame = np.full((480, 640), 205, np.uint8)
    for x, y in zip(rng.integers(0, 640, specks), rng.integers(0, 480, specks)):
        cv2.circle(frame, (int(x), int(y)), int(rng.integers(1, 3)), 30, -1)
    return frame


def blobby_frame(seed=0, blobs=1500):
    """A 640x480 frame covered in digit-sized ink blobs: every one is a candidate to read."""
    rng = np.random.default_rng(seed)
    frame = np.full((480, 640), 205, np.uint8)
    for x, y in zip(rng.integers(0, 640, blobs), rng.integers(0, 480, blobs)):
        axes = (int(rng.integers(3, 9)), int(rng.integers(6, 14)))
        cv2.ellipse(frame, (int(x), int(y)), axes, float(rng.uniform(0, 180)), 0, 300, 30, 2)
    return frame


def latency_figures(model, repeats):
    """Invoke alone, a 28x28 digit end to end, a photo and a 640x480 frame end to end."""
    digit, _ = example_image("mnist_28x28")
    photo, _ = example_image("photo_")
    frame = cv2.imread(str(example_image("frame_")[1]), cv2.IMREAD_COLOR)
    specks, blobs = speckled_frame(), blobby_frame()
    figures = {
        "invoke_us": time_calls(model.interpreter.invoke, repeats),
        "digit28_end_to_end_us": time_calls(lambda: model.scores(digit), repeats),
        "photo_end_to_end_us": time_calls(lambda: classify.classify_image(model, photo), max(10, repeats // 50)),
        "frame640_end_to_end_us": time_calls(lambda: classify.classify_image(model, frame), max(10, repeats // 20)),
        "frame640_specks_us": time_calls(lambda: classify.classify_image(model, specks), 10, warmup=1),
        "frame640_blobs_us": time_calls(lambda: classify.classify_image(model, blobs), 10, warmup=1),
    }
    # What the runtime adds to the interpreter for a 28x28 digit (quantize, copy in, read, dequantize).
    figures["digit28_over_invoke_us_median"] = figures["digit28_end_to_end_us"][0] - figures["invoke_us"][0]
    figures["photo_size"] = list(photo.shape[::-1])
    figures["frame_digits"] = len(classify.classify_image(model, frame))
    return figures


def camera_fps(model, frames=300):
    """Frames per second of the headless camera loop reading a 640x480 video file."""
    frame = cv2.imread(str(example_image("frame_")[1]), cv2.IMREAD_COLOR)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "bench.avi")
        video.write_video(path, (np.roll(frame, index % 7, axis=1) for index in range(frames)))
        capture = sources.open_capture(path)
        with open(os.devnull, "w") as sink:
            summary = camera.run_camera(model, capture, path, camera.CameraOptions(headless=True), output=sink)
    return summary.frames / summary.seconds


# The child reports its own peak RSS (VmHWM): the kernel's ru_maxrss for a child also counts
# the parent's memory from before exec, which would charge our loaded models to the child.
CHILD_SCRIPT = """
import atexit, runpy, sys
def report_peak():
    try:
        with open("/proc/self/status") as status:
            peak = [line.split()[1] for line in status if line.startswith("VmHWM:")]
        sys.stderr.write("PEAK_KIB %s\\n" % peak[0])
    except (OSError, IndexError):
        pass
atexit.register(report_peak)
sys.argv[0] = "edge_runtime"
runpy.run_module("edge_runtime", run_name="__main__", alter_sys=True)
"""


def run_once(command, environment):
    """(seconds from spawn to exit, peak MiB) of one child run; RuntimeError if it failed."""
    start = time.perf_counter()
    result = subprocess.run(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"cold-start run exited with {result.returncode}: {result.stderr.strip()[-300:]}")
    peaks = [int(line.split()[1]) for line in result.stderr.splitlines() if line.startswith("PEAK_KIB ")]
    return seconds, (peaks[0] / 1024.0 if peaks else float("nan"))


def cold_start(model_path, image_path, runs=3, backend="auto"):
    """Median wall time (spawn to exit) and peak RSS in MiB of classifying one image in a new process."""
    environment = dict(os.environ, PYTHONPATH=str(PACKAGE_DIR.parent))
    command = [sys.executable, "-c", CHILD_SCRIPT, "classify", "--backend", backend,
               "--model", str(model_path), str(image_path)]
    results = [run_once(command, environment) for _ in range(runs)]
    return float(np.median([r[0] for r in results])), float(max(r[1] for r in results))


def benchmark_model(path, max_threads, repeats, backend="auto"):
    """All figures for one model file, latency for 1..max_threads threads."""
    result = {"model": str(path), "threads": {}}
    for threads in range(1, max_threads + 1):
        model = DigitModel(path, backend, num_threads=threads)
        result["backend"] = model.backend
        result["threads"][threads] = latency_figures(model, repeats)
    result["camera_fps_1_thread"] = camera_fps(DigitModel(path, backend, num_threads=1))
    _, photo_path = example_image("photo_")
    result["cold_start_s"], result["peak_rss_mib"] = cold_start(path, photo_path, backend=result["backend"])
    return result


def format_result(result):
    lines = [f"{Path(result['model']).name} ({result['backend']})"]
    for threads, figures in result["threads"].items():
        lines.append(f"  threads={threads}: " + ", ".join(
            f"{name[:-3]} median {values[0]:.1f} us p99 {values[1]:.1f} us"
            for name, values in figures.items() if name.endswith("_us"))
            + f", digit28 over invoke {figures['digit28_over_invoke_us_median']:.1f} us")
    lines.append(f"  camera loop (640x480 video, headless, 1 thread): {result['camera_fps_1_thread']:.0f} frames/s")
    lines.append(f"  cold start to first result: {result['cold_start_s']:.3f} s, "
                 f"peak memory {result['peak_rss_mib']:.0f} MiB")
    return "\n".join(lines)


def main(argv):
    parser = argparse.ArgumentParser(prog="mnist-edge benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append",
                        help="model(s) to time (default: the shipped float32 and int8 models)")
    parser.add_argument("--backend", default="auto", choices=["auto", *BACKENDS],
                        help="interpreter package (default: the first one installed)")
    parser.add_argument("--max-threads", type=thread_count, default=min(os.cpu_count() or 1, MAX_THREADS),
                        help="time 1..N interpreter threads (default: all cores)")
    parser.add_argument("--repeats", type=int, default=2000, help="timed calls per latency figure")
    parser.add_argument("--json", action="store_true", help="print one JSON object per model")
    arguments = parser.parse_args(argv)
    models = arguments.model or [str(MODELS_DIR / "model_float32.tflite"), str(MODELS_DIR / "model_int8.tflite")]
    return run_command("mnist-edge benchmark", run_benchmarks, models, arguments)


def run_benchmarks(models, arguments):
    for path in models:
        result = benchmark_model(path, max(1, arguments.max_threads), max(20, arguments.repeats), arguments.backend)
        print(json.dumps(result) if arguments.json else format_result(result), flush=True)
    return 0
