"""Run `mnist-edge benchmark` inside qemu-user, where a child process needs qemu too.

Without binfmt_misc the host kernel cannot exec the guest's python for the benchmark's
cold-start child, so each child command is prefixed with `$QEMU -L $ROOTFS` (an x86_64
binary, which the emulated process can start). The child's peak RSS is then qemu's,
emulator included: an upper bound, not a Raspberry Pi figure.

usage (under qemu): QEMU=... ROOTFS=... python3.11 emulated_benchmark.py [benchmark options]
"""

import os
import subprocess
import sys
import types

from edge_runtime import benchmark

PREFIX = [os.environ["QEMU"], "-L", os.environ["ROOTFS"]]


def popen_through_qemu(command, *arguments, **keywords):
    return subprocess.Popen([*PREFIX, *command], *arguments, **keywords)


benchmark.subprocess = types.SimpleNamespace(Popen=popen_through_qemu, DEVNULL=subprocess.DEVNULL)
sys.exit(benchmark.main(sys.argv[1:]))
