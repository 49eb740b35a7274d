"""Commands on an emulated Raspberry Pi: a chroot into a Raspberry Pi OS-like root, run by
qemu-user as the user `pi` in /home/pi, with the environment a login shell would give.

Needs root (chroot). Under a private mount namespace (check.sh uses `unshare --mount`) the
host's /proc and /sys are bound into the root, as a Pi has them; the mounts end with the
namespace, nothing on the host changes.
"""

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pi_binfmt  # noqa: E402  (beside this file)

HOME = "/home/pi"
VENV = f"{HOME}/mnist-edge-venv"
PI_UID = PI_GID = 1000
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def expand(word, root):
    """What bash makes of one guide word: ~ is /home/pi, a glob matches files in the root."""
    if word.startswith("~/"):
        word = HOME + word[1:]
    if any(character in word for character in "*?[") and word.startswith("/"):
        matches = sorted(Path(root).glob(word.lstrip("/")))
        if matches:  # bash leaves a glob that matches nothing as it is
            return ["/" + str(match.relative_to(root)) for match in matches]
    return [word]


class EmulatedPi:
    def __init__(self, root, cpu, pip_wheelhouse=None):
        self.root, self.cpu = Path(root), cpu
        self.search_path = SYSTEM_PATH
        self.pip_wheelhouse = pip_wheelhouse

    def environment(self):
        environment = {"HOME": HOME, "USER": "pi", "LOGNAME": "pi", "PATH": self.search_path,
                       "LANG": "C.UTF-8", "QEMU_CPU": self.cpu, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                       # Bytecode is compiled on first import into one cache pi can write, instead of
                       # by pip for every file it installs and by apt's py3compile (which never ran):
                       # emulated compiling is slow, and .pyc files change no result.
                       "PIP_NO_COMPILE": "1", "PYTHONPYCACHEPREFIX": f"{HOME}/.cache/pycache"}
        if self.pip_wheelhouse:  # pip finds everything in the wheelhouse, never on the network
            environment.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=self.pip_wheelhouse)
        return environment

    def activate(self):
        """What `source ~/mnist-edge-venv/bin/activate` does that matters here."""
        self.search_path = f"{VENV}/bin:{SYSTEM_PATH}"

    def command(self, words):
        """Guide words -> the argv to run in the root (qemu first); ~ and globs expanded."""
        argv = [expanded for word in words for expanded in expand(word, self.root)]
        command = pi_binfmt.emulated_command(argv, str(self.root), self.search_path)
        if command is None:
            raise ValueError(f"{argv[0]} is not an aarch64 program or script")
        return command

    def run(self, words, check=True, capture=False, show=True):
        """Run one command as pi@raspberrypi would; CompletedProcess (text)."""
        if show:
            print(f"pi@raspberrypi:~ $ {shlex.join(words)}", flush=True)
        root = str(self.root)

        def enter_pi():
            os.chroot(root)
            os.chdir(HOME)
            os.setgroups([])
            os.setgid(PI_GID)
            os.setuid(PI_UID)

        started = time.monotonic()
        result = subprocess.run(self.command(words), env=self.environment(), preexec_fn=enter_pi,
                                capture_output=capture, text=True, check=False)
        if show:
            print(f"    ({time.monotonic() - started:.0f} s emulated)", flush=True)
        if check and result.returncode != 0:
            detail = f":\n{result.stderr[-3000:]}" if capture else ""
            raise RuntimeError(f"`{shlex.join(words)}` exited {result.returncode} on the emulated Pi{detail}")
        return result


def bind_host_filesystems(root):
    """/proc and /sys as on a Pi; call only inside a private mount namespace."""
    for name in ("proc", "sys"):
        target = Path(root) / name
        target.mkdir(exist_ok=True)
        subprocess.run(["mount", "--rbind", f"/{name}", str(target)], check=True)
