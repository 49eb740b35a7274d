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


def test_real_photos_meet_the_reading_targets(readings):
    total = evaluate.report(readings)
    assert total.images == 19 and total.digits == 278
    assert total.recall >= 0.95
    assert total.precision >= 0.97
    assert total.characters >= 0.90
    assert total.exact / total.images >= 0.80


def test_real_photos_with_several_rows_come_back_line_by_line(readings):
    multi_row = [(lines, record) for _, _, lines, record in readings if len(record["lines"]) > 1]
    assert len(multi_row) >= 8
    right = sum(lines == record["lines"] for lines, record in multi_row)
    assert right / len(multi_row) >= 0.75
