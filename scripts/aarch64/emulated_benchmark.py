"""Run `mnist-edge benchmark` inside qemu-user, where a child process needs qemu too.

Without binfmt_misc the host kernel cannot exec the guest's python for the benchmark's
cold-start child, so every child command that starts with this interpreter is prefixed with
`$QEMU -L $ROOTFS` (an x86_64 binary, which the emulated process can start). The child's
peak RSS is then qemu's, emulator included: an upper bound, not a Raspberry Pi figure.

usage (under qemu): QEMU=... ROOTFS=... python3.11 emulated_benchmark.py [benchmark options]
"""

import os
import subprocess
import sys

PREFIX = [os.environ["QEMU"], "-L", os.environ["ROOTFS"]]


class PopenThroughQemu(subprocess.Popen):
    """subprocess.run and friends all create a Popen: route the guest's python through qemu."""

    def __init__(self, args, *positional, **keywords):
        if isinstance(args, (list, tuple)) and args and str(args[0]) == sys.executable:
            args = [*PREFIX, *args]
        super().__init__(args, *positional, **keywords)


subprocess.Popen = PopenThroughQemu

from edge_runtime import benchmark  # noqa: E402  (after the patch, on purpose)

sys.exit(benchmark.main(sys.argv[1:]))
