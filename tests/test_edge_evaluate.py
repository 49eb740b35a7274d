"""edge_runtime.evaluate: the scores of the real-photo README, on plain strings."""

import json

import pytest

from edge_runtime import evaluate
from edge_runtime.errors import UserInputError


def test_edit_distance_counts_insertions_deletions_and_substitutions():
    assert evaluate.edit_distance("", "") == 0
    assert evaluate.edit_distance("1234", "1234") == 0
    assert evaluate.edit_distance("124", "1234") == 1
    assert evaluate.edit_distance("12834", "1234") == 1
    assert evaluate.edit_distance("1734", "1234") == 1
    assert evaluate.edit_distance("4321", "1234") == 4


def test_scores_are_summed_over_images_as_the_readme_defines():
    total = evaluate.score([("1234", "1234"), ("17", "127"), ("", "5"), ("99", "")])
    assert total.images == 4 and total.digits == 8
    assert total.recall == pytest.approx(6 / 8)          # 1234, 1 and 7
    assert total.precision == pytest.approx(6 / 8)       # 8 read, 2 of them (99) false
    assert total.characters == pytest.approx(1 - (0 + 1 + 1 + 2) / 8)
    assert total.exact == 1


def test_a_truth_file_with_a_non_digit_number_or_a_missing_image_is_refused(tmp_path):
    (tmp_path / "a.png").write_bytes(b"")
    (tmp_path / "truth.json").write_text(json.dumps({"a.png": {"number": "12a"}}))
    with pytest.raises(UserInputError, match="a.png: 'number' must be a string of digits"):
        evaluate.load_truth(tmp_path)
    (tmp_path / "truth.json").write_text(json.dumps({"b.png": {"number": "12"}}))
    with pytest.raises(UserInputError, match="b.png: no such image"):
        evaluate.load_truth(tmp_path)
