"""Load on `mnist-edge serve`: 5 viewers on the MJPEG stream plus 20 requests a second on the
JSON API and /metrics, against the same server with nobody connected. Reports the camera
loop's frames per second in both (the loaded one must keep at least 80 %), the server
process's memory at the start and end of each run and its peak, and every client error.

    python scripts/benchmark_serve.py [--seconds 60] [--rounds 2] [--streams 5] [--rate 20]

Each run is a fresh server process reading the shipped 640x480 example frame as a video,
replayed until the time is up; runs alternate (quiet, loaded, loaded, quiet, ...), so a busy
machine slows both alike. Needs only the edge runtime (no MNIST, no TensorFlow).

The server decodes and preprocesses with one thread by default (OpenCV's pool and its FFmpeg
decoder): with their own thread pools, the loop waits on a second core for every frame, and on
a virtual machine an idle core wakes slowly, so any thread waking 20 times a second (a client,
or a do-nothing ticker) speeds the loop up several times and the comparison would measure that,
not the server's cost. --decode-threads 0 keeps OpenCV's defaults.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

API_PATHS = ["/api/reading", "/api/history", "/api/health", "/metrics"]


# The server side, run in a child process (`--child`): its memory is the server's alone.

class LoopingCapture:
    """A video file read again and again until `seconds` after the first read, then its end."""

    def __init__(self, path, seconds):
        import cv2

        self.cv2, self.capture, self.seconds, self.deadline = cv2, cv2.VideoCapture(str(path)), seconds, None

    def read(self):
        if self.deadline is None:
            self.deadline = time.monotonic() + self.seconds
        if time.monotonic() >= self.deadline:
            return False, None
        ok, frame = self.capture.read()
        if not ok:
            self.capture.set(self.cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self.capture.read()
        return ok, frame

    def release(self):
        self.capture.release()


def memory_kib(field):
    with open("/proc/self/status") as status:
        return int(next(line.split()[1] for line in status if line.startswith(field + ":")))


def sample_memory(samples, done, every=1.0):
    """The process's resident memory (MiB) once a second until `done`, and once more at the end."""
    while True:
        samples.append(round(memory_kib("VmRSS") / 1024, 1))
        if done.wait(every):
            samples.append(round(memory_kib("VmRSS") / 1024, 1))
            return


def child(video_path, seconds, decode_threads):
    """Serve on a free port, print it, wait for 'go' on stdin, run the loop, print the summary."""
    from edge_runtime import MODELS_DIR, camera, serve
    from edge_runtime.model import DigitModel

    model = DigitModel(MODELS_DIR / "model_int8.tflite")
    if decode_threads:
        import cv2

        cv2.setNumThreads(decode_threads)
    with serve.Service(model, video_path, serve.ServeSettings(port=0)) as service:
        print(service.port, flush=True)
        sys.stdin.readline()
        samples, done = [], threading.Event()
        sampler = threading.Thread(target=sample_memory, args=(samples, done), daemon=True)
        sampler.start()
        summary = service.run_loop(model, LoopingCapture(video_path, seconds),
                                   camera.CameraOptions(headless=True, quiet=True))
        done.set()
        sampler.join()
        result = {"frames": summary.frames, "seconds": summary.seconds, "fps": summary.frames / summary.seconds,
                  "rss_mib": samples, "rss_peak_mib": memory_kib("VmHWM") / 1024}
        print(json.dumps(result), flush=True)
        sys.stdin.readline()  # the clients are done: only now may the server stop


# The clients, in this process.

class Clients:
    """`streams` MJPEG viewers reading as fast as frames come, and `rate` API requests a second."""

    def __init__(self, port, streams, rate):
        self.port, self.rate, self.stop = port, rate, threading.Event()
        self.frames, self.requests, self.errors, self.latencies = [0] * streams, 0, [], []
        self.threads = [threading.Thread(target=self.watch, args=(number,), daemon=True) for number in range(streams)]
        self.threads.append(threading.Thread(target=self.poll, daemon=True))

    def start_streams(self):
        for thread in self.threads[:-1]:
            thread.start()

    def start_requests(self):
        self.threads[-1].start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(30)

    def watch(self, number):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            connection.request("GET", "/stream.mjpg")
            response = connection.getresponse()
            if response.status != 200:
                raise RuntimeError(f"stream answered {response.status}")
            while not self.stop.is_set():
                length = next_part_length(response)
                if len(response.read(length)) != length:
                    raise RuntimeError("stream ended inside a frame")
                self.frames[number] += 1
            connection.close()
        except Exception as error:  # noqa: BLE001 - every failure is a reported error
            self.errors.append(f"stream {number}: {error}")

    def poll(self):
        while not self.stop.is_set() and not has_a_reading(self.port):  # before the first frame: 503 by design
            self.stop.wait(0.01)
        next_time = time.monotonic()
        while not self.stop.is_set():
            path = API_PATHS[self.requests % len(API_PATHS)]
            start = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                connection.close()
                if response.status != 200 and not loop_ended(path, response.status, body):
                    self.errors.append(f"{path}: {response.status}")
            except Exception as error:  # noqa: BLE001
                self.errors.append(f"{path}: {error}")
            self.latencies.append(time.perf_counter() - start)
            self.requests += 1
            next_time += 1.0 / self.rate
            self.stop.wait(max(0.0, next_time - time.monotonic()))


def has_a_reading(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/api/reading")
    status = connection.getresponse().status
    connection.close()
    return status == 200


def loop_ended(path, status, body):
    """/api/health says 503 once the run's video has ended, which is no error of the server."""
    return path == "/api/health" and status == 503 and json.loads(body)["camera"]["stopped"] == "end of stream"


def next_part_length(response):
    """Skip to the next part's headers and return its Content-Length."""
    length = None
    while True:
        line = response.readline()
        if not line:
            raise RuntimeError("stream closed")
        line = line.strip()
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
        elif not line and length is not None:
            return length


def run_server(video_path, seconds, decode_threads, streams=0, rate=0):
    """One run: a fresh server process, optionally loaded; the child's summary plus client figures."""
    command = [sys.executable, __file__, "--child", str(video_path), str(seconds), str(decode_threads)]
    environment = dict(os.environ, PYTHONPATH=str(REPO))
    if decode_threads:
        environment["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = f"threads;{decode_threads}"
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=environment)
    port = int(process.stdout.readline())
    clients = Clients(port, streams, rate) if streams or rate else None
    if clients:
        clients.start_streams()
        time.sleep(1.0)  # every viewer connected before the loop starts
    process.stdin.write("go\n")
    process.stdin.flush()
    if clients:
        clients.start_requests()
    result = json.loads(process.stdout.readline())
    if clients:
        clients.finish()
        result.update(stream_frames=clients.frames, requests=clients.requests, errors=clients.errors,
                      api_p50_ms=1000 * statistics.median(clients.latencies),
                      api_max_ms=1000 * max(clients.latencies))
    process.stdin.close()
    process.wait(30)
    return result


def make_video(path, frames=300):
    """The shipped 640x480 example frame, shifted a pixel or so per frame (as `mnist-edge benchmark`)."""
    import cv2
    import numpy as np

    from edge_runtime import EXAMPLES_DIR, video

    frame = cv2.imread(str(sorted(EXAMPLES_DIR.glob("frame_*"))[0]), cv2.IMREAD_COLOR)
    video.write_video(path, (np.roll(frame, index % 7, axis=1) for index in range(frames)))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        return child(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--streams", type=int, default=5)
    parser.add_argument("--rate", type=float, default=20, help="API requests per second")
    parser.add_argument("--decode-threads", type=int, default=1,
                        help="threads for OpenCV and its FFmpeg decoder in the server; 0: their own choice "
                             "(default 1, see the module docstring)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.avi"
        make_video(path)
        quiet, loaded = [], []
        for round_number in range(arguments.rounds):
            if round_number % 2 == 0:  # quiet first, then loaded first: neither always runs on a warmer machine
                quiet.append(run_server(path, arguments.seconds, arguments.decode_threads))
            loaded.append(run_server(path, arguments.seconds, arguments.decode_threads, arguments.streams,
                                     arguments.rate))
            if round_number % 2 == 1:
                quiet.append(run_server(path, arguments.seconds, arguments.decode_threads))
            print(f"round {round_number + 1}: quiet {quiet[-1]['fps']:.1f} fps, loaded {loaded[-1]['fps']:.1f} fps "
                  f"({loaded[-1]['fps'] / quiet[-1]['fps']:.0%}), stream frames {loaded[-1]['stream_frames']}, "
                  f"{loaded[-1]['requests']} requests, {len(loaded[-1]['errors'])} errors", flush=True)
    report(quiet, loaded, arguments)


def memory_points(run):
    samples = run["rss_mib"]
    return {"start": samples[0], "after_10_percent": samples[len(samples) // 10], "end": samples[-1],
            "peak": round(run["rss_peak_mib"], 1)}


def report(quiet, loaded, arguments):
    ratio = statistics.median(run["fps"] for run in loaded) / statistics.median(run["fps"] for run in quiet)
    errors = [error for run in loaded for error in run["errors"]]
    summary = {
        "seconds_per_run": arguments.seconds, "rounds": arguments.rounds, "streams": arguments.streams,
        "decode_threads": arguments.decode_threads or "default",
        "api_requests_per_second": arguments.rate,
        "quiet_fps_median": statistics.median(run["fps"] for run in quiet),
        "loaded_fps_median": statistics.median(run["fps"] for run in loaded),
        "loaded_over_quiet": ratio,
        "stream_fps_per_viewer": statistics.mean(sum(run["stream_frames"]) / len(run["stream_frames"]) / run["seconds"]
                                                 for run in loaded),
        "api_requests_per_second_done": statistics.mean(run["requests"] / run["seconds"] for run in loaded),
        "api_p50_ms": statistics.median(run["api_p50_ms"] for run in loaded),
        "api_max_ms": max(run["api_max_ms"] for run in loaded),
        # Resident memory at the loop's start, after a tenth of the run, at its end, and the peak.
        "rss_mib_loaded": [memory_points(run) for run in loaded],
        "rss_mib_quiet": [memory_points(run) for run in quiet],
        "errors": errors,
    }
    print(json.dumps(summary, indent=2))
    if ratio < 0.8 or errors:
        sys.exit(f"benchmark_serve: loaded fps is {ratio:.0%} of quiet (needs 80 %), {len(errors)} errors")


if __name__ == "__main__":
    main()
