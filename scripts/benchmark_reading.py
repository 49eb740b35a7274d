"""This runtime against an earlier commit's, side by side in one run: camera-loop speed on the
same 640x480 video, the slowest 640x480 frames (thousands of specks, hundreds of blobs), and
reading accuracy on the synthetic photo set and on OpenCV's digits.png.

Speed is measured twice: with OpenCV's own thread pool (its default, one thread per core) and
all on one thread (OpenCV's pool, FFmpeg's decoder and the interpreter), as issue 10 asks: the
keys ending in _one_thread. The interpreter always runs on one thread.

    python scripts/benchmark_reading.py --against b66df21 [--rounds 3]

Each measurement runs in a fresh process per checkout, alternating between the two (each
goes first in every other round), so a busy machine slows both alike; speeds are medians
over the rounds. The ratio is given two ways: of the two medians (fps_now_over_before), and
per round, the two runtimes' runs of one round side by side, with its median
(fps_ratio_median_of_rounds): a machine whose speed drifts over minutes moves both runs of
a round alike. Needs MNIST (MNIST_NPZ or ../shared/data/mnist.npz) and opencv-doc's
digits.png.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DIGITS_PNG = "/usr/share/doc/opencv-doc/examples/data/digits.png"

# Runs inside each checkout: only APIs that both the old and the new runtime have.
CHILD = r"""
import json, os, sys, time
import cv2, numpy as np
from edge_runtime import MODELS_DIR, camera, classify, sources, synthetic, video
from edge_runtime.model import DigitModel
model = DigitModel(MODELS_DIR / "model_int8.tflite")
task, frames_dir = sys.argv[1], sys.argv[2]
if task == "speed_one_thread":
    cv2.setNumThreads(1)  # and OPENCV_FFMPEG_CAPTURE_OPTIONS=threads;1 for the decoder (run_child)
if task.startswith("speed"):
    frame = cv2.imread(os.path.join(frames_dir, "frame.jpg"), cv2.IMREAD_COLOR)
    path = os.path.join(frames_dir, "bench_%d.avi" % os.getpid())
    video.write_video(path, (np.roll(frame, index % 7, axis=1) for index in range(300)))
    with open(os.devnull, "w") as sink:
        summary = camera.run_camera(model, sources.open_capture(path), path, camera.CameraOptions(headless=True),
                                    output=sink)
    result = {"camera_fps": summary.frames / summary.seconds}
    for name in ("specks", "blobs"):
        frame = cv2.imread(os.path.join(frames_dir, name + ".png"), cv2.IMREAD_GRAYSCALE)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            classify.classify_image(model, frame)
            times.append(time.perf_counter() - start)
        result[name + "_ms_max"] = 1e3 * max(times)
else:
    with np.load(os.environ["MNIST_NPZ"]) as data:
        images, labels = data["x_test"], data["y_test"]
    photos = synthetic.make_photo_set(images, labels, 500, seed=0)
    true = found = correct = 0
    for photo in photos:
        digits = classify.classify_image(model, photo.image)
        pairs = synthetic.match_digits(photo, digits)
        true, found = true + len(photo.labels), found + len(digits)
        correct += synthetic.count_correct(photo, digits, pairs)
    sheet = cv2.imread(sys.argv[3], cv2.IMREAD_GRAYSCALE)
    cells = sheet.reshape(50, 20, 100, 20).transpose(0, 2, 1, 3).reshape(5000, 20, 20)
    padded = [classify.read_number(classify.classify_image(model, cv2.copyMakeBorder(
        cell, 8, 8, 8, 8, cv2.BORDER_CONSTANT, value=0), min_score=0.0)) for cell in cells]
    truth = np.repeat(np.arange(10), 500)
    result = {"photo_recall": correct / true, "photo_precision": correct / found,
              "digits_png_padded": float(np.mean([r == str(t) for r, t in zip(padded, truth)]))}
print("RESULT " + json.dumps(result))
"""


def adversarial_frames(directory):
    import cv2

    sys.path.insert(0, str(REPO))
    from edge_runtime import benchmark

    cv2.imwrite(os.path.join(directory, "specks.png"), benchmark.speckled_frame())
    cv2.imwrite(os.path.join(directory, "blobs.png"), benchmark.blobby_frame())
    # Both runtimes read the same camera frame: this checkout's 640x480 example, five digits in a row.
    frame = next((REPO / "edge_runtime" / "examples").glob("frame_*.jpg"))
    cv2.imwrite(os.path.join(directory, "frame.jpg"), cv2.imread(str(frame), cv2.IMREAD_COLOR))


def run_child(checkout, task, frames_dir):
    environment = dict(os.environ, PYTHONPATH=str(checkout))
    if task == "speed_one_thread":
        environment["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = "threads;1"
    result = subprocess.run([sys.executable, "-c", CHILD, task, frames_dir, DIGITS_PNG], env=environment,
                            capture_output=True, text=True, cwd=checkout)
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"{checkout}: {task} failed: {result.stderr.strip()[-800:]}")
    return json.loads(lines[0][len("RESULT "):])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the earlier commit (e.g. b66df21)")
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    os.environ.setdefault("MNIST_NPZ", str(REPO.parent / "shared" / "data" / "mnist.npz"))
    with tempfile.TemporaryDirectory(prefix="mnist-edge-against-") as scratch:
        old = Path(scratch) / "old"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(old), arguments.against],
                       check=True, capture_output=True)
        try:
            adversarial_frames(scratch)
            checkouts = {"before": old, "now": REPO}
            speed = {name: [] for name in checkouts}
            for round_ in range(arguments.rounds):
                # Each runtime goes first in every other round: a machine that slows or speeds
                # up within a round must not favour one of them.
                for name, checkout in list(checkouts.items())[::1 if round_ % 2 == 0 else -1]:
                    run = run_child(checkout, "speed", scratch)
                    one_thread = run_child(checkout, "speed_one_thread", scratch)
                    speed[name].append({**run, **{key + "_one_thread": value for key, value in one_thread.items()}})
            accuracy = {name: run_child(checkout, "accuracy", scratch) for name, checkout in checkouts.items()}
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], capture_output=True)
    report = {name: {**{key: float(np.median([run[key] for run in runs])) if key.startswith("camera_fps")
                        else float(max(run[key] for run in runs)) for key in runs[0]},
                     **accuracy[name]} for name, runs in speed.items()}
    for suffix in ("", "_one_thread"):
        key = "camera_fps" + suffix
        report["fps_now_over_before" + suffix] = report["now"][key] / report["before"][key]
        paired = [now[key] / before[key] for now, before in zip(speed["now"], speed["before"])]
        report["fps_ratio_per_round" + suffix] = paired
        report["fps_ratio_median_of_rounds" + suffix] = float(np.median(paired))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
