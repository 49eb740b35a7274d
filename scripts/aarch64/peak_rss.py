"""Run a command; write its peak resident set size in MiB (ru_maxrss) to a file.

usage: python peak_rss.py OUTPUT_FILE COMMAND [ARGS...]   (exit status is the command's)
"""

import os
import subprocess
import sys

child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as output:
    output.write(f"{usage.ru_maxrss / 1024:.1f}\n")  # Linux reports KiB
sys.exit(os.waitstatus_to_exitcode(status))
