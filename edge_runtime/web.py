"""The web server of `mnist-edge serve`: the page, the JSON API, the MJPEG and event streams and
/metrics, on Python's own http.server (nothing to install or compile on a Pi).

Every connection has a thread, and their number is fixed: `max_clients` MJPEG streams, as many
event streams, `requests` other requests at a time; anything beyond gets 503. A client that
takes no data for `timeout` seconds is disconnected. Stream threads take the newest frame when
they are ready for one, so a slow client misses frames and the camera loop never waits.
"""

import dataclasses
import functools
import http.server
import json
import os
import socket
import sys
import threading
from urllib.parse import urlsplit

from edge_runtime import PACKAGE_DIR, web_streams
from edge_runtime.errors import UserInputError, os_error_message

PAGE = PACKAGE_DIR / "web_page.html"


@functools.cache
def page_bytes():
    """The page, read from the package once, not on every request."""
    return PAGE.read_bytes()


SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),  # no other site can frame the snapshot button
    ("Referrer-Policy", "no-referrer"),  # the first load's ?token= never leaks in a Referer
    ("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; "
                                "style-src 'self' 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'"),
]


@dataclasses.dataclass
class Limits:
    """How much the server takes on; every bound is on threads or bytes held per client."""

    max_clients: int = 8        # MJPEG streams at once, and as many event streams
    stream_fps: float = 15.0    # frames (and reading events) per second sent to one client at most
    requests: int = 16          # other requests handled at once
    timeout: float = 15.0       # seconds a client may take to accept data before it is dropped


class WebServer(http.server.ThreadingHTTPServer):
    """A thread per connection, up to a fixed number; the rest are refused with 503."""

    daemon_threads = True

    def __init__(self, address, feed, access, limits=Limits()):
        self.feed, self.access, self.limits = feed, access, limits
        self.stopping = threading.Event()
        self.slots = threading.BoundedSemaphore(2 * limits.max_clients + limits.requests)
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, Handler)

    def process_request(self, request, client_address):
        if not self.slots.acquire(blocking=False):
            self.feed.metrics.refused.inc()
            refuse(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()  # the thread never started
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request, client_address):
        """A client that went away mid-response is routine: no traceback for it."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def stop(self):
        """Stop accepting, end the stream threads, close the listening socket."""
        self.stopping.set()
        self.shutdown()
        self.server_close()


def refuse(request):
    """503 to a connection beyond the thread limit, written from the accepting thread."""
    body = b"too many clients, try again later\n"
    try:
        request.settimeout(1.0)
        request.sendall(b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\nRetry-After: 5\r\n"
                        b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    except OSError:
        pass


def start_server(host, port, feed, access, limits=Limits()):
    """A WebServer bound to host:port, serving from a daemon thread; one-line error if it cannot bind."""
    try:
        server = WebServer((host, port), feed, access, limits)
    except OSError as error:
        raise UserInputError(f"--listen {host}:{port}: {error.strerror or error}") from None
    threading.Thread(target=server.serve_forever, name="mnist-edge-web", daemon=True).start()
    return server


class Handler(web_streams.StreamResponses, http.server.BaseHTTPRequestHandler):
    server_version = "mnist-edge"
    sys_version = ""

    def setup(self):
        self.timeout = self.server.limits.timeout  # applied to the socket by StreamRequestHandler.setup
        super().setup()

    def log_message(self, format, *args):
        pass  # a line per request would flood the journal; /metrics counts what matters

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def route(self, method):
        url = urlsplit(self.path)
        access, feed = self.server.access, self.server.feed
        if not access.host_allowed(self.headers.get("Host")):
            return self.send_text(403, "this server answers only to 127.0.0.1 and localhost\n")
        if not access.allows(self.headers, url.query):
            feed.metrics.unauthorized.inc()
            return self.send_text(401, "access token required: open the link printed at start, "
                                       "or send Authorization: Bearer TOKEN\n",
                                  [("WWW-Authenticate", 'Bearer realm="mnist-edge"')])
        handler = ROUTES.get(url.path)
        if handler is None:
            return self.send_text(404, "not found\n")
        if method != handler[0]:
            return self.send_text(405, f"use {handler[0]}\n", [("Allow", handler[0])])
        handler[1](self, url)  # a client that goes away ends its thread (WebServer.handle_error)

    # Plain responses.

    def send_body(self, status, body, content_type, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_text(self, status, text, headers=()):
        self.send_body(status, text.encode(), "text/plain; charset=utf-8", headers)

    def send_json(self, status, value):
        text = value if isinstance(value, str) else json.dumps(value)
        self.send_body(status, text.encode(), "application/json")

    def page(self, url):
        if self.server.access.token is not None and "token" in url.query:
            # The link printed at start: keep the token in a cookie, not in the address bar.
            return self.send_text(303, "see /\n", [("Location", "/"), ("Set-Cookie", self.server.access.cookie_header())])
        self.send_body(200, page_bytes(), "text/html; charset=utf-8", SECURITY_HEADERS)

    def reading(self, url):
        text = self.server.feed.reading_json()
        if text is None:
            return self.send_json(503, {"error": "no frame processed yet"})
        self.send_json(200, text)

    def history(self, url):
        self.send_json(200, self.server.feed.history_json())

    def health(self, url):
        health = self.server.feed.health()
        self.send_json(200 if health["camera"]["alive"] else 503, health)

    def metrics(self, url):
        self.send_body(200, self.server.feed.metrics.render().encode(), "text/plain; version=0.0.4; charset=utf-8")

    def snapshot(self, url):
        if not self.same_origin():
            return self.send_json(403, {"error": "snapshot requests must come from this server's page"})
        feed = self.server.feed
        try:
            names = feed.save_snapshot()
        except OSError as error:  # a full SD card, a folder we may not write
            return self.send_json(500, {"error": os_error_message(error)})
        except ValueError as error:  # a model label that cannot be part of a file name
            return self.send_json(500, {"error": str(error)})
        if not names:
            return self.send_json(503, {"error": "no frame processed yet"})
        self.send_json(200, {"saved": names, "folder": os.path.abspath(feed.snapshot_dir)})

    def same_origin(self):
        """A browser names the page that sent a POST: another site's form cannot save snapshots."""
        origin = self.headers.get("Origin")
        return origin is None or urlsplit(origin).netloc == self.headers.get("Host")


ROUTES = {
    "/": ("GET", Handler.page),
    "/stream.mjpg": ("GET", Handler.stream),
    "/api/reading": ("GET", Handler.reading),
    "/api/history": ("GET", Handler.history),
    "/api/health": ("GET", Handler.health),
    "/api/events": ("GET", Handler.events),
    "/api/snapshot": ("POST", Handler.snapshot),
    "/metrics": ("GET", Handler.metrics),
}
