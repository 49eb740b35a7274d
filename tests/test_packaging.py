"""The distribution: a pure-Python wheel whose `edge` extra never pulls TensorFlow.

Resolution uses `pip install --dry-run --report` for CPython 3.11 on x86_64 and on aarch64
(64-bit Raspberry Pi OS bookworm), so nothing is installed. pip evaluates environment markers
against the interpreter running it, not against --platform: a `platform_machine` marker in
pyproject.toml is not exercised by the aarch64 case here (scripts/aarch64/check.sh follows
docs/raspberry-pi.md on emulated aarch64, pip included, for that).
"""

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PLATFORMS = {
    "x86_64": ["manylinux2014_x86_64"] + [f"manylinux_2_{minor}_x86_64" for minor in (17, 27, 28, 34, 36)],
    "aarch64": ["manylinux2014_aarch64"] + [f"manylinux_2_{minor}_aarch64" for minor in (17, 27, 28, 34, 36)],
}
# Anything that would drag a full ML framework onto a Pi.
FORBIDDEN = re.compile(r"^(tensorflow.*|tf-.*|tf_.*|keras.*|jax.*|torch.*)$")


def pip(*arguments):
    result = subprocess.run([sys.executable, "-m", "pip", *arguments], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AssertionError(f"pip {' '.join(arguments)} failed:\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The project built the way a user's `pip wheel .` builds it."""
    directory = tmp_path_factory.mktemp("dist")
    pip("wheel", "--quiet", "--no-deps", "--wheel-dir", str(directory), str(REPO))
    (path,) = directory.glob("mnist_edge-*.whl")
    return path


def resolve(wheel, extra, machine, tmp_path):
    """{name: (version, file name)} that pip would install for CPython 3.11 on `machine`."""
    report = tmp_path / f"report-{machine}.json"
    platforms = [argument for tag in PLATFORMS[machine] for argument in ("--platform", tag)]
    pip("install", "--dry-run", "--quiet", "--ignore-installed", "--report", str(report),
        "--target", str(tmp_path / "never-written"), "--python-version", "3.11", "--implementation", "cp",
        "--only-binary=:all:", *platforms, f"{wheel}[{extra}]")
    installs = json.loads(report.read_text())["install"]
    return {item["metadata"]["name"].lower().replace("_", "-"):
            (item["metadata"]["version"], item["download_info"]["url"].rsplit("/", 1)[-1]) for item in installs}


def test_wheel_is_pure_python_and_ships_the_models(wheel):
    assert wheel.name == "mnist_edge-0.1.0-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"edge_runtime/__main__.py", "edge_runtime/models/model_int8.tflite", "edge_runtime/web_page.html"} <= names


def test_wheel_claims_no_generic_top_level_names(wheel):
    """train/ and export/ install under mnist_edge: "train" and "export" in site-packages would
    clash with any other project that uses those names."""
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"edge_runtime", "mnist_edge"}
    assert {"mnist_edge/train/training.py", "mnist_edge/export/cli.py"} <= set(names)


@pytest.mark.parametrize("machine", sorted(PLATFORMS))
def test_edge_extra_resolves_without_tensorflow(wheel, machine, tmp_path):
    resolved = resolve(wheel, "edge", machine, tmp_path)
    assert [name for name in resolved if FORBIDDEN.match(name)] == []
    assert {"mnist-edge", "ai-edge-litert", "opencv-python-headless", "numpy", "pillow"} <= set(resolved)
    # Every binary wheel is for the target machine: the extra is installable there.
    binary = [file for _, file in resolved.values() if not file.endswith("-none-any.whl")]
    assert binary and all(machine in file for file in binary), binary


@pytest.mark.slow
def test_train_extra_is_where_tensorflow_comes_from(wheel, tmp_path):
    """The counter-check: the same resolution does see TensorFlow when it is asked for."""
    assert "tensorflow" in resolve(wheel, "train", "x86_64", tmp_path)
