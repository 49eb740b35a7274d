"""Errors a user can cause; the CLI turns them into one-line messages."""

import os
import sys


class UserInputError(Exception):
    """A bad file, source or argument. The message names the thing and the problem."""


class ModelError(UserInputError):
    """A model file that is missing, not TFLite, or not a 28x28 -> 10 digit classifier."""


class OutputError(UserInputError):
    """Results could not be written to stdout (e.g. redirected to a full disk)."""


def first_line(error):
    """The first line of an exception's message (OpenCV's run to several), or its type name."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def silence_stdout():
    """Point stdout at /dev/null, so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a real file (e.g. captured by a test): nothing to flush


def run_command(name, function, *args):
    """Run a CLI body; turn user mistakes and Ctrl-C into one line on stderr and an exit code.

    Library code raises; only this boundary decides what a person sees.
    """
    try:
        return function(*args)
    except UserInputError as error:
        print(f"{name}: error: {error}", file=sys.stderr)
        if isinstance(error, OutputError):
            silence_stdout()  # the interpreter's final flush would fail on the same stdout
        return 1
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `mnist-edge classify --json ... | head -1` closed our stdout
        silence_stdout()
        return 1
    except OSError as error:  # a full or read-only disk while writing a model, a report, a snapshot
        print(f"{name}: error: {os_error_message(error)}", file=sys.stderr)
        return 1


def os_error_message(error):
    """'runs/main/model.keras: No space left on device' from an OSError."""
    reason = error.strerror or first_line(error)
    return f"{error.filename}: {reason}" if error.filename else reason
