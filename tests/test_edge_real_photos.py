"""Real photos taken by people outside the project (shared/data/real-photos-dev): the measures
of that set's README, with the shipped int8 model. A development set: never trained on."""

import os
from pathlib import Path

import pytest

from conftest_edge import INT8_MODEL, REPO, load_model, missing
from edge_runtime import evaluate

REAL_PHOTOS = Path(os.environ.get("REAL_PHOTOS_DIR", REPO.parent / "shared" / "data" / "real-photos-dev"))


@pytest.fixture(scope="module")
def readings():
    if not (REAL_PHOTOS / "truth.json").is_file():
        missing(f"real photos not found at {REAL_PHOTOS} (set REAL_PHOTOS_DIR)")
    return evaluate.read_folder(load_model(INT8_MODEL), REAL_PHOTOS, min_score=0.5)


def test_real_photos_are_read_at_the_measured_level(readings):
    """Measured: recall 95.7 % (266 of 278), precision 97.4 %, characters 95.7 %, 16 of 19
    exact: issue 10's 95 / 97 / 90 / 80 %. The gates sit a digit (an image) below; two digits
    fewer and recall would miss 95 %. The misses: dense touching digits, a 4 whose arm runs
    into a 7, see README "What the runtime can and cannot read"."""
    total = evaluate.report(readings)
    assert total.images == 19 and total.digits == 278
    assert total.recall >= 0.953  # 265 of 278
    assert total.precision >= 0.97
    assert total.characters >= 0.94
    assert total.exact >= 15


def test_real_photos_with_several_rows_come_back_line_by_line(readings):
    """Written lines come back one by one, in reading order. Measured on the 8 pages of 2-6
    rows: 7 with the right number of lines (in hypjudy_04 two missed digits leave a gap that
    splits a line in two), 5 with every line exactly right."""
    multi_row = [(lines, record) for _, _, lines, record in readings if len(record["lines"]) > 1]
    assert len(multi_row) == 8
    assert sum(len(lines) == len(record["lines"]) for lines, record in multi_row) >= 7
    assert sum(lines == record["lines"] for lines, record in multi_row) >= 5
