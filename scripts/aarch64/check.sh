#!/usr/bin/env bash
# Follow docs/raspberry-pi.md on emulated 64-bit Raspberry Pi OS, trixie (Debian 13, Python 3.13)
# and bookworm (Debian 12, Python 3.11), and fail unless the install works as the guide says and
# `python -m edge_runtime classify --json` gives every image the labels it gets on x86_64.
#
#   bash scripts/aarch64/check.sh            # what CI runs (needs root: debootstrap, chroot)
#
# Per release: a Debian arm64 root made with debootstrap (cached), a fresh copy of it in which
# pi_install.py runs the guide's commands under qemu-user, an x86_64 venv pinned to the versions
# the Pi got, and compare.py.
#
# Environment (all optional):
#   MNIST_EDGE_PI_RELEASES    releases to check (default "trixie bookworm")
#   MNIST_EDGE_AARCH64_CACHE  root filesystems + qemu (default ~/.cache/mnist-edge/aarch64)
#   MNIST_EDGE_AARCH64_WORK   scratch dir for this run (default: a new temp dir, removed)
#   MNIST_NPZ                 mnist.npz (default: shared/data/mnist.npz beside the repo)
#   MNIST_EDGE_DIGITS         how many MNIST test digits to compare (default 500)
#   MNIST_EDGE_QEMU_CPUS      qemu CPU models, one comparison each (default cortex-a72 = Pi 4
#                             core; add cortex-a76 for the Pi 5, cortex-a53 for the Pi Zero 2 W)
#   MNIST_EDGE_QEMU           qemu-aarch64 binary to use, static (default: qemu-user from
#                             bookworm-backports, see docs/raspberry-pi.md for why not 7.2)
#   MNIST_EDGE_DEBIAN_MIRROR  Debian mirror (default: the first one in the apt sources)
#   MNIST_EDGE_BENCHMARK=1    also run `mnist-edge benchmark` under emulation (+3 min a release)
set -euo pipefail
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1

# What the emulated Pi installs: mnist-edge[EXTRAS] in place of the guide's mnist-edge[...]
# (the check fails if the guide names an extra that EXTRAS lacks), plus ALSO_INSTALL.
# `web` is paho-mqtt for `--mqtt` (`serve` itself needs nothing beyond the standard library).
EXTRAS="edge,web"
ALSO_INSTALL=""

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${MNIST_EDGE_AARCH64_CACHE:-$HOME/.cache/mnist-edge/aarch64}"
RELEASES="${MNIST_EDGE_PI_RELEASES:-trixie bookworm}"
DIGITS="${MNIST_EDGE_DIGITS:-500}"
QEMU_CPUS="${MNIST_EDGE_QEMU_CPUS:-cortex-a72}"
PYTHON_HOST="${MNIST_EDGE_HOST_PYTHON:-python3.11}"
QEMU_BACKPORT_VERSION="${MNIST_EDGE_QEMU_VERSION:-}"   # empty: newest in bookworm-backports

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

# qemu-user 7.2 (what Debian bookworm's apt gives, qemu-user and qemu-user-static alike) passes
# the host's x86 /proc/cpuinfo to the guest, and the cpuinfo library inside ai-edge-litert >= 2.2
# then crashes; qemu-user 10 (bookworm-backports; trixie's own apt has 10 too) emulates an ARM
# /proc/cpuinfo. Fetched with a private apt state: the host's sources and packages stay as they are.
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
    # The package holds every target's emulator (360 MiB unpacked), statically linked; keep aarch64's.
    dpkg-deb --fsys-tarfile "$apt_dir"/archives/qemu-user_*.deb \
        | tar -x -C "$apt_dir" ./usr/bin/qemu-aarch64
    mkdir -p "$dir/usr/bin" && mv "$apt_dir/usr/bin/qemu-aarch64" "$dir/usr/bin/" && rm -rf "$apt_dir"
    echo "$dir/usr/bin/qemu-aarch64"
}

# build_rootfs RELEASE PACKAGES MIRROR: Debian RELEASE arm64 with PACKAGES, cached under
# $CACHE/rootfs-RELEASE until the package list changes.
build_rootfs() {
    local release="$1" packages="$2" mirror="$3" rootfs="$CACHE/rootfs-$1"
    local stamp="$release arm64 minbase $packages v2"
    if [[ -f "$rootfs/.mnist-edge-stamp" && "$(cat "$rootfs/.mnist-edge-stamp")" == "$stamp" ]]; then
        log "reusing $rootfs"; return
    fi
    log "debootstrap $release arm64 into $rootfs ($mirror): $packages"
    rm -rf "$rootfs" "$rootfs.partial"
    debootstrap --foreign --arch=arm64 --variant=minbase --include="$packages" \
        "$release" "$rootfs.partial" "$mirror" >"$CACHE/debootstrap-$release.log" 2>&1 \
        || { tail -n 20 "$CACHE/debootstrap-$release.log" >&2; return 1; }
    # --foreign leaves the second stage undone; unpacking every .deb completes the tree. No
    # maintainer script runs (the host cannot exec them), so do the two of their jobs we need.
    local deb
    for deb in "$rootfs.partial"/var/cache/apt/archives/*.deb; do dpkg -x "$deb" "$rootfs.partial"; done
    rm -f "$rootfs.partial"/var/cache/apt/archives/*.deb
    do_maintainer_jobs "$rootfs.partial"
    echo "$stamp" > "$rootfs.partial/.mnist-edge-stamp"
    mv "$rootfs.partial" "$rootfs"
}

# update-alternatives' links through which apt's numpy finds BLAS/LAPACK, and
# update-ca-certificates' bundle, which Debian's pip reads.
do_maintainer_jobs() {
    local root="$1" lib="$1/usr/lib/aarch64-linux-gnu" name
    for name in blas lapack; do
        if [[ -e "$lib/$name/lib$name.so.3" && ! -e "$lib/lib$name.so.3" ]]; then
            ln -s "$name/lib$name.so.3" "$lib/lib$name.so.3"
        fi
    done
    mkdir -p "$root/etc/ssl/certs"
    cat "$root"/usr/share/ca-certificates/*/*.crt > "$root/etc/ssl/certs/ca-certificates.crt"
}

# check_release RELEASE: follow the guide in a copy of the root, then compare labels.
check_release() {
    local release="$1" wheel="$2" work="$WORK/$1"
    log "$release: following docs/raspberry-pi.md on the emulated Pi ($(elapsed))"
    mkdir -p "$work"
    "${PRIVATE_MOUNTS[@]}" python3 "$HERE/pi_install.py" --release "$release" --rootfs "$CACHE/rootfs-$release" \
        --work "$work" --qemu "$QEMU" --wheel "$wheel" --extras "$EXTRAS" --also $ALSO_INSTALL \
        --cpu "${QEMU_CPUS%% *}" "${BIND[@]}"
    log "$release: x86_64 reference with the Pi's versions ($(elapsed))"
    "$PYTHON_HOST" -m venv "$work/x86_64"
    "$work/x86_64/bin/python" -m pip install -q "${wheel}[$EXTRAS]" $ALSO_INSTALL -r "$work/x86_64-requirements.txt"
    log "$release: comparing labels ($(elapsed))"
    "${PRIVATE_MOUNTS[@]}" "$work/x86_64/bin/python" "$HERE/compare.py" --root "$work/root" \
        --report "$work/report.json" --repo "$REPO" --digits "$DIGITS" --cpus $QEMU_CPUS \
        ${MNIST_NPZ:+--mnist "$MNIST_NPZ"} "${BIND[@]}" \
        $([[ "${MNIST_EDGE_BENCHMARK:-0}" == 1 ]] && echo --benchmark)
    log "$release: done ($(elapsed))"
}

main() {
    [[ $(id -u) == 0 ]] || { log "needs root (apt-get, debootstrap, chroot)"; exit 2; }
    need_apt_packages debootstrap:debootstrap dpkg-deb:dpkg
    mkdir -p "$CACHE"
    local mirror; mirror=$(debian_mirror)
    QEMU="${MNIST_EDGE_QEMU:-$(fetch_qemu "$mirror")}"
    log "qemu: $("$QEMU" --version | head -n1)"
    # A private mount namespace lets the emulated Pi see /proc and /sys as a Pi does; the mounts
    # vanish with it. Where mounting is not allowed the check runs without them.
    if unshare --mount --propagation private true 2>/dev/null; then
        PRIVATE_MOUNTS=(unshare --mount --propagation private --); BIND=(--bind-host-filesystems)
    else
        PRIVATE_MOUNTS=(); BIND=(); log "no private mount namespace: the emulated Pi has no /proc, /sys"
    fi

    if [[ -n "${MNIST_EDGE_AARCH64_WORK:-}" ]]; then
        WORK="$MNIST_EDGE_AARCH64_WORK"; rm -rf --one-file-system "$WORK"; mkdir -p "$WORK"
    else
        WORK=$(mktemp -d "$CACHE/run.XXXXXX"); trap 'rm -rf --one-file-system "$WORK"' EXIT
    fi
    python3 -m pip wheel -q --no-deps --wheel-dir "$WORK/dist" "$REPO"
    local wheel; wheel=$(ls "$WORK"/dist/mnist_edge-*.whl)
    # The roots download in parallel (mostly network); the emulated runs go one at a time.
    local release pids=() pid
    for release in $RELEASES; do
        build_rootfs "$release" "$(python3 "$HERE/guide.py" debian-packages "$release")" "$mirror" & pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
    log "root filesystems ready ($(elapsed))"
    for release in $RELEASES; do check_release "$release" "$wheel"; done
    log "done in $(elapsed): $RELEASES"
}

main "$@"
