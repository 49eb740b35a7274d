"""`mnist-edge serve`: the camera loop and a web server in one process. The loop runs in the
main thread as `mnist-edge camera` does; the server's threads only read what it hands over.

A finished video file (or --max-frames) leaves the page up with the last reading until Ctrl-C
or SIGTERM; a camera that fails ends the command with status 1, server and all.
"""

import argparse
import dataclasses
import os
import signal
import socket
import sys
import threading

from edge_runtime import camera, cli, live, mqtt, snapshots, sources, web, web_auth
from edge_runtime.errors import UserInputError, run_command

DEFAULT_LISTEN = "127.0.0.1:8080"
DEFAULT_SNAPSHOT_DIR = "mnist-edge-snapshots"


@dataclasses.dataclass
class ServeSettings:
    """Where the server listens, who may see it, and how much it takes on."""

    host: str = "127.0.0.1"
    port: int = 8080                # 0: any free port (tests)
    token: str = None               # None: generated when needed (not on loopback)
    require_token: bool = False     # the token even on loopback (other users of the machine)
    limits: web.Limits = dataclasses.field(default_factory=web.Limits)
    history: int = 50               # readings kept for the page: memory stays bounded
    snapshot_dir: str = DEFAULT_SNAPSHOT_DIR
    save_limit_bytes: int = snapshots.DEFAULT_LIMIT_BYTES


class Service:
    """The web server and the feed it shows; a context manager that stops the server."""

    def __init__(self, model, source, settings=ServeSettings()):
        self.token, self.token_generated = web_auth.choose_token(settings.host, settings.token, settings.require_token)
        self.feed = live.LiveFeed(model, source, settings.history, settings.snapshot_dir, settings.save_limit_bytes)
        self.server = web.start_server(settings.host, settings.port, self.feed, web_auth.Access(self.token),
                                       settings.limits)

    @property
    def port(self):
        return self.server.server_address[1]

    def run_loop(self, model, capture, options, live_source=False, output=None, listeners=()):
        """The camera loop with the feed (and any other `listeners`) listening; the feed learns
        how and why it ended."""
        if live_source:
            capture = live.CountingCapture(capture, self.feed.metrics.camera_errors)
        try:
            summary = camera.run_camera(model, capture, self.feed.source, options, live=live_source,
                                        output=output, listeners=[self.feed, *listeners])
        except UserInputError as error:
            self.feed.finish(f"error: {error}")
            raise
        self.feed.finish(summary.stopped_by)
        return summary

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.server.stop()


def add_serve_arguments(parser):
    parser.add_argument("--listen", default=DEFAULT_LISTEN, metavar="ADDRESS:PORT",
                        help="where the web server listens (default %(default)s: this machine only; "
                             "any other address requires the access token)")
    parser.add_argument("--token", help=f"access token (default: ${web_auth.TOKEN_ENV}, else one is generated and "
                                        "printed when the address is not loopback)")
    parser.add_argument("--require-token", action="store_true",
                        help="require the token on loopback too (other users of this machine)")
    parser.add_argument("--max-clients", type=cli.positive_int, default=8,
                        help="MJPEG streams at once, and as many event streams (default %(default)s)")
    parser.add_argument("--stream-fps", type=cli.positive_number, default=15,
                        help="frames per second sent to one viewer at most (default %(default)s)")
    parser.add_argument("--history", type=cli.positive_int, default=50,
                        help="readings kept for the page (default %(default)s)")
    parser.add_argument("--snapshot-dir", default=DEFAULT_SNAPSHOT_DIR,
                        help="where the page's snapshot button saves (default %(default)s, "
                             "at most --save-limit-mb)")


def main(argv):
    parser = argparse.ArgumentParser(prog="mnist-edge serve",
                                     description="The camera loop with a live web page, a JSON API and "
                                                 "Prometheus metrics (no window: --headless is implied).")
    cli.add_camera_arguments(parser)
    add_serve_arguments(parser)
    return run_command("mnist-edge serve", run_serve_command, parser.parse_args(argv))


def settings_from(arguments):
    host, port = web_auth.parse_listen(arguments.listen)
    if arguments.save_dir and os.path.abspath(arguments.save_dir) == os.path.abspath(arguments.snapshot_dir):
        raise UserInputError(f"--snapshot-dir {arguments.snapshot_dir}: must differ from --save-dir "
                             "(each folder keeps its own size limit)")
    limits = web.Limits(max_clients=arguments.max_clients, stream_fps=arguments.stream_fps)
    return ServeSettings(host, port, arguments.token or os.environ.get(web_auth.TOKEN_ENV) or None,
                         arguments.require_token, limits, arguments.history, arguments.snapshot_dir,
                         int(arguments.save_limit_mb * 1_000_000))


def run_serve_command(arguments):
    settings = settings_from(arguments)
    publisher = mqtt.publisher_from_arguments(arguments)  # before the model: a bad option fails fast
    model = cli.load_model(arguments)
    options = cli.camera_options(arguments, headless=True, quiet=True)
    stop_on_sigterm()
    capture = sources.open_capture(arguments.source)  # a camera that cannot open gets no page
    try:
        service = Service(model, arguments.source, settings)
    except BaseException:
        capture.release()
        raise
    with service:
        announce(service, settings.host)
        summary = cli.run_loop(lambda listeners: service.run_loop(model, capture, options,
                                                                   sources.is_live(arguments.source),
                                                                   listeners=listeners), arguments, publisher)
        cli.print_summary("mnist-edge serve", summary)
        if summary.stopped_by in ("end of stream", "frame limit"):
            wait_until_interrupted("mnist-edge serve: still serving the last reading; Ctrl-C to stop")
    return 0


def announce(service, host):
    """The address to open, with the token when it was generated for this run (stderr: the journal)."""
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    url = f"http://{f'[{shown}]' if ':' in shown else shown}:{service.port}/"
    if service.token is None:
        note = f"this machine only; from another one: ssh -L {service.port}:127.0.0.1:{service.port} USER@THIS-HOST"
    elif service.token_generated:
        url, note = f"{url}?token={service.token}", f"access token generated for this run; set --token or " \
                                                     f"{web_auth.TOKEN_ENV} to keep one"
    else:
        note = "access token required: open ?token=TOKEN once, or send Authorization: Bearer TOKEN"
    print(f"mnist-edge serve: {url}  ({note})", file=sys.stderr, flush=True)


def stop_on_sigterm():
    """systemd and `kill` send SIGTERM: stop as Ctrl-C does (the loop's summary, a clean exit)."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


def wait_until_interrupted(message):
    """Say so, then serve until Ctrl-C or SIGTERM. The message is printed inside the wait's
    own handler: a SIGTERM sent as soon as it is read (a test, a supervisor under load) could
    otherwise land before the wait began and end the command as interrupted (status 130)."""
    try:
        print(message, file=sys.stderr, flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
