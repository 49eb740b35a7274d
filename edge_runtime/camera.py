"""The camera loop: read frames, classify, draw, show or print, save snapshots, stop cleanly."""

import collections
import dataclasses
import sys
import time

import cv2

from edge_runtime import classify, draw, output as output_lines, snapshots, sources
from edge_runtime.errors import UserInputError

WINDOW = "mnist-edge"
QUIT_KEYS = (ord("q"), 27)  # q or Esc

LoopSummary = collections.namedtuple("LoopSummary", ["frames", "seconds", "stopped_by"])
LoopSummary.__doc__ = "How a camera loop ended: frames processed, wall time, and why it stopped."


@dataclasses.dataclass
class CameraOptions:
    """What the loop does with each frame besides classifying it."""

    headless: bool = False        # no window, no cv2.imshow/waitKey: safe over SSH and in services
    json: bool = False            # one JSON object per frame on stdout (headless alone: a human line)
    save_dir: str = None          # annotated snapshot + 28x28 crops whenever the reading changes
    min_score: float = classify.DEFAULT_MIN_SCORE
    max_frames: int = None
    save_limit_bytes: int = snapshots.DEFAULT_LIMIT_BYTES  # oldest snapshots go first past this
    quiet: bool = False           # headless without --json prints nothing (serve: the page shows it)


@dataclasses.dataclass
class FrameEvent:
    """One processed frame, handed to listeners (web server, MQTT) after classification."""
    index: int
    record: dict          # exactly the object printed as one `camera --json` line
    frame: object         # the BGR numpy frame; listeners must not modify it (copy to keep)
    digits: list          # classify.Digit list
    timings: dict         # seconds per stage: {"capture": .., "preprocess": .., "inference": ..}


class FpsMeter:
    """Frames per second, smoothed so the on-screen number is readable."""

    def __init__(self, smoothing=0.9):
        self.smoothing, self.fps, self.last = smoothing, 0.0, None

    def tick(self):
        now = time.perf_counter()
        if self.last is not None and now > self.last:
            instant = 1.0 / (now - self.last)
            self.fps = instant if self.fps == 0 else self.smoothing * self.fps + (1 - self.smoothing) * instant
        self.last = now
        return self.fps


def show(canvas):
    """Display a frame; True when the user asked to quit. Fails clearly without a display."""
    try:
        cv2.imshow(WINDOW, canvas)
        return (cv2.waitKey(1) & 0xFF) in QUIT_KEYS
    except cv2.error:
        raise UserInputError("cannot open a window (no display, or OpenCV built without GUI "
                             "support such as opencv-python-headless); use --headless") from None


def classify_timed(model, frame, min_score):
    """Digits of one frame and the seconds spent preprocessing and in the interpreter."""
    start, invoked = time.perf_counter(), model.inference_seconds
    digits = classify.classify_image(model, frame, min_score)
    inference = model.inference_seconds - invoked
    return digits, {"preprocess": time.perf_counter() - start - inference, "inference": inference}


def handle_frame(model, frame, index, state, options, output, listeners=(), capture_seconds=0.0):
    """Classify one frame, print/draw/save as asked, tell the listeners; True when the user asked to quit."""
    digits, timings = classify_timed(model, frame, options.min_score)
    number = classify.read_number(digits)
    fps = state["meter"].tick()
    printing = options.json or (options.headless and not options.quiet)  # a window shows the reading itself
    if printing or listeners:  # the record is built only for someone who reads it
        record = classify.to_record(state["source"], digits, frame=index,
                                    time=round(time.perf_counter() - state["start"], 3))
    if printing:
        print_frame(record, options, output)
    if listeners:
        event = FrameEvent(index, record, frame, digits, dict(timings, capture=capture_seconds))
        for listener in listeners:
            listener.on_frame(event)
    save = bool(options.save_dir and digits and number != state["last_number"])
    state["last_number"] = number
    if options.headless and not save:
        return False  # nothing to show or save: drawing would be wasted work
    canvas = draw.draw_status(draw.draw_digits(frame, digits), number, fps)
    if save:
        state["snapshots"].save(index, canvas, digits)
    return False if options.headless else show(canvas)


def print_frame(record, options, output):
    """One JSON line with --json, else one human line ('video.avi#12: 407  [4 (0.99), ...]')."""
    text = output_lines.json_record(record) if options.json else output_lines.human_line(record)
    output_lines.write_line(output, text)


def timed(frames):
    """(frame, seconds it took to arrive) for each frame: the capture stage of the loop."""
    iterator = iter(frames)
    while True:
        start = time.perf_counter()
        try:
            frame = next(iterator)
        except StopIteration:
            return
        yield frame, time.perf_counter() - start


def run_camera(model, capture, source, options=CameraOptions(), live=False, output=None, listeners=()):
    """Run until end of stream, Ctrl-C, 'q', or max_frames; always releases the capture and
    closes the listeners (each gets on_frame(FrameEvent) after every frame, then close())."""
    output = sys.stdout if output is None else output
    state = {"meter": FpsMeter(), "source": str(source), "start": time.perf_counter(), "last_number": None}
    frames, stopped_by = 0, "end of stream"
    try:
        if options.save_dir:  # inside the try: a folder we cannot make must still release the camera
            state["snapshots"] = snapshots.SnapshotFolder(options.save_dir, options.save_limit_bytes)
        for frame, seconds in timed(sources.read_frames(capture, live)):
            if handle_frame(model, frame, frames, state, options, output, listeners, seconds):
                stopped_by = "quit"
                frames += 1
                break
            frames += 1
            if options.max_frames is not None and frames >= options.max_frames:
                stopped_by = "frame limit"
                break
    except KeyboardInterrupt:
        stopped_by = "interrupted"
    finally:
        capture.release()
        if not options.headless:
            close_windows()
        for listener in listeners:
            listener.close()
    return LoopSummary(frames, time.perf_counter() - state["start"], stopped_by)


def close_windows():
    try:
        cv2.destroyAllWindows()
    except cv2.error:
        pass  # headless OpenCV build: there were no windows
