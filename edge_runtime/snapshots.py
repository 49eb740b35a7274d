"""--save-dir: annotated frames and 28x28 crops, kept under a size limit (an SD card fills up)."""

import contextlib
import os
import re

import cv2

from edge_runtime import files
from edge_runtime.sidecar import SAFE_LABEL

DEFAULT_LIMIT_BYTES = 100_000_000  # --save-limit-mb 100
# The files this module writes, and only those: the limit never counts or removes anything else.
SNAPSHOT_NAME = re.compile(r"frame_\d{6,}(_digit\d+_[A-Za-z0-9_-]+)?\.png")


def snapshot_names(index, digits):
    """frame_000042.png, then frame_000042_digit0_7.png ... for each crop; a label that is not a
    plain name (sidecars are checked, this is the last line of defence) is a ValueError."""
    stem = f"frame_{index:06d}"
    for digit in digits:
        if not SAFE_LABEL.fullmatch(str(digit.label)):
            raise ValueError(f"label {str(digit.label)!r} cannot be part of a file name")
    return [f"{stem}.png", *(f"{stem}_digit{position}_{digit.label}.png" for position, digit in enumerate(digits))]


def save_png(path, image):
    """Write `image` as a PNG atomically; return its size in bytes (0 when OpenCV cannot encode it)."""
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        return 0
    files.write_bytes_atomic(path, encoded.tobytes())
    return len(encoded)


def save_snapshot(save_dir, index, canvas, digits):
    """Write one snapshot and its crops; return {file name: bytes}."""
    names = snapshot_names(index, digits)
    images = [canvas, *(digit.image for digit in digits)]
    return {name: save_png(os.path.join(save_dir, name), image) for name, image in zip(names, images)}


def stem_of(name):
    """frame_000042_digit0_7.png -> frame_000042: a snapshot and its crops go together."""
    return name.split("_digit")[0].removesuffix(".png")


def existing_snapshots(save_dir):
    """{stem: bytes of the frame and its crops} already in `save_dir`, oldest first."""
    found = []
    with os.scandir(save_dir) as entries:
        for entry in entries:
            if SNAPSHOT_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                status = entry.stat(follow_symlinks=False)
                found.append((status.st_mtime_ns, entry.name, status.st_size))
    snapshots = {}
    for _, name, size in sorted(found):
        snapshots.setdefault(stem_of(name), {})[name] = size
    return snapshots


class SnapshotFolder:
    """Saves snapshots and, once the folder's snapshot files pass the limit, removes whole
    snapshots (frame and crops), oldest first. The snapshot just written is always kept."""

    def __init__(self, save_dir, limit_bytes=DEFAULT_LIMIT_BYTES):
        os.makedirs(save_dir, exist_ok=True)
        files.remove_stale_temporaries(save_dir)  # half-written PNGs of a killed run
        self.save_dir, self.limit_bytes = save_dir, limit_bytes
        self.snapshots = existing_snapshots(save_dir)  # insertion order is age order

    def save(self, index, canvas, digits):
        written = save_snapshot(self.save_dir, index, canvas, digits)
        stem = stem_of(next(iter(written)))
        for name in self.snapshots.pop(stem, {}).keys() - written.keys():  # an older run's crops
            self.remove(name)
        self.snapshots[stem] = written  # newest last
        self.remove_oldest()

    def remove_oldest(self):
        total = sum(sum(names.values()) for names in self.snapshots.values())
        for stem in list(self.snapshots)[:-1]:
            if total <= self.limit_bytes:
                return
            names = self.snapshots.pop(stem)
            for name in names:
                self.remove(name)
            total -= sum(names.values())

    def remove(self, name):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(self.save_dir, name))
