"""The Raspberry Pi install guide's commands, read from docs/raspberry-pi.md for the emulated check.

check.sh runs what the guide shows rather than a copy of it, so the two cannot drift. A fenced
block right after `<!-- pi-guide RELEASE [RELEASE ...] -->` belongs to those releases; a
release's recipe is its blocks in the order the guide gives them. Every line must be one of
the kinds below: a line the check would not know how to follow is an error, not a skip.

    python3 guide.py debian-packages trixie     # what debootstrap must --include
    python3 guide.py show bookworm              # the recipe as the check reads it
"""

import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "raspberry-pi.md"
MARKER = re.compile(r"^<!--\s*pi-guide\s+([a-z ]+?)\s*-->\s*$")
VENV = "~/mnist-edge-venv"
APT_INSTALL = ["sudo", "apt", "update", "&&", "sudo", "apt", "install", "-y"]
# What Raspberry Pi OS has preinstalled and a minbase Debian root lacks.
PI_OS_PREINSTALLED = ("python3", "python3-pip", "ca-certificates")
# Packages only in Raspberry Pi's own archive (archive.raspberrypi.com), which the check cannot
# reach: it installs their dependencies that Debian has and that the edge extra shares (apt's
# numpy and pillow stay in the venv's view, as on a Pi), plus trixie's python3-libcamera, the
# compiled module picamera2 imports first.
RASPBERRY_PI_ONLY = {
    "python3-picamera2": {
        "bookworm": ("python3-numpy", "python3-pil", "python3-tqdm"),
        "trixie": ("python3-numpy", "python3-pil", "python3-tqdm", "python3-libcamera"),
    },
}


class GuideError(ValueError):
    """The guide's install blocks cannot be followed as written."""


@dataclass
class Recipe:
    """One release's install, as the guide's blocks say it."""

    release: str
    apt_packages: list = field(default_factory=list)
    commands: list = field(default_factory=list)  # argv lists, shell words already split

    def debian_packages(self):
        """debootstrap's --include: Pi OS's preinstalled base, apt packages, stand-ins."""
        packages = list(PI_OS_PREINSTALLED)
        for package in self.apt_packages:
            stand_ins = RASPBERRY_PI_ONLY.get(package, {}).get(self.release, (package,))
            packages += [name for name in stand_ins if name not in packages]
        return packages


def marked_blocks(text):
    """[(releases, [lines])] for every fenced block right after a pi-guide marker."""
    blocks, lines, index = [], text.splitlines(), 0
    while index < len(lines):
        marker = MARKER.match(lines[index].strip())
        index += 1
        if not marker:
            continue
        if index >= len(lines) or not lines[index].startswith("```"):
            raise GuideError(f"line {index}: a pi-guide marker must be followed by a fenced block")
        end = next((i for i in range(index + 1, len(lines)) if lines[i].startswith("```")), None)
        if end is None:
            raise GuideError(f"line {index + 1}: fenced block never closed")
        blocks.append((marker.group(1).split(), lines[index + 1:end]))
        index = end + 1
    return blocks


def add_line(recipe, line):
    """Sort one guide line into the recipe: apt packages, or a command run on the Pi."""
    words = shlex.split(line, comments=True)
    if not words:
        return
    if words[:len(APT_INSTALL)] == APT_INSTALL:
        recipe.apt_packages += words[len(APT_INSTALL):]
    elif words == ["source", f"{VENV}/bin/activate"]:
        recipe.commands.append(words)  # the runner puts the venv first on PATH from here on
    elif words[:3] == ["python3", "-m", "venv"] or words[0] in (f"{VENV}/bin/pip", "mnist-edge") \
            or words[:3] == ["python", "-m", "edge_runtime"]:
        recipe.commands.append(words)
    else:
        raise GuideError(f"{recipe.release}: the check does not know how to follow {line.strip()!r}")


def read_recipe(release, text=None):
    """The recipe for `release` from the guide (or from `text`, for tests)."""
    recipe = Recipe(release)
    for releases, lines in marked_blocks(GUIDE.read_text() if text is None else text):
        if release in releases:
            for line in lines:
                add_line(recipe, line)
    if not recipe.apt_packages or not recipe.commands:
        raise GuideError(f"the guide has no install block for {release}")
    return recipe


def main(argv):
    command, release = argv
    recipe = read_recipe(release)
    if command == "debian-packages":
        print(",".join(recipe.debian_packages()))
    elif command == "show":
        print("apt:", " ".join(recipe.apt_packages))
        for words in recipe.commands:
            print("run:", shlex.join(words))
    else:
        raise SystemExit(f"unknown command {command!r}: debian-packages or show")


if __name__ == "__main__":
    main(sys.argv[1:])
