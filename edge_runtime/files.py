"""Atomic file writes: a reader sees the old file or the new one, never half of either."""

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(destination):
    """Yield a temporary path beside `destination`; rename it over `destination` on success.

    The temporary keeps the destination's suffix because some writers (Keras) insist on it.
    On any exception the temporary is removed and `destination` is left untouched.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{destination.stem}.", suffix=f".tmp{destination.suffix}", dir=destination.parent)
    os.close(handle)
    try:
        yield Path(temporary)
        os.chmod(temporary, 0o666 & ~current_umask())  # mkstemp makes 0600; a model is for sharing
        sync_path(temporary)  # the data reaches the disk before the name does
        os.replace(temporary, destination)
        sync_path(destination.parent)  # and the rename itself survives a power cut
    except OSError as error:  # name the file the user knows, not our hidden temporary
        raise OSError(error.errno, error.strerror or str(error), str(destination)) from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def sync_path(path):
    """fsync a file or a folder by name (writers such as Keras close their files themselves)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(destination, data):
    with atomic_path(destination) as temporary:
        temporary.write_bytes(data)


def write_text_atomic(destination, text):
    with atomic_path(destination) as temporary:
        temporary.write_text(text, encoding="utf-8")
