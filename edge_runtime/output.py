"""Lines on stdout that survive odd file names, full disks and readers that go away."""

import base64
import json
import os

from edge_runtime.errors import OutputError


def printable(text):
    """`text` with every byte a file name could not decode (a surrogate escape) written as \\xNN.

    Python turns such bytes into lone surrogates, which no UTF-8 stream can carry.
    """
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that did not come from a file name
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def json_record(record):
    """A result record as one JSON line of valid UTF-8.

    A source name that is not valid UTF-8 is shown escaped (\\xff) in "source", and its exact
    bytes are in "source_base64", so the file can still be found.
    """
    safe = {key: printable(value) if isinstance(value, str) else value for key, value in record.items()}
    if safe.get("source", "") != record.get("source", ""):
        safe["source_base64"] = base64.b64encode(os.fsencode(record["source"])).decode("ascii")
    return json.dumps(safe)


def stream_name(stream):
    name = getattr(stream, "name", None)
    return name if isinstance(name, str) and not name.startswith("<") else "stdout"


def write_line(stream, text):
    """Write one line and flush it; a stream that fails (ENOSPC, EIO) is an OutputError.

    A closed pipe stays a BrokenPipeError: the reader went away, which is not an error to report.
    """
    try:
        stream.write(text + "\n")
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        raise OutputError(f"{stream_name(stream)}: cannot write ({error.strerror or error})") from None


def human_line(record):
    """'photo.jpg: 407  [4 (0.99), 0 (0.97), 7 (0.98)]', with '#frame' for video frames; a
    picture with several text lines gets a heading and one indented line per row."""
    name = printable(record["source"]) + (f"#{record['frame']}" if "frame" in record else "")
    if "error" in record:
        return f"{name}: {printable(record['error'])}"
    if len(record.get("lines", ())) > 1:
        rows = [f"  {text}  [{digit_details(record, index)}]" for index, text in enumerate(record["lines"])]
        return "\n".join([f"{name}: {len(rows)} lines", *rows])
    details = digit_details(record)
    return f"{name}: {record['number'] or 'no digits found'}" + (f"  [{details}]" if details else "")


def digit_details(record, line=None):
    """'4 (0.99), 0 (0.98)' for the record's digits, or those of one line."""
    return ", ".join(f"{d['label']} ({d['score']:.2f})" for d in record["digits"]
                     if line is None or d.get("line", 0) == line)
