"""Drive Debian's chromium headless over the DevTools protocol on a pipe (--remote-debugging-pipe):
JSON messages ended by a NUL byte on file descriptors 3 (to chromium) and 4 (from it). Nothing
to install besides chromium, no port to open, and the browser dies with the pipe."""

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time

from prerequisites import missing

PATIENCE_SECONDS = 60  # a browser that answers nothing this long has hung: the test fails


def chromium_binary():
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        missing("chromium is not installed (apt-get install chromium; `make test-data` does it)")
    return binary


def above_four(descriptor):
    """The same pipe end on a descriptor number of 10 or more (the original is closed)."""
    moved = fcntl.fcntl(descriptor, fcntl.F_DUPFD, 10)
    os.close(descriptor)
    return moved


class Chromium:
    """One headless browser; call(method, session, **params) sends a DevTools command."""

    def __init__(self, profile_dir, log_path):
        to_chromium_read, self.to_chromium = os.pipe()
        self.from_chromium, from_chromium_write = os.pipe()
        # Above 4, so that moving them to 3 and 4 in the child cannot close one another.
        to_chromium_read, from_chromium_write = (above_four(to_chromium_read), above_four(from_chromium_write))
        flags = ["--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                 "--disable-dev-shm-usage", "--disable-extensions", "--hide-scrollbars",
                 f"--user-data-dir={profile_dir}", "--remote-debugging-pipe"]
        if os.geteuid() == 0:
            flags.append("--no-sandbox")  # chromium refuses to run as root with its sandbox
        # The protocol wants exactly fds 3 and 4; the shell puts the pipe ends there.
        script = (f'exec "$0" "$@" 3<&{to_chromium_read} 4>&{from_chromium_write} '
                  f'{to_chromium_read}<&- {from_chromium_write}>&-')
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(["bash", "-c", script, chromium_binary(), *flags], stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=log, pass_fds=(to_chromium_read, from_chromium_write))
        os.close(to_chromium_read)
        os.close(from_chromium_write)
        self.buffer, self.last_id, self.log_path = b"", 0, log_path

    def call(self, method, session=None, **params):
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self.to_chromium, data):]
        while True:
            reply = self.receive()
            if reply.get("id") == self.last_id:
                if "error" in reply:
                    raise RuntimeError(f"chromium: {method}: {reply['error']}")
                return reply["result"]

    def receive(self):
        deadline = time.monotonic() + PATIENCE_SECONDS
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.from_chromium], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(self.from_chromium, 1 << 20) if ready else None
            if not chunk:
                raise RuntimeError(f"chromium {'exited' if chunk == b'' else 'stopped answering'}; "
                                   f"its log: {self.log_path}")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def open(self, url, width, height, mobile=False):
        """A new tab at `url` with a viewport of width x height CSS pixels; returns its session."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.resize(session, width, height, mobile)
        self.call("Page.navigate", session, url=url)
        return session

    def resize(self, session, width, height, mobile=False):
        self.call("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
                  deviceScaleFactor=1, mobile=mobile)

    def evaluate(self, session, expression):
        """The value of a JavaScript expression in the page (awaited when it is a promise)."""
        reply = self.call("Runtime.evaluate", session, expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"page script failed: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def screenshot(self, session):
        return base64.b64decode(self.call("Page.captureScreenshot", session, format="png")["data"])

    def close(self):
        for descriptor in (self.to_chromium, self.from_chromium):
            os.close(descriptor)
        try:
            self.process.wait(timeout=10)  # a closed pipe ends the browser
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
