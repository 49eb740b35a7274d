"""edge_runtime.files: atomic writes that survive a power cut."""

from edge_runtime import files


def test_atomic_write_syncs_the_file_before_the_rename_and_the_folder_after(tmp_path, disk_events):
    """disk_events (conftest.py) records which file each os.fsync/os.replace reached, in order."""
    events = disk_events
    files.write_bytes_atomic(tmp_path / "model.tflite", b"model")
    assert (tmp_path / "model.tflite").read_bytes() == b"model"
    assert len(events) == 3 and events[0][0] == "fsync" and events[0][1].endswith(".tmp.tflite")
    assert events[1:] == [("replace", str(tmp_path / "model.tflite")), ("fsync", str(tmp_path))]
