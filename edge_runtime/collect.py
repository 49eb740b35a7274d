"""mnist-edge collect: save every digit the runtime reads as a labelled crop, to fine-tune on.

The layout is the folder-per-class one that Keras' image_dataset_from_directory and most
image tools read, so a wrong label is fixed by moving a file to another folder:

    DIR/<label>/<stem>-<frame>-<n>.png      the 28x28 crop the model saw (white on black)
    DIR/unsure/<stem>-<frame>-<n>.png       crops whose score was below --unsure-below
    DIR/originals/<stem>-<frame>-<n>.png    the same digit cut from the source frame, box + margin

`unsure/` and `originals/` are not classes. A still camera sees the same digit in every
frame: a crop that matches one saved from the same source a moment before is skipped.
"""

import dataclasses
import os
import re
import time
from pathlib import Path

import cv2

from edge_runtime import classify, files, image_files, snapshots, sources
from edge_runtime.duplicates import RecentCrops
from edge_runtime.errors import ModelError, UserInputError, first_line

UNSURE = "unsure"
ORIGINALS = "originals"
DEFAULT_UNSURE_BELOW = 0.9
MARGIN_FRACTION = 0.15  # of the box's longer side, around the original crop: the stroke ends stay in view
UNSAFE_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclasses.dataclass(frozen=True)
class CollectOptions:
    unsure_below: float = DEFAULT_UNSURE_BELOW
    min_score: float = classify.DEFAULT_MIN_SCORE
    every: int = 1            # read every Nth frame of a video or camera
    max_frames: int = None    # stop after this many frames read, over all sources


@dataclasses.dataclass
class Tally:
    """What one source (or a whole run) gave."""

    frames: int = 0
    saved: int = 0        # crops written, label folders and unsure/ together
    unsure: int = 0
    duplicates: int = 0   # near-duplicates of a crop saved a moment before
    existing: int = 0     # names already under DIR (an earlier run): never overwritten

    def add(self, other):
        for field in dataclasses.fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


def crop_name(stem, frame, position):
    """'clip-000012-3.png': the 4th digit (reading order) of frame 12 of clip.avi."""
    return f"{stem}-{frame:06d}-{position}.png"


def source_stem(source, now=None):
    """A file's name without its extension; a camera or stream gets the start time as well
    ('camera0_20250611_153000'), so a second session does not reuse the first one's names.
    Only letters, digits, '_', '.', '-' are kept, and never a leading dot (a hidden file)."""
    parsed = sources.parse_camera_source(source)
    if isinstance(parsed, int) or parsed == "picamera" or "://" in str(parsed):
        name = f"camera{parsed}" if isinstance(parsed, int) else Path(str(parsed)).stem or "stream"
        name += time.strftime("_%Y%m%d_%H%M%S", time.localtime(now))
    else:
        name = Path(str(parsed)).stem
    return UNSAFE_NAME_CHARACTERS.sub("_", name).lstrip(".") or "image"


def unique_stems(items):
    """One stem per source; a second photo.png (in another folder) becomes photo_2."""
    counts, stems = {}, []
    for source, _ in items:
        stem = source_stem(source)
        counts[stem] = counts.get(stem, 0) + 1
        stems.append(stem if counts[stem] == 1 else f"{stem}_{counts[stem]}")
    return stems


def check_labels(labels):
    """Labels name folders beside unsure/ and originals/: the two must not be classes too."""
    clash = [label for label in labels if label in (UNSURE, ORIGINALS)]
    if clash:
        raise ModelError(f"the model's label {clash[0]!r} would share a folder with collect's {clash[0]}/")


def prepare_out(out):
    """The output folder as a Path; a file of that name is refused before anything is made or run."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise UserInputError(f"{out}: not a folder (a file of that name exists)")
    return Path(out)


def existing_names(out):
    """Crop names already under DIR, in whatever folder the user has moved them to."""
    return {entry.name for folder in Path(out).iterdir() if folder.is_dir() and folder.name != ORIGINALS
            for entry in folder.iterdir() if entry.suffix == ".png"}


def remove_stale_temporaries(out):
    """Half-written PNGs of a killed run, in every folder we write to."""
    for folder in Path(out).iterdir():
        if folder.is_dir() and not folder.is_symlink():
            files.remove_stale_temporaries(folder)


def cut_original(frame, box, margin_fraction=MARGIN_FRACTION):
    """The digit's box plus a margin, cut from the frame at its own resolution (clipped to it)."""
    x, y, w, h = (int(v) for v in box)
    margin = max(2, round(margin_fraction * max(w, h)))
    return frame[max(0, y - margin):y + h + margin, max(0, x - margin):x + w + margin]


class CropFolder:
    """Writes crops and originals into DIR, each PNG atomically, never over an existing name."""

    def __init__(self, out, unsure_below):
        self.out, self.unsure_below = Path(out), unsure_below
        self.existing = existing_names(out)

    def folder_for(self, digit):
        return UNSURE if digit.score < self.unsure_below else str(digit.label)

    def save(self, name, digit, frame):
        """'saved', 'unsure' or 'existing'; the original first, so a crop always has one."""
        if name in self.existing:
            return "existing"
        folder = self.folder_for(digit)
        snapshots.save_png(self.out / ORIGINALS / name, cut_original(frame, digit.box))
        snapshots.save_png(self.out / folder / name, digit.image)
        self.existing.add(name)
        return "unsure" if folder == UNSURE else "saved"


def frames_of(source, every=1):
    """(frame index, image) of one source: every `every`th frame of a video or camera, or the
    one image of an image file."""
    if not (sources.is_video(source) or sources.is_live(source)):
        yield 0, image_files.read_image(source)
        return
    capture = sources.open_capture(source)
    read = 0
    try:
        for read, frame in enumerate(sources.read_frames(capture, sources.is_live(source)), start=1):
            if (read - 1) % every == 0:
                yield read - 1, frame
    finally:
        capture.release()
    if read == 0:
        raise UserInputError(f"{source}: video has no readable frames")


def collect_frame(model, frame, index, stem, recent, folder, options):
    """Classify one frame and save its new digits; returns this frame's Tally."""
    tally = Tally(frames=1)
    for position, digit in enumerate(classify.classify_image(model, frame, options.min_score)):
        if recent.is_duplicate(digit, index):
            tally.duplicates += 1
            continue
        outcome = folder.save(crop_name(stem, index, position), digit, frame)
        tally.existing += outcome == "existing"
        tally.saved += outcome != "existing"
        tally.unsure += outcome == "unsure"
    return tally


def collect_source(model, source, stem, folder, options, tally, frame_budget=None):
    """Save every new digit of one source, counting into `tally` as it goes; True when Ctrl-C
    stopped it (a camera is stopped that way: what was saved is kept and reported)."""
    recent = RecentCrops()
    frames = frames_of(source, options.every)
    try:
        for frames_read, (index, frame) in enumerate(frames):
            if frame_budget is not None and frames_read >= frame_budget:
                break
            tally.add(collect_frame(model, frame, index, stem, recent, folder, options))
    except KeyboardInterrupt:
        return True
    finally:
        frames.close()  # releases the camera now, not when the generator is collected
    return False


def collect_reported(model, item, stem, folder, options, budget, report):
    """(Tally, failed, interrupted) of one (source, problem) item; report() gets its outcome."""
    (source, problem), tally = item, Tally()
    try:
        if problem:
            raise UserInputError(f"{source}: {problem}")
        interrupted = collect_source(model, source, stem, folder, options, tally, budget)
    except (UserInputError, ValueError) as error:
        report(source, tally, str(error))
        return tally, True, False
    except cv2.error as error:  # backstop: a frame OpenCV cannot process is that source's error
        report(source, tally, f"{source}: image processing failed (OpenCV: {first_line(error)})")
        return tally, True, False
    report(source, tally, None)
    return tally, False, interrupted


def collect_inputs(model, items, out, options, report):
    """Collect from each (source, problem) of sources.expand_inputs into `out`, holding its
    lock; report(source, tally, error message or None) once per source. A bad source does not
    stop the others. Returns (total Tally, whether any source failed, why the run stopped)."""
    check_labels(model.labels)
    total, failed = Tally(), False
    with files.locked_folder(prepare_out(out)):
        remove_stale_temporaries(out)
        folder = CropFolder(out, options.unsure_below)
        for item, stem in zip(items, unique_stems(items)):
            budget = None if options.max_frames is None else options.max_frames - total.frames
            if budget == 0:
                return total, failed, "frame limit"
            tally, bad, interrupted = collect_reported(model, item, stem, folder, options, budget, report)
            total.add(tally)
            failed |= bad
            if interrupted:
                return total, failed, "interrupted"
    limited = options.max_frames is not None and total.frames >= options.max_frames
    return total, failed, "frame limit" if limited else "end of input"
