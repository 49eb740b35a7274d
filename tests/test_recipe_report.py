"""Two architectures side by side in the comparison report: table, markdown, PNG, and the CLI."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from mnist_edge.export import report
from prerequisites import require_module

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def fake_report(keras_accuracy, int8_accuracy, int8_bytes, latency):
    record = {"accuracy": int8_accuracy, "bytes": int8_bytes, "latency_us_p50": latency,
              "agreement_with_keras": 0.999, "per_class_accuracy": [1.0] * 10,
              "confusion_matrix": [[100 if row == column else 0 for column in range(10)] for row in range(10)]}
    keras = {**record, "accuracy": keras_accuracy, "bytes": 700_000}
    keras.pop("latency_us_p50")
    return {"test_samples": 10000, "models": {"keras": keras, "int8": record}}


@pytest.fixture
def two_architectures():
    from mnist_edge.export import compare

    edge, seed = fake_report(0.9955, 0.9951, 60_000, 80.0), fake_report(0.9910, 0.9906, 98_000, 120.0)
    edge["side_by_side"] = compare.side_by_side({"edge": edge, "seed": seed})
    return edge


def test_side_by_side_keeps_the_choosing_figures(two_architectures):
    side = two_architectures["side_by_side"]
    assert side["seed"]["int8"] == {"accuracy": 0.9906, "bytes": 98_000, "latency_us_p50": 120.0}
    assert set(side["edge"]["keras"]) == {"accuracy", "bytes"}
    assert report.side_by_side_rows(two_architectures) == [
        ("edge", "99.55", "99.51", "0.04", "58.6", "80.0"), ("seed", "99.10", "99.06", "0.04", "95.7", "120.0")]


def test_side_by_side_needs_two():
    from mnist_edge.export import compare

    with pytest.raises(ValueError, match="needs two architectures"):
        compare.side_by_side({"edge": fake_report(0.99, 0.99, 1, 1.0)})


def test_markdown_and_png_show_both(two_architectures, tmp_path):
    require_module("matplotlib")
    from mnist_edge.export import report_plot

    markdown = report.render_markdown(two_architectures)
    assert "## Architectures side by side" in markdown and "| seed | 99.10 | 99.06 |" in markdown
    assert "side by side" not in report.render_markdown({k: v for k, v in two_architectures.items()
                                                         if k != "side_by_side"})
    report_plot.plot_report(two_architectures, tmp_path / "report.png")
    assert (tmp_path / "report.png").read_bytes()[:8] == PNG_MAGIC


DROP_STIX_FROM_FONT_CACHE = r"""
import glob, json, os, matplotlib.font_manager
for path in glob.glob(os.path.join(os.environ["MPLCONFIGDIR"], "fontlist-*.json")):
    cache = json.load(open(path))
    cache["ttflist"] = [font for font in cache["ttflist"] if "STIX" not in font["name"]]
    json.dump(cache, open(path, "w"))
"""

DRAW_REPORT = r"""
import json, sys
from mnist_edge.export import report_plot
report_plot.plot_report(json.load(open(sys.argv[1])), sys.argv[2])
"""


def test_the_png_needs_no_font_beyond_the_plain_one(two_architectures, tmp_path):
    """A font cache without matplotlib's STIX fonts (a system matplotlib that shares
    ~/.cache/matplotlib lists only system fonts) made a newcomer's `make pipeline` print 21
    'findfont: Font family STIXGeneral not found' warnings: log-scale ticks were math text."""
    require_module("matplotlib")
    environment = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "matplotlib")}
    subprocess.run([sys.executable, "-c", DROP_STIX_FROM_FONT_CACHE], env=environment, check=True)
    (tmp_path / "report.json").write_text(json.dumps(two_architectures))
    drawn = subprocess.run([sys.executable, "-c", DRAW_REPORT, str(tmp_path / "report.json"), str(tmp_path / "report.png")],
                           env=environment, capture_output=True, text=True, check=True)
    assert (tmp_path / "report.png").read_bytes()[:8] == PNG_MAGIC
    assert "findfont" not in drawn.stderr


def test_compare_cli_with_against(small_run, mnist_npz_path, tmp_path, capsys):
    """The small run against a copy of itself: both appear, the copy under its folder's name."""
    from mnist_edge.export.cli import compare_main

    run, other = tmp_path / "run", tmp_path / "other"
    shutil.copytree(small_run, run)
    shutil.copytree(small_run, other)
    assert compare_main(["--data", str(mnist_npz_path), "--out", str(run), "--against", str(other)]) == 0
    result = json.loads((run / "report.json").read_text())
    assert result["architecture"] == "edge"
    assert set(result["side_by_side"]) == {"edge", "edge (other)"}
    assert result["side_by_side"]["edge"]["int8"] == result["side_by_side"]["edge (other)"]["int8"] | {
        "latency_us_p50": result["side_by_side"]["edge"]["int8"]["latency_us_p50"]}
    assert "## Architectures side by side" in (run / "report.md").read_text()
    assert "edge (other)" in capsys.readouterr().out
