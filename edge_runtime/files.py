"""Atomic file writes: a reader sees the old file or the new one, never half of either."""

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from edge_runtime.errors import UserInputError

LOCK_NAME = ".mnist-edge.lock"
# Our temporaries and only ours: atomic_path's ".model.k3j_x9a2.tmp.keras" (mkstemp adds eight
# characters of [a-z0-9_]) and staging_folder's ".export-k3j_x9a2.tmp".
TEMPORARY_NAME = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp(\.[A-Za-z0-9]+)?|\.[a-z]+-[a-z0-9_]{8}\.tmp")


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


@contextlib.contextmanager
def locked_folder(folder):
    """Hold an exclusive lock on `folder` (created if needed) for one run; a second run that
    wants the same folder gets a UserInputError instead of overwriting the first one's files.

    The lock dies with the process (flock), so a killed run never leaves the folder locked.
    Holding it, stale temporaries of a killed run are removed: no live run can own them.
    """
    import fcntl  # POSIX only; imported here so the rest of the module imports everywhere

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_NAME, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserInputError(f"{folder}: another mnist-edge run is writing to this folder; "
                                 "wait for it to finish or use another --out") from None
        remove_stale_temporaries(folder)
        yield folder


def remove_stale_temporaries(folder):
    """Delete what an interrupted run of ours left behind (never files of other names)."""
    for entry in Path(folder).iterdir():
        if TEMPORARY_NAME.fullmatch(entry.name):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
