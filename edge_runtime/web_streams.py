"""The long responses of `mnist-edge serve`: the MJPEG stream and the Server-Sent Events.

One thread per client; it takes the newest frame whenever its client is ready for one, at
most `stream_fps` a second, so a slow client misses frames and the camera loop never waits.
"""

import json
import select
import socket
import time

BOUNDARY = "frame"
REPEAT_SECONDS = 1.0      # a stream with no new frame this long sends the last one again
STATUS_SECONDS = 1.0      # how often event streams get the health object (fps, latency)
# Kernel send buffer of a stream connection (Linux doubles it): a viewer that stops reading holds
# a few frames' worth instead of the megabytes autotuning would grow to, and falls behind by no more.
STREAM_SEND_BUFFER = 128 * 1024


class StreamResponses:
    """Mixed into web.Handler: `self.server` is the WebServer, `self.wfile` the client's socket."""

    def stream(self, url):
        if not self.join("stream"):
            return
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, STREAM_SEND_BUFFER)
            self.start_stream(f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            self.wfile.write(f"--{BOUNDARY}\r\n".encode())
            sent = 0
            while not self.server.stopping.is_set():
                self.server.feed.wait_for_frame(sent, REPEAT_SECONDS)
                # The newest frame, or the same one again after a quiet second: browsers show a
                # part only once the next one arrives, so a paused or finished source needs it.
                sent = self.send_frame()
                if sent == 0 and self.peer_closed():  # no frame yet: nothing to notice a write fail on
                    return
                self.pause()
        finally:
            self.server.feed.metrics.leave("stream")

    def send_frame(self):
        feed = self.server.feed
        sequence, index, data = feed.jpeg()
        if data is not None:
            head = f"Content-Type: image/jpeg\r\nContent-Length: {len(data)}\r\nX-Frame-Index: {index}\r\n\r\n"
            # The boundary right after the image: a browser shows a part once the next one begins.
            with feed.sending():
                self.wfile.write(b"".join((head.encode(), data, f"\r\n--{BOUNDARY}\r\n".encode())))
            feed.metrics.sent.inc()
        return sequence

    def events(self, url):
        """Server-Sent Events: 'reading' (one `camera --json` object) as frames come, at most
        stream_fps a second, and 'status' (the health object) every second."""
        if not self.join("events"):
            return
        feed = self.server.feed
        try:
            self.start_stream("text/event-stream")
            self.wfile.write(b"retry: 2000\n\n")
            sent, next_status = 0, 0.0
            while not self.server.stopping.is_set():
                sequence = feed.wait_for_frame(sent, max(0.0, next_status - time.monotonic()))
                if sequence != sent:
                    sent = sequence
                    self.send_event("reading", feed.reading_json())
                if time.monotonic() >= next_status:
                    self.send_event("status", json.dumps(feed.health()))
                    next_status = time.monotonic() + STATUS_SECONDS
                self.pause()
        finally:
            feed.metrics.leave("events")

    def send_event(self, name, data):
        self.wfile.write(f"event: {name}\ndata: {data}\n\n".encode())

    def join(self, kind):
        if self.server.feed.metrics.join(kind, self.server.limits.max_clients):
            return True
        self.server.feed.metrics.refused.inc()
        self.send_text(503, f"too many {kind} clients (at most {self.server.limits.max_clients}); try again later\n",
                       [("Retry-After", "5")])
        return False

    def start_stream(self, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def pause(self):
        """At most stream_fps sends a second per client; returns early when the server stops."""
        self.server.stopping.wait(1.0 / self.server.limits.stream_fps)

    def peer_closed(self):
        """True when the client has closed its end (a readable socket with nothing to read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

