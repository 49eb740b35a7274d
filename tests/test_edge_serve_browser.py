"""The `mnist-edge serve` page in a real headless chromium: on a phone-sized screen, through the
token link, it shows the annotated stream and the reading, and the reading changes when the
video's number does. Set MNIST_EDGE_SCREENSHOT=path.png to keep the screenshot
(scripts/make_serve_screenshot.py does, for the README)."""

import os
import shutil

import cv2
import numpy as np
import pytest

from headless_chromium import Chromium, chromium_binary
from serve_fixtures import FRAMES_PER_NUMBER, running_service, wait_until, write_number_video

TOKEN = "browser-test-token-0123456789"
PHONE = (412, 915)     # CSS pixels of a common Android phone
DESKTOP = (1100, 760)  # the README's screenshot
# Pixels of the stream image as the browser decoded it that are the green of the digit boxes.
GREEN_PIXELS = """(() => {
  const image = document.getElementById("stream"), canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i + 1] > 150 && data[i] < 90 && data[i + 2] < 90) count++;
  return count;
})()"""


@pytest.fixture
def browser(tmp_path):
    chromium_binary()  # missing chromium: skip, or fail under CI
    chromium = Chromium(tmp_path / "profile", tmp_path / "chromium.log")
    yield chromium
    chromium.close()


def text_of(browser, session, element_id):
    return browser.evaluate(session, f'document.getElementById("{element_id}")?.textContent')


def wait_for_text(browser, session, element_id, expected):
    wait_until(lambda: text_of(browser, session, element_id) == expected, f"#{element_id} to read {expected!r}")


def history_numbers(browser, session):
    return browser.evaluate(session, '[...document.querySelectorAll("#history tr")].map(row => row.cells[1].textContent)')


def test_the_page_shows_the_stream_and_the_reading_changes_with_the_video(browser, tmp_path):
    path = tmp_path / "digits.avi"
    numbers = write_number_video(path)
    snapshot_dir = tmp_path / "snaps"
    with running_service(path, gated=True, require_token=True, token=TOKEN, snapshot_dir=str(snapshot_dir)) as running:
        running.capture.allow(FRAMES_PER_NUMBER)
        wait_until(lambda: running.frames() == FRAMES_PER_NUMBER, "the first number's frames")
        session = browser.open(f"http://127.0.0.1:{running.service.port}/?token={TOKEN}", *PHONE, mobile=True)
        wait_for_text(browser, session, "number", numbers[0])
        # The link's token went into a cookie: the address bar no longer shows it, and the
        # stream, the events and the history all got through with the cookie alone.
        assert browser.evaluate(session, "location.pathname + location.search") == "/"
        wait_until(lambda: browser.evaluate(session, 'document.getElementById("stream")?.naturalWidth') == 640,
                   "the stream's first frame")
        assert browser.evaluate(session, GREEN_PIXELS) > 500  # the boxes drawn on the frame
        assert browser.evaluate(session, 'document.querySelectorAll("#digits li").length') == len(numbers[0])
        wait_until(lambda: history_numbers(browser, session) == [numbers[0]], "the history's first row")
        # Nothing wider than the phone's screen.
        assert browser.evaluate(session, "document.documentElement.scrollWidth") <= PHONE[0]

        running.capture.allow(FRAMES_PER_NUMBER + 1)
        assert running.wait_for_end().frames == 2 * FRAMES_PER_NUMBER
        wait_for_text(browser, session, "number", numbers[1])
        wait_until(lambda: history_numbers(browser, session) == [numbers[1], numbers[0]], "the history's new row")
        wait_for_text(browser, session, "camera", f"end of stream after {2 * FRAMES_PER_NUMBER} frames")
        assert float(text_of(browser, session, "fps")) > 0

        browser.resize(session, *DESKTOP)
        wait_until(lambda: browser.evaluate(session, "window.innerWidth") == DESKTOP[0], "the wider window")
        picture = tmp_path / "page.png"
        picture.write_bytes(browser.screenshot(session))
        assert cv2.imdecode(np.fromfile(str(picture), np.uint8), cv2.IMREAD_COLOR).shape == (DESKTOP[1], DESKTOP[0], 3)
        if os.environ.get("MNIST_EDGE_SCREENSHOT"):
            shutil.copyfile(picture, os.environ["MNIST_EDGE_SCREENSHOT"])

        browser.evaluate(session, 'document.getElementById("snapshot").click()')
        last = 2 * FRAMES_PER_NUMBER - 1
        wait_until(lambda: text_of(browser, session, "snapshot-result").startswith(f"saved frame_{last:06d}.png"),
                   "the snapshot button's answer")
        assert sorted(p.name for p in snapshot_dir.iterdir()) == sorted(
            [f"frame_{last:06d}.png"] + [f"frame_{last:06d}_digit{i}_{label}.png" for i, label in enumerate(numbers[1])])
