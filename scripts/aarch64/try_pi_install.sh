#!/usr/bin/env bash
# Follow docs/raspberry-pi.md as a new user would, inside a copy of the emulated Raspberry Pi OS
# rootfs that check.sh built: make the venvs, pip install mnist-edge[edge] on (emulated) aarch64,
# run `--help` and `classify`. Run check.sh first (it builds the rootfs and fetches qemu).
#
#   bash scripts/aarch64/try_pi_install.sh
#
# Two deviations from the README, both forced by emulation without binfmt_misc (the host
# kernel cannot exec an aarch64 binary started by an emulated one): venvs are made with
# --without-pip (ensurepip runs pip in a child process), and pip is then bootstrapped from
# Debian's pip wheel, or taken from the system site (python3-pip) for the picamera2 venv.
# pip installs from a local wheelhouse downloaded on the host for aarch64, so the resolver
# and the environment markers run on the guest's real aarch64 Python.
set -euo pipefail
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${MNIST_EDGE_AARCH64_CACHE:-$HOME/.cache/mnist-edge/aarch64}"
QEMU="${MNIST_EDGE_QEMU:-$CACHE/qemu/usr/bin/qemu-aarch64}"
[[ -x "$QEMU" && -f "$CACHE/rootfs/.mnist-edge-stamp" ]] || { echo "run scripts/aarch64/check.sh first" >&2; exit 2; }
PLATFORMS=(--platform manylinux2014_aarch64)
for minor in 17 24 26 27 28 31 34 35 36; do PLATFORMS+=(--platform "manylinux_2_${minor}_aarch64"); done

TRIAL="$CACHE/trial"
rm -rf "$TRIAL" && mkdir -p "$TRIAL"
trap 'rm -rf "$TRIAL"' EXIT
echo "== copying the rootfs, building the wheel and an aarch64 wheelhouse on the host"
cp -a "$CACHE/rootfs" "$TRIAL/rootfs"
ROOT="$TRIAL/rootfs"
mkdir -p "$ROOT/usr/local/bin" "$ROOT/home/pi" && cp "$QEMU" "$ROOT/usr/local/bin/qemu-aarch64"
python3 -m pip wheel -q --no-deps --wheel-dir "$ROOT/home/pi/dist" "$REPO"
WHEEL=$(cd "$ROOT/home/pi/dist" && ls mnist_edge-*.whl)
for requirements in "mnist-edge[edge]" "mnist-edge[edge] numpy<2"; do
    # shellcheck disable=SC2086  # split the requirement list on purpose
    python3 -m pip download -q -d "$ROOT/home/pi/wheels" --python-version 3.11 --implementation cp \
        "${PLATFORMS[@]}" --only-binary=:all: --find-links "$ROOT/home/pi/dist" ${requirements}
done

# pi PROGRAM ARGS...: one command as the Pi's user would type it, in the emulated rootfs.
# Absolute paths only: each program is started by qemu directly (no guest shell can exec it).
pi() {
    echo "pi@raspberrypi:~ \$ ${*#/home/pi/}"
    chroot "$ROOT" /usr/local/bin/qemu-aarch64 -cpu cortex-a72 "$@"
}
H=/home/pi
LOCAL=(--no-index --find-links $H/wheels)
PIP_WHEEL=$(cd "$ROOT" && ls usr/share/python-wheels/pip-*.whl)

echo "== USB webcam recipe: a plain venv"
pi /usr/bin/python3 -m venv --without-pip $H/mnist-edge-venv
pi $H/mnist-edge-venv/bin/python "/$PIP_WHEEL/pip" install -q --no-index --find-links /usr/share/python-wheels pip
pi $H/mnist-edge-venv/bin/python -m pip install -q --no-compile "${LOCAL[@]}" "mnist-edge[edge]"
pi $H/mnist-edge-venv/bin/python -m pip list 2>/dev/null | grep -iE 'mnist|litert|opencv|numpy|tensorflow' || true
pi $H/mnist-edge-venv/bin/python -m edge_runtime --help
pi $H/mnist-edge-venv/bin/python $H/mnist-edge-venv/bin/mnist-edge classify \
    "$H/mnist-edge-venv/lib/python3.11/site-packages/edge_runtime/examples/*"

echo "== Pi camera recipe: --system-site-packages (apt's numpy 1.24 must stay), numpy<2"
pi /usr/bin/python3 -m venv --system-site-packages --without-pip $H/mnist-edge-cam
pi $H/mnist-edge-cam/bin/python -m pip install -q --no-compile "${LOCAL[@]}" "mnist-edge[edge]" "numpy<2"
pi $H/mnist-edge-cam/bin/python -c 'import numpy, cv2, ai_edge_litert
print("numpy", numpy.__version__, numpy.__file__); print("opencv", cv2.__version__)'
pi $H/mnist-edge-cam/bin/python -m edge_runtime classify --json \
    "$H/mnist-edge-cam/lib/python3.11/site-packages/edge_runtime/examples/*"
echo "== the trial followed the README recipes without errors"
