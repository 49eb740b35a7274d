"""Follow docs/raspberry-pi.md on an emulated Raspberry Pi, as a new user would.

Called by check.sh once per release, with a fresh copy of that release's root filesystem, in
which debootstrap already installed the guide's apt packages (guide.py names the stand-ins for
those only Raspberry Pi's archive has). Every other line of the guide runs as written, as the
user pi in /home/pi; the differences emulation forces (a host-made wheelhouse, the check's
EXTRAS and ALSO_INSTALL, bytecode on first import, binfmt in Python) are listed in the guide's
"How this is checked without a Pi" and change no result.

Then it checks what the guide promises (the venv imports apt's numpy; the Pi-camera source gets
as far as importing picamera2 and says cleanly why it cannot, Debian having no picamera2) and
writes the versions the x86_64 reference must pin (x86_64-requirements.txt, report.json).
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import guide  # noqa: E402
from emulated_pi import HOME, PI_GID, PI_UID, VENV, EmulatedPi, bind_host_filesystems  # noqa: E402

HERE = Path(__file__).resolve().parent
WHEELHOUSE = "/opt/wheelhouse"  # inside the root; outside the user's home
MNIST_EDGE = re.compile(r"^(mnist-edge|\./mnist_edge-[^\[]+\.whl)(?:\[([a-z0-9_,-]*)\])?$")
# The packages whose versions decide labels; the x86_64 reference installs the same ones.
PINNED = ("ai-edge-litert", "tflite-runtime", "numpy", "opencv-python-headless", "pillow")
BACKEND_PACKAGES = {"ai-edge-litert": "litert", "tflite-runtime": "tflite-runtime"}
PROBE = """
import importlib.util, json, sys
import numpy, cv2, PIL
print(json.dumps({"python": sys.version.split()[0], "numpy": [numpy.__version__, numpy.__file__],
                  "opencv": [cv2.__version__, cv2.__file__], "pillow": [PIL.__version__, PIL.__file__],
                  "libcamera": getattr(importlib.util.find_spec("libcamera"), "origin", None)}))
"""


def python_version(root):
    """'3.13' from the root's /usr/bin/python3 -> python3.13 link."""
    return re.fullmatch(r"python(3\.\d+)", (root / "usr/bin/python3").readlink().name).group(1)


def glibc_version(root):
    """(2, 41) from the root's libc.so.6 banner: the newest manylinux tag its wheels may have."""
    banner = re.search(rb"release version (\d+)\.(\d+)", (root / "usr/lib/aarch64-linux-gnu/libc.so.6").read_bytes())
    return int(banner.group(1)), int(banner.group(2))


def prepare_root(rootfs, root, qemu, wheel):
    """A fresh copy of the release's root with qemu, user pi, the wheel in ~, binfmt in Python."""
    if root.exists():
        shutil.rmtree(root)
    subprocess.run(["cp", "-a", str(rootfs), str(root)], check=True)
    (root / "usr/local/bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(qemu, root / "usr/local/bin/qemu-aarch64")
    with open(root / "etc/passwd", "a") as passwd:
        passwd.write(f"pi:x:{PI_UID}:{PI_GID}:pi:{HOME}:/bin/bash\n")
    with open(root / "etc/group", "a") as group:
        group.write(f"pi:x:{PI_GID}:\n")
    home = root / HOME.lstrip("/")
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy2(wheel, home / wheel.name)  # where the guide has the user copy it
    for path in (home, home / wheel.name):
        shutil.chown(path, PI_UID, PI_GID)
    for sitecustomize in root.glob("etc/python3.*/sitecustomize.py"):
        original = sitecustomize.read_text()
        sitecustomize.write_text((HERE / "pi_binfmt.py").read_text() + "\ninstall()\n\n" + original)


def install_words(words, wheel, extras, also):
    """A guide pip line with mnist-edge as the local wheel + the check's extras and extra packages."""
    result = []
    for word in words:
        match = MNIST_EDGE.match(word)
        if not match:
            result.append(word)
            continue
        missing = set(filter(None, (match.group(2) or "").split(","))) - set(extras.split(","))
        if missing:
            raise guide.GuideError(f"the guide installs extra(s) {sorted(missing)} that EXTRAS={extras} lacks")
        result += [f"./{wheel.name}[{extras}]", *also]
    return result


def download_wheelhouse(root, words, wheel):
    """pip download, on the host, what `pip install WORDS` needs on this release's aarch64."""
    major, minor = glibc_version(root)
    version = python_version(root)
    platforms = ["manylinux2014_aarch64"] + [f"manylinux_{major}_{m}_aarch64" for m in range(17, minor + 1)]
    requirements = [str(wheel.parent / word[2:]) if word.startswith("./") else word
                    for word in words if not word.startswith("-")]
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(root / WHEELHOUSE.lstrip("/")),
                    "--python-version", version, "--implementation", "cp", "--abi", f"cp{version.replace('.', '')}",
                    "--abi", "abi3", "--abi", "none", *[a for p in platforms for a in ("--platform", p)],
                    "--only-binary=:all:", "--find-links", str(wheel.parent), *requirements], check=True)


def follow_guide(pi, recipe, wheel, extras, also):
    """Run the recipe's commands in order; returns the venv options the guide used."""
    venv_options = None
    print(f"apt packages (installed by debootstrap): {' '.join(recipe.apt_packages)}", flush=True)
    for words in recipe.commands:
        if words[0] == "source":
            print(f"pi@raspberrypi:~ $ {' '.join(words)}", flush=True)
            pi.activate()
            continue
        if words[:3] == ["python3", "-m", "venv"]:
            venv_options = words[3:-1]
        if words[0].endswith("/bin/pip") and "install" in words:
            words = install_words(words, wheel, extras, also)
            download_wheelhouse(pi.root, words[2:], wheel)
        pi.run(words)
    return venv_options


def check_numpy_is_apt(probe, venv_options, root):
    """With --system-site-packages and apt's numpy, the venv must import apt's (picamera2's) numpy."""
    apt_numpy = next(root.glob("usr/lib/python3/dist-packages/numpy/__init__.py"), None)
    if "--system-site-packages" in (venv_options or []) and apt_numpy is not None:
        version, location = probe["numpy"]
        if not location.startswith("/usr/lib/python3/dist-packages/"):
            raise SystemExit(f"FAILED: pip put numpy {version} into the venv ({location}); apt's numpy, "
                             "which picamera2 is built against, must stay the one imported")
        print(f"numpy is apt's {version}: picamera2's compiled modules keep their numpy", flush=True)


def check_picamera_source(pi):
    """Debian has no picamera2, so `--source picamera` must end with the one-line install hint."""
    result = pi.run([f"{VENV}/bin/mnist-edge", "camera", "--source", "picamera", "--headless"], check=False, capture=True)
    message = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    if result.returncode != 1 or "python3-picamera2" not in message or "Traceback" in result.stderr:
        raise SystemExit(f"FAILED: --source picamera without picamera2 exited {result.returncode}:\n{result.stderr[-2000:]}")
    print(f"    {message}", flush=True)


def installed_versions(pi):
    """{name: version} of everything the venv's Python sees (system site packages included)."""
    listing = pi.run([f"{VENV}/bin/python", "-m", "pip", "list", "--format=json"], capture=True, show=False)
    return {item["name"].lower().replace("_", "-"): item["version"] for item in json.loads(listing.stdout)}


def write_report(work, versions, probe):
    pins = [f"{name}=={versions[name]}" for name in PINNED if name in versions]
    (work / "x86_64-requirements.txt").write_text("\n".join(pins) + "\n")
    backends = [backend for package, backend in BACKEND_PACKAGES.items() if package in versions]
    (work / "report.json").write_text(json.dumps({"versions": versions, "probe": probe, "backends": backends}, indent=1))
    print("installed: " + ", ".join(f"{name} {versions[name]}" for name in PINNED if name in versions), flush=True)


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", required=True)
    parser.add_argument("--rootfs", type=Path, required=True, help="the cached root filesystem (copied, not changed)")
    parser.add_argument("--work", type=Path, required=True, help="this release's scratch folder")
    parser.add_argument("--qemu", type=Path, required=True)
    parser.add_argument("--wheel", type=Path, required=True)
    parser.add_argument("--extras", default="edge")
    parser.add_argument("--also", nargs="*", default=[], help="more requirements beside mnist-edge[EXTRAS]")
    parser.add_argument("--cpu", default="cortex-a72")
    parser.add_argument("--bind-host-filesystems", action="store_true", help="bind /proc and /sys (private mount namespace only)")
    return parser.parse_args(argv)


def main(argv=None):
    options = parse_arguments(argv)
    recipe = guide.read_recipe(options.release)
    root = options.work / "root"
    prepare_root(options.rootfs, root, options.qemu, options.wheel)
    if options.bind_host_filesystems:
        bind_host_filesystems(root)
    pi = EmulatedPi(root, options.cpu, pip_wheelhouse=WHEELHOUSE)
    venv_options = follow_guide(pi, recipe, options.wheel, options.extras, options.also)
    probe = json.loads(pi.run([f"{VENV}/bin/python", "-c", PROBE], capture=True).stdout)
    print(f"python {probe['python']}, numpy {probe['numpy'][0]} ({probe['numpy'][1]}), opencv {probe['opencv'][0]}, "
          f"pillow {probe['pillow'][0]} ({probe['pillow'][1]}), libcamera: {probe['libcamera']}", flush=True)
    check_numpy_is_apt(probe, venv_options, root)
    check_picamera_source(pi)
    write_report(options.work, installed_versions(pi), probe)


if __name__ == "__main__":
    main()
