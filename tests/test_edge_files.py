"""edge_runtime.files: atomic writes that survive a power cut."""

import os

from edge_runtime import files


def test_atomic_write_syncs_the_file_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    """Spies around the real os.fsync/os.replace record which file each call reached, in order."""
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{descriptor}")))
        real_fsync(descriptor)

    def replace(source, destination):
        events.append(("replace", str(destination)))
        real_replace(source, destination)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    files.write_bytes_atomic(tmp_path / "model.tflite", b"model")
    assert (tmp_path / "model.tflite").read_bytes() == b"model"
    assert len(events) == 3 and events[0][0] == "fsync" and events[0][1].endswith(".tmp.tflite")
    assert events[1:] == [("replace", str(tmp_path / "model.tflite")), ("fsync", str(tmp_path))]
