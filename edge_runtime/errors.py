"""Errors a user can cause; the CLI turns them into one-line messages."""


class UserInputError(Exception):
    """A bad file, source or argument. The message names the thing and the problem."""


class ModelError(UserInputError):
    """A model file that is missing, not TFLite, or not a 28x28 -> 10 digit classifier."""


def run_command(name, function, *args):
    """Run a CLI body; turn user mistakes and Ctrl-C into one line on stderr and an exit code.

    Library code raises; only this boundary decides what a person sees.
    """
    import sys

    try:
        return function(*args)
    except UserInputError as error:
        print(f"{name}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
