#!/usr/bin/env bash
# Run `python -m edge_runtime classify --json` on emulated 64-bit Raspberry Pi OS
# (Debian bookworm arm64, Python 3.11) and fail unless every label matches x86_64.
#
#   bash scripts/aarch64/check.sh            # what CI runs
#
# Environment (all optional):
#   MNIST_EDGE_AARCH64_CACHE  rootfs + qemu cache (default ~/.cache/mnist-edge/aarch64)
#   MNIST_EDGE_AARCH64_WORK   scratch dir for this run (default: a new temp dir, removed)
#   MNIST_NPZ                 mnist.npz (default: shared/data/mnist.npz beside the repo)
#   MNIST_EDGE_DIGITS         how many MNIST test digits to check (default 500)
#   MNIST_EDGE_QEMU_CPUS      qemu CPU models, one run each (default cortex-a72 = Pi 4 core;
#                             add cortex-a76 for the Pi 5, cortex-a53 for the Pi Zero 2 W)
#   MNIST_EDGE_QEMU           qemu-aarch64 binary to use (default: qemu-user from
#                             bookworm-backports, see docs/raspberry-pi.md for why not 7.2)
#   MNIST_EDGE_DEBIAN_MIRROR  Debian mirror (default: the first one in the apt sources)
#   MNIST_EDGE_BENCHMARK=1    also run `mnist-edge benchmark` under emulation (+3 min)
set -euo pipefail
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${MNIST_EDGE_AARCH64_CACHE:-$HOME/.cache/mnist-edge/aarch64}"
DIGITS="${MNIST_EDGE_DIGITS:-500}"
QEMU_CPUS="${MNIST_EDGE_QEMU_CPUS:-cortex-a72}"
PYTHON_HOST="${MNIST_EDGE_HOST_PYTHON:-python3.11}"
ROOTFS="$CACHE/rootfs"
# Packages of the emulated Pi: Python 3.11 plus what the README's venv recipe uses.
ROOTFS_PACKAGES="python3,python3-venv,python3-pip,python3-numpy"
ROOTFS_STAMP="bookworm arm64 minbase $ROOTFS_PACKAGES v1"
QEMU_BACKPORT_VERSION="${MNIST_EDGE_QEMU_VERSION:-}"   # empty: newest in bookworm-backports
# The aarch64 wheels pip may pick: Pi OS bookworm has glibc 2.36.
PLATFORMS=(--platform manylinux2014_aarch64)
for minor in 17 24 26 27 28 31 34 35 36; do PLATFORMS+=(--platform "manylinux_2_${minor}_aarch64"); done
AARCH64_PIP=(--python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none
             "${PLATFORMS[@]}" --only-binary=:all:)

log() { printf '[aarch64] %s\n' "$*" >&2; }
started=$SECONDS
elapsed() { printf '%ss' $((SECONDS - started)); }

need_apt_packages() {
    local missing=()
    for command_package in "$@"; do
        command -v "${command_package%%:*}" >/dev/null || missing+=("${command_package#*:}")
    done
    if ((${#missing[@]})); then
        log "apt-get install ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

debian_mirror() {
    if [[ -n "${MNIST_EDGE_DEBIAN_MIRROR:-}" ]]; then echo "$MNIST_EDGE_DEBIAN_MIRROR"; return; fi
    # First `URIs:` (deb822) or `deb URL` (one-line) entry that serves Debian itself.
    local uri
    uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
          | awk '/^URIs:/ {print $2}' | grep -E '/debian/?$' | head -n1 || true)
    [[ -z "$uri" ]] && uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
          | awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; break}}' \
          | grep -E '/debian/?$' | head -n1 || true)
    echo "${uri:-http://deb.debian.org/debian}"
}

# qemu-user 7.2 (bookworm) passes the host's x86 /proc/cpuinfo to the guest, and the cpuinfo
# library inside ai-edge-litert >= 2.2 then crashes; qemu-user 10 (bookworm-backports)
# emulates an ARM /proc/cpuinfo. Fetched with a private apt state: the host's sources and
# installed packages stay untouched.
fetch_qemu() {
    local dir="$CACHE/qemu" mirror="$1"
    if [[ -x "$dir/usr/bin/qemu-aarch64" ]]; then echo "$dir/usr/bin/qemu-aarch64"; return; fi
    log "fetching qemu-user from bookworm-backports ($mirror)"
    local apt_dir="$CACHE/qemu-apt"
    rm -rf "$apt_dir" && mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm-backports main" \
        > "$apt_dir/sources.list"
    local options=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
                   -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir"
                   -o APT::Sandbox::User=root -qq)
    apt-get "${options[@]}" update >&2
    local package="qemu-user${QEMU_BACKPORT_VERSION:+=$QEMU_BACKPORT_VERSION}"
    (cd "$apt_dir/archives" && apt-get "${options[@]}" download "$package" >&2)
    # The package holds every target's emulator (360 MiB unpacked); keep the aarch64 one.
    dpkg-deb --fsys-tarfile "$apt_dir"/archives/qemu-user_*.deb \
        | tar -x -C "$apt_dir" ./usr/bin/qemu-aarch64
    mkdir -p "$dir/usr/bin" && mv "$apt_dir/usr/bin/qemu-aarch64" "$dir/usr/bin/" && rm -rf "$apt_dir"
    echo "$dir/usr/bin/qemu-aarch64"
}

build_rootfs() {
    local mirror="$1"
    if [[ -f "$ROOTFS/.mnist-edge-stamp" && "$(cat "$ROOTFS/.mnist-edge-stamp")" == "$ROOTFS_STAMP" ]]; then
        log "reusing rootfs $ROOTFS"; return
    fi
    log "debootstrap bookworm arm64 into $ROOTFS ($mirror)"
    rm -rf "$ROOTFS" "$ROOTFS.partial"
    debootstrap --foreign --arch=arm64 --variant=minbase --include="$ROOTFS_PACKAGES" \
        bookworm "$ROOTFS.partial" "$mirror" >"$CACHE/debootstrap.log" 2>&1 \
        || { tail -n 20 "$CACHE/debootstrap.log" >&2; return 1; }
    # --foreign leaves the second stage undone; unpacking every .deb completes the tree
    # (no maintainer scripts run; link_alternatives makes the one link of theirs we need).
    local deb
    for deb in "$ROOTFS.partial"/var/cache/apt/archives/*.deb; do dpkg -x "$deb" "$ROOTFS.partial"; done
    rm -f "$ROOTFS.partial"/var/cache/apt/archives/*.deb
    echo "$ROOTFS_STAMP" > "$ROOTFS.partial/.mnist-edge-stamp"
    mv "$ROOTFS.partial" "$ROOTFS"
}

# dpkg -x runs no maintainer scripts, so update-alternatives never made the links through
# which apt's numpy finds BLAS/LAPACK; make them (idempotent, also for an older cached rootfs).
link_alternatives() {
    local lib="$ROOTFS/usr/lib/aarch64-linux-gnu" name
    for name in blas lapack; do
        if [[ -e "$lib/$name/lib$name.so.3" && ! -e "$lib/lib$name.so.3" ]]; then
            ln -s "$name/lib$name.so.3" "$lib/lib$name.so.3"
        fi
    done
}

# install_set NAME PIP_ARGS...: the same requirements into an x86_64 venv and an aarch64 dir.
install_set() {
    local name="$1"; shift
    log "installing '$name' for x86_64 and aarch64: $*"
    "$PYTHON_HOST" -m venv "$WORK/x86_64-$name"
    "$WORK/x86_64-$name/bin/python" -m pip install -q "$@"
    # pip writes a --target install without resolving against anything already there.
    python3 -m pip install -q --target "$WORK/aarch64-$name" "${AARCH64_PIP[@]}" "$@"
}

main() {
    [[ $(id -u) == 0 ]] || { log "needs root (apt-get, debootstrap)"; exit 2; }
    need_apt_packages debootstrap:debootstrap dpkg-deb:dpkg
    mkdir -p "$CACHE"
    local mirror; mirror=$(debian_mirror)
    QEMU="${MNIST_EDGE_QEMU:-$(fetch_qemu "$mirror")}"
    build_rootfs "$mirror"
    link_alternatives
    log "qemu: $("$QEMU" --version | head -n1); rootfs ready after $(elapsed)"

    if [[ -n "${MNIST_EDGE_AARCH64_WORK:-}" ]]; then
        WORK="$MNIST_EDGE_AARCH64_WORK"; rm -rf "$WORK"; mkdir -p "$WORK"
    else
        # Not under /tmp: qemu -L would look up /tmp/... inside the rootfs first.
        WORK=$(mktemp -d "$CACHE/run.XXXXXX"); trap 'rm -rf "$WORK"' EXIT
    fi
    log "building the mnist-edge wheel"
    python3 -m pip wheel -q --no-deps --wheel-dir "$WORK/dist" "$REPO"
    local wheel; wheel=$(ls "$WORK"/dist/mnist_edge-*.whl)

    # litert: exactly what `pip install "mnist-edge[edge]"` gives a Pi.
    install_set litert "${wheel}[edge]"
    # tflite-runtime: the older interpreter package; it needs numpy<2, so OpenCV < 4.12.
    install_set tflite-runtime "$wheel" "tflite-runtime==2.14.*" "numpy<2" "opencv-python-headless>=4.8"
    log "dependencies installed after $(elapsed)"

    "$WORK/x86_64-litert/bin/python" "$HERE/compare.py" \
        --qemu "$QEMU" --rootfs "$ROOTFS" --work "$WORK" --repo "$REPO" \
        --digits "$DIGITS" --cpus $QEMU_CPUS \
        ${MNIST_NPZ:+--mnist "$MNIST_NPZ"} \
        $([[ "${MNIST_EDGE_BENCHMARK:-0}" == 1 ]] || echo --no-benchmark)
    log "done in $(elapsed)"
}

main "$@"
