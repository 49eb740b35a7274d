"""Shared helpers for the `mnist-edge serve` tests: a video whose number changes halfway, a
capture the test lets frames through one batch at a time, and a service running on a free
port of 127.0.0.1 with its camera loop in a thread."""

import contextlib
import http.client
import json
import threading
import time

from conftest_edge import INT8_MODEL, load_model, mnist_test_arrays
from edge_runtime import camera, serve, sources, synthetic, video

FRAMES_PER_NUMBER = 12
PATIENCE_SECONDS = 60  # only so a broken build fails instead of hanging; never a speed limit


def write_number_video(path, count=2, frames_per_number=FRAMES_PER_NUMBER, seed=3):
    """A 640x480 MJPG .avi showing one generated number after another; returns the numbers."""
    images, labels = mnist_test_arrays()
    photos = synthetic.make_photo_set(images[:40], labels[:40], count, seed=seed,
                                      options=synthetic.PhotoOptions(digits=(3, 4), row_band=0.3))
    video.write_video(path, [photo.image for photo in photos for _ in range(frames_per_number)], fps=15)
    return ["".join(map(str, photo.labels)) for photo in photos]


class GatedCapture:
    """A real cv2.VideoCapture whose read() waits until the test lets the next frame through."""

    def __init__(self, path):
        self.capture, self.gate = sources.open_capture(str(path)), threading.Semaphore(0)

    def allow(self, frames):
        for _ in range(frames):
            self.gate.release()

    def read(self):
        if not self.gate.acquire(timeout=PATIENCE_SECONDS):
            return False, None  # a failed test ends the loop instead of leaving it waiting
        return self.capture.read()

    def release(self):
        self.capture.release()


def wait_until(condition, what):
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


class Running:
    """A Service on 127.0.0.1 with its camera loop in a thread; `summary` once the loop ends."""

    def __init__(self, service, capture):
        self.service, self.capture, self.summary, self.error = service, capture, None, None
        self.feed = service.feed
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        try:
            self.summary = self.service.run_loop(load_model(INT8_MODEL), self.capture,
                                                 camera.CameraOptions(headless=True, quiet=True))
        except Exception as error:  # noqa: BLE001 - the test asserts on it
            self.error = error

    def frames(self):
        return self.feed.latest()[0]

    def wait_for_end(self):
        self.thread.join(PATIENCE_SECONDS)
        assert not self.thread.is_alive() and self.error is None, self.error
        return self.summary

    def request(self, method, path, headers=None, body=None, whole=True):
        """(status, headers, body bytes) of one request; whole=False: only the bytes already
        there, so a stream answered by mistake ends the test instead of holding it."""
        connection = http.client.HTTPConnection("127.0.0.1", self.service.port, timeout=PATIENCE_SECONDS)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read() if whole else response.read1(1 << 16)
        finally:
            connection.close()

    def get_json(self, path, headers=None):
        status, _, body = self.request("GET", path, headers)
        return status, json.loads(body)


@contextlib.contextmanager
def running_service(video_path, gated=False, start=True, **settings):
    """Yield a Running service on a free port; the loop starts at once unless start=False."""
    settings.setdefault("port", 0)
    service = serve.Service(load_model(INT8_MODEL), video_path, serve.ServeSettings(**settings))
    capture = GatedCapture(video_path) if gated else sources.open_capture(str(video_path))
    running = Running(service, capture)
    try:
        if start:
            running.thread.start()
        yield running
    finally:
        if gated:
            capture.allow(10_000)  # let a loop the test left waiting run to its end
        service.server.stop()
        if running.thread.is_alive():
            running.thread.join(PATIENCE_SECONDS)


def read_stream_part(response):
    """One part of a multipart/x-mixed-replace stream: (headers dict, JPEG bytes)."""
    line = response.readline().strip()
    while line in (b"", b"--frame"):  # the boundary that ended the previous part
        line = response.readline().strip()
    headers = {}
    while line:
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
        line = response.readline().strip()
    data = response.read(int(headers["content-length"]))
    return headers, data
