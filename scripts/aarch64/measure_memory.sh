#!/usr/bin/env bash
# Run `classify` and the headless camera loop with one thread inside a 512 MiB memory cgroup
# (the RAM of a Raspberry Pi Zero 2 W) and print each run's peak memory.
#
#   PYTHON=/path/to/venv/bin/python bash scripts/aarch64/measure_memory.sh [DIGITS_DIR]
#
# PYTHON must have mnist-edge[edge] installed (default: python3). Needs root for the cgroup;
# cgroup v1 (memory.max_usage_in_bytes) and v2 (memory.peak) are both handled. The peak
# counts everything the kernel charges to the group: the process's RSS plus the page cache
# it pulls in (model file, shared libraries), i.e. what would have to fit on the Pi.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
LIMIT=$((512 * 1024 * 1024))
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

make_cgroup() {
    if [[ -d /sys/fs/cgroup/memory ]]; then            # v1
        GROUP=/sys/fs/cgroup/memory/mnist-edge-512m-$$
        mkdir "$GROUP"; echo "$LIMIT" > "$GROUP/memory.limit_in_bytes"
        echo 0 > "$GROUP/memory.swappiness" 2>/dev/null || true
        PEAK_FILE=memory.max_usage_in_bytes; RESET="$GROUP/memory.max_usage_in_bytes"
    else                                                # v2
        GROUP=/sys/fs/cgroup/mnist-edge-512m-$$
        mkdir "$GROUP"; echo "$LIMIT" > "$GROUP/memory.max"; echo 0 > "$GROUP/memory.swap.max" 2>/dev/null || true
        PEAK_FILE=memory.peak; RESET=""
    fi
    trap 'rm -rf "$SCRATCH"; rmdir "$GROUP" 2>/dev/null || true' EXIT
}

# measure LABEL COMMAND...: run COMMAND inside the group, print its peak and exit status.
measure() {
    local label="$1"; shift
    [[ -n "$RESET" ]] && echo 0 > "$RESET"
    local status=0
    # The subshell moves itself into the group, then execs the command (children stay in it).
    # peak_rss.py reports the process's own peak RSS (ru_maxrss) beside the group's figure.
    ( echo "$BASHPID" > "$GROUP/cgroup.procs"; exec "$PYTHON" "$HERE/peak_rss.py" "$SCRATCH/rss" "$@" ) \
        >"$SCRATCH/out" 2>"$SCRATCH/err" || status=$?
    local peak; peak=$(cat "$GROUP/$PEAK_FILE")
    local oom; oom=$(grep -E '^(oom_kill|oom) ' "$GROUP"/memory.{oom_control,events} 2>/dev/null | awk '{s += $2} END {print s + 0}' || true)
    printf '%-50s exit %d  cgroup peak %5.1f MiB, process peak RSS %5.1f MiB (limit 512; OOM kills %s), %s lines\n' \
        "$label" "$status" "$(awk -v bytes="$peak" 'BEGIN {print bytes / 1048576}')" "$(cat "$SCRATCH/rss")" "$oom" "$(wc -l < "$SCRATCH/out")"
    [[ $status == 0 ]] || tail -n 5 "$SCRATCH/err"
}

make_cgroup
DIGITS="${1:-}"
if [[ -z "$DIGITS" ]]; then
    DIGITS="$SCRATCH/digits"
    "$PYTHON" - "$DIGITS" "$HERE/../.." <<'EOF'
import sys, pathlib, numpy as np
from PIL import Image
out, repo = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]).resolve()
out.mkdir()
import os
for candidate in (os.environ.get("MNIST_NPZ", ""), repo.parent / "shared" / "data" / "mnist.npz",
                  repo / "dataset" / "mnist.npz"):
    if candidate and pathlib.Path(candidate).is_file():
        with np.load(candidate) as data:
            for index, image in enumerate(data["x_test"][:600]):
                Image.fromarray(image).save(out / f"{index:05d}.png")
        break
else:
    sys.exit("no mnist.npz found: set MNIST_NPZ=path/to/mnist.npz")
EOF
fi
PACKAGE=$("$PYTHON" -c 'import edge_runtime, os; print(os.path.dirname(edge_runtime.__file__))')
# A 640x480 MJPG video of the shipped camera frame: the camera loop's input without a camera.
"$PYTHON" - "$PACKAGE/examples" "$SCRATCH/frames.avi" <<'EOF'
import sys, pathlib, cv2, numpy as np
frame = cv2.imread(str(sorted(pathlib.Path(sys.argv[1]).glob("frame_*"))[0]), cv2.IMREAD_COLOR)
frame = cv2.resize(frame, (640, 480))
writer = cv2.VideoWriter(sys.argv[2], cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
for index in range(300):
    writer.write(np.roll(frame, index % 7, axis=1))
writer.release()
EOF

echo "cgroup $GROUP, limit 512 MiB, $("$PYTHON" -c 'import edge_runtime.interpreter as i; print(i.load_interpreter_class()[0])') interpreter, 1 thread"
for model in model_int8 model_float32; do
    measure "classify $model ($(ls "$DIGITS" | wc -l) digits + examples)" \
        "$PYTHON" -m edge_runtime classify --json --threads 1 --model "$PACKAGE/models/$model.tflite" \
        "$DIGITS" "$PACKAGE/examples"
    measure "camera $model (300 frames 640x480, headless)" \
        "$PYTHON" -m edge_runtime camera --headless --json --threads 1 --model "$PACKAGE/models/$model.tflite" \
        --source "$SCRATCH/frames.avi" --max-frames 300
done
