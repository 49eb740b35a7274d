"""binfmt_misc in user space for the emulated Raspberry Pi OS.

Without binfmt_misc (the check does not register it: that would change the host's kernel) the
host cannot exec an aarch64 program. qemu-user starts the first program of each command; this
module, copied into the emulated root as Python's sitecustomize, makes every Python there put
qemu in front of the aarch64 programs it starts (venv's ensurepip child, pip's, the benchmark's
cold-start child), as binfmt_misc would. check.sh's runner uses the same lookup on the host.
"""

import os
import subprocess

QEMU = "/usr/local/bin/qemu-aarch64"  # inside the emulated root
EM_AARCH64 = 183  # ELF e_machine


def inside(root, path, hops=40):
    """The host path of `path` in the emulated root, its symlinks followed inside the root
    (the venv's python3 -> /usr/bin/python3 must not land on the host's python)."""
    if root == "/":
        return path
    resolved, pending = "/", [part for part in path.split("/") if part]
    while pending:
        part = pending.pop(0)
        if part in (".", ".."):
            resolved = os.path.dirname(resolved) if part == ".." else resolved
            continue
        candidate = os.path.join(resolved, part)
        host = os.path.join(root, candidate.lstrip("/"))
        if not os.path.islink(host):
            resolved = candidate
            continue
        hops -= 1
        if hops < 0:
            raise OSError(f"{path}: too many levels of symbolic links in the emulated root")
        target = os.readlink(host)
        resolved = "/" if target.startswith("/") else resolved
        pending = [piece for piece in target.split("/") if piece] + pending
    return os.path.join(root, resolved.lstrip("/"))


def find_program(name, root="/", search_path=None):
    """`name` looked up on PATH the way a shell would, in the emulated root; absolute path."""
    if "/" in name:
        return name
    for directory in (search_path if search_path is not None else os.environ.get("PATH", "")).split(":"):
        candidate = os.path.join(directory, name)
        if directory.startswith("/") and os.access(inside(root, candidate), os.X_OK):
            return candidate
    raise FileNotFoundError(f"{name}: not found on PATH in the emulated Pi")


def emulated_command(argv, root="/", search_path=None):
    """argv as binfmt_misc would run it: qemu in front of an aarch64 program, or of a script's
    aarch64 interpreter; None when the program is not aarch64 (qemu itself, say)."""
    program = find_program(str(argv[0]), root, search_path)
    with open(inside(root, program), "rb") as file:
        head = file.read(256)
    if head[:4] == b"\x7fELF" and int.from_bytes(head[18:20], "little") == EM_AARCH64:
        return [QEMU, program, *argv[1:]]
    if head.startswith(b"#!"):
        interpreter = head[2:].split(b"\n", 1)[0].decode().split(None, 1)
        return emulated_command([*interpreter, program, *argv[1:]], root, search_path)
    return None


def install():
    """Route subprocess through qemu for aarch64 programs (every Popen ends in _execute_child)."""
    original = subprocess.Popen._execute_child

    def execute_child(self, args, executable, *rest, **keywords):
        if not isinstance(args, (str, bytes)):
            try:
                command = emulated_command([os.fspath(executable or args[0]), *list(args)[1:]])
            except OSError:
                command = None  # not found or unreadable: let the real exec say so
            if command:
                args, executable = command, command[0]
        return original(self, args, executable, *rest, **keywords)

    subprocess.Popen._execute_child = execute_child
