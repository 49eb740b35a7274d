"""What a person sees from the toolkit commands when they get something wrong."""

import subprocess
import sys


def mnist_edge(*arguments, cwd=None):
    return subprocess.run([sys.executable, "-m", "edge_runtime", *arguments],
                          capture_output=True, text=True, cwd=cwd)


def assert_one_line_error(result, *fragments):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_train_with_a_corrupt_data_file(tmp_path):
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"\x00" * 100)
    result = mnist_edge("train", "--data", str(bad), "--out", str(tmp_path / "run"))
    assert_one_line_error(result, str(bad), "not a readable .npz archive")


def test_train_with_a_missing_folder(tmp_path):
    result = mnist_edge("train", "--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "run"))
    assert_one_line_error(result, "nothing: no such file or folder")


def test_export_without_a_trained_model(tmp_path, mnist_npz_path):
    result = mnist_edge("export", "--data", str(mnist_npz_path), "--out", str(tmp_path))
    assert_one_line_error(result, "model.keras: Keras model not found")


def test_unknown_variant_is_named(tmp_path, mnist_npz_path):
    result = mnist_edge("export", "--data", str(mnist_npz_path), "--out", str(tmp_path), "--variants", "int4")
    assert_one_line_error(result, "unknown variant(s) int4")


def test_unknown_command_lists_the_commands():
    result = mnist_edge("trian")
    assert result.returncode == 2 and "unknown command 'trian'" in result.stderr and "pipeline" in result.stderr
