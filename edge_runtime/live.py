"""What the web server shows, fed by the camera loop: the latest frame in one slot, the recent
readings, rates and metrics. The loop hands each frame over and never waits for a client."""

import collections
import contextlib
import threading
import time

import cv2

from edge_runtime import camera, draw, metrics, output, snapshots, sources

JPEG_QUALITY = 80
STAGES = ("capture", "preprocess", "inference")
SMOOTHING = 0.9  # of the per-stage averages the page shows, like the loop's FPS meter


class LiveFeed:
    """A camera-loop listener (on_frame/close) that the web server's threads read from.

    The loop thread only swaps a reference into the slot and updates counters; drawing and
    JPEG encoding happen in the threads of the clients who watch, at most once per frame.
    The frame is kept by reference, not copied: the loop never writes to a frame it has
    handed over (every capture.read() returns a new array).
    """

    def __init__(self, model, source, history=50, snapshot_dir=None, save_limit_bytes=snapshots.DEFAULT_LIMIT_BYTES):
        self.model_path, self.backend, self.source = model.path, model.backend, str(source)
        self.changed = threading.Condition()      # notified after every frame and when the loop ends
        self.event, self.sequence, self.last_frame_time = None, 0, None
        self.history, self.last_number = collections.deque(maxlen=history), None
        self.meter, self.fps, self.stage_means = camera.FpsMeter(), 0.0, dict.fromkeys(STAGES, 0.0)
        self.running, self.stopped_by = True, None
        self.busy_streams = 0                     # stream clients in the middle of sending a frame
        self.encoded = (0, None)                  # (sequence, JPEG bytes) of the last frame encoded
        self.encode_lock, self.snapshot_lock = threading.Lock(), threading.Lock()
        self.snapshot_dir, self.save_limit_bytes, self.snapshot_folder = snapshot_dir, save_limit_bytes, None
        self.metrics = Metrics(self)

    # The loop's side: quick, no I/O, no waiting on clients.

    def on_frame(self, event):
        now = time.time()
        fps, number = self.meter.tick(), event.record["number"]
        changed = number != self.last_number
        entry = output.json_record(dict(event.record, wall_time=round(now, 3))) if changed else None
        with self.changed:
            self.event, self.sequence, self.last_frame_time, self.fps = event, self.sequence + 1, now, fps
            if changed:
                self.history.append(entry)  # JSON text: encoded once, when the reading changes
            dropped = self.busy_streams
            self.changed.notify_all()
        for stage in STAGES:
            self.stage_means[stage] = SMOOTHING * self.stage_means[stage] + (1 - SMOOTHING) * event.timings[stage]
        self.last_number = number
        self.metrics.frame_done(event, changed, dropped)

    def close(self):
        with self.changed:
            self.running = False
            self.changed.notify_all()

    def finish(self, stopped_by):
        """Why the loop ended ("end of stream", or the camera's error), for /api/health."""
        with self.changed:
            self.stopped_by, self.running = stopped_by, False
            self.changed.notify_all()

    # The clients' side.

    def wait_for_frame(self, after, timeout):
        """The sequence number of the newest frame once it is newer than `after` (or on timeout)."""
        with self.changed:
            self.changed.wait_for(lambda: self.sequence > after, timeout)
            return self.sequence

    @contextlib.contextmanager
    def sending(self):
        """Around a stream client's write: frames that arrive meanwhile count as dropped for it."""
        with self.changed:
            self.busy_streams += 1
        try:
            yield
        finally:
            with self.changed:
                self.busy_streams -= 1

    def latest(self):
        with self.changed:
            return self.sequence, self.event

    def jpeg(self):
        """(sequence, index, JPEG bytes) of the newest annotated frame, encoded once per frame."""
        with self.encode_lock:
            sequence, event = self.latest()
            if event is None:
                return 0, None, None
            if self.encoded[0] != sequence:
                ok, data = cv2.imencode(".jpg", self.annotated(event), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
                self.encoded = (sequence, data.tobytes() if ok else None)
                self.metrics.encoded.inc()
            return sequence, event.index, self.encoded[1]

    def annotated(self, event):
        return draw.draw_status(draw.draw_digits(event.frame, event.digits), event.record["number"], self.fps)

    def reading_json(self):
        """The current reading as the exact text of one `camera --json` line, or None before the first frame."""
        _, event = self.latest()
        return None if event is None else output.json_record(event.record)

    def history_json(self):
        """The readings each time the number changed, oldest first, each with its Unix wall_time."""
        with self.changed:
            entries = list(self.history)
        return '{"history": [' + ", ".join(entries) + "]}"

    def health(self):
        """Is the camera delivering frames, and what is reading them."""
        with self.changed:
            last, frames, running, stopped_by = self.last_frame_time, self.sequence, self.running, self.stopped_by
        age = None if last is None else round(time.time() - last, 3)
        alive = running and age is not None and age < sources.CAMERA_STALL_SECONDS
        return {"camera": {"alive": alive, "source": output.printable(self.source), "frames": frames,
                           "last_frame_time": last, "seconds_since_last_frame": age, "stopped": stopped_by},
                "model": self.model_path, "backend": self.backend, "fps": round(self.fps, 2),
                "latency_ms": {stage: round(1000 * self.stage_means[stage], 3) for stage in STAGES},
                "clients": self.metrics.client_counts()}

    def save_snapshot(self):
        """Save the newest frame, annotated, and its crops; return the file names written."""
        with self.snapshot_lock:
            _, event = self.latest()
            if event is None:
                return []
            if self.snapshot_folder is None:  # made on the first click, not for every run
                self.snapshot_folder = snapshots.SnapshotFolder(self.snapshot_dir, self.save_limit_bytes)
            self.snapshot_folder.save(event.index, self.annotated(event), event.digits)
            return snapshots.snapshot_names(event.index, event.digits)


class Metrics:
    """The feed's Prometheus metrics; frame_done runs in the loop, the rest in client threads."""

    def __init__(self, feed):
        self.feed = feed
        self.frames = metrics.Counter("mnist_edge_frames_total", "Frames the camera loop processed.")
        self.readings = metrics.Counter("mnist_edge_readings_total", "Frames in which at least one digit was read.")
        self.changes = metrics.Counter("mnist_edge_reading_changes_total", "Times the number read changed.")
        self.stages = {stage: metrics.Histogram("mnist_edge_stage_seconds",
                                                "Seconds per frame in each stage of the camera loop.",
                                                {"stage": stage}) for stage in STAGES}
        self.camera_errors = metrics.Counter("mnist_edge_camera_errors_total",
                                             "Reads from a live camera that returned no frame.")
        self.dropped = metrics.Counter("mnist_edge_stream_dropped_frames_total",
                                       "Frames a stream client missed because it was still sending an earlier one.")
        self.sent = metrics.Counter("mnist_edge_stream_frames_sent_total", "JPEG frames sent to stream clients.")
        self.encoded = metrics.Counter("mnist_edge_stream_frames_encoded_total", "Frames annotated and JPEG-encoded.")
        self.refused = metrics.Counter("mnist_edge_http_refused_total",
                                       "Connections refused with 503 because the client limit was reached.")
        self.unauthorized = metrics.Counter("mnist_edge_http_unauthorized_total", "Requests refused with 401.")
        self.clients = {"stream": 0, "events": 0}
        self.clients_lock = threading.Lock()

    def frame_done(self, event, changed, dropped):
        self.frames.inc()
        if event.digits:
            self.readings.inc()
        if changed:
            self.changes.inc()
        if dropped:
            self.dropped.inc(dropped)
        for stage, histogram in self.stages.items():
            histogram.observe(event.timings[stage])

    def join(self, kind, limit):
        """Count a new stream or event client; False when `limit` of that kind are connected."""
        with self.clients_lock:
            if self.clients[kind] >= limit:
                return False
            self.clients[kind] += 1
            return True

    def leave(self, kind):
        with self.clients_lock:
            self.clients[kind] -= 1

    def client_counts(self):
        with self.clients_lock:
            return dict(self.clients)

    def render(self):
        last = lambda: self.feed.last_frame_time or 0  # noqa: E731
        gauges = [metrics.Gauge("mnist_edge_last_frame_timestamp_seconds",
                                "Unix time of the last frame processed (0 before the first).", last),
                  metrics.Gauge("mnist_edge_stream_clients", "Clients watching the MJPEG stream.",
                                lambda: self.client_counts()["stream"]),
                  metrics.Gauge("mnist_edge_event_clients", "Clients following the reading events.",
                                lambda: self.client_counts()["events"]),
                  metrics.Gauge("mnist_edge_fps", "Frames per second of the camera loop, smoothed.",
                                lambda: round(self.feed.fps, 3))]
        counters = [self.frames, self.readings, self.changes, self.camera_errors, self.dropped, self.sent,
                    self.encoded, self.refused, self.unauthorized]
        return metrics.render([*counters, *self.stages.values(), *gauges])


class CountingCapture:
    """A capture whose failed reads (a live camera that returned no frame) are counted."""

    def __init__(self, capture, counter):
        self.capture, self.counter = capture, counter

    def read(self):
        ok, frame = self.capture.read()
        if not ok or frame is None:
            self.counter.inc()
        return ok, frame

    def release(self):
        self.capture.release()
