"""tests/prerequisites.py and the conftest hooks: every kind of skip fails under CI, skips elsewhere."""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import pytest

from prerequisites import REPO, on_ci

# Each way a test can end up not running: a missing package, file or fixture's data
# (prerequisites.py), a pytest.skip in a test, a skipif mark, and a module-level importorskip.
SKIPPING_TESTS = '''
import pytest
from prerequisites import missing, require_module, require_path

@pytest.fixture
def data():
    missing("test data not found")

def test_missing_module():
    require_module("no_such_module_for_mnist_edge")

def test_missing_path(tmp_path):
    require_path(tmp_path / "absent.npz", "MNIST npz")

def test_missing_data_in_a_fixture(data):
    pass

def test_skip_in_a_test():
    pytest.skip("no camera here")

@pytest.mark.skipif(True, reason="not on this platform")
def test_skipif():
    pass

def test_that_runs():
    pass
'''
MODULE_SKIP = '''
import pytest
pytest.importorskip("no_such_module_for_mnist_edge")

def test_never_collected():
    pass
'''


def outcomes(tmp_path, ci):
    """{test name: ('passed' | 'skipped' | 'failed', message)} of a child pytest run over the two
    files above, with this repository's conftest hooks and CI set to `ci` (None: unset)."""
    (tmp_path / "test_skipping.py").write_text(SKIPPING_TESTS)
    (tmp_path / "test_module_skip.py").write_text(MODULE_SKIP)
    report = tmp_path / "report.xml"
    environment = {key: value for key, value in os.environ.items() if key != "CI"}
    environment.update(PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "tests")]), **({"CI": ci} if ci else {}))
    # -p conftest loads tests/conftest.py (its skip-to-failure hooks) as a plugin.
    subprocess.run([sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q",
                    "--continue-on-collection-errors", f"--junitxml={report}", str(tmp_path)],
                   cwd=tmp_path, env=environment, capture_output=True)
    results = {}
    for case in ElementTree.parse(report).iter("testcase"):
        ending = next((child for child in case if child.tag in ("failure", "error", "skipped")), None)
        outcome = "passed" if ending is None else "skipped" if ending.tag == "skipped" else "failed"
        message = "" if ending is None else f"{ending.get('message', '')} {ending.text or ''}"
        results[case.get("name")] = (outcome, message)
    return results


# Each test that does not run, and the words of its reason that must reach the person reading the report.
REASONS = {"test_missing_module": "no_such_module_for_mnist_edge", "test_missing_path": "absent.npz",
           "test_missing_data_in_a_fixture": "test data not found", "test_skip_in_a_test": "no camera here",
           "test_skipif": "not on this platform", "test_module_skip": "no_such_module_for_mnist_edge"}


def test_outside_ci_every_missing_prerequisite_skips_with_its_reason(tmp_path):
    results = outcomes(tmp_path, ci=None)
    assert results.pop("test_that_runs") == ("passed", "")
    assert {name: outcome for name, (outcome, _) in results.items()} == dict.fromkeys(REASONS, "skipped")
    assert all(REASONS[name] in message for name, (_, message) in results.items())


def test_under_ci_every_skip_is_a_failure_that_keeps_its_reason(tmp_path):
    results = outcomes(tmp_path, ci="true")
    assert results.pop("test_that_runs") == ("passed", "")
    assert {name: outcome for name, (outcome, _) in results.items()} == dict.fromkeys(REASONS, "failed")
    assert all(REASONS[name] in message for name, (_, message) in results.items())


@pytest.mark.parametrize("value, expected", [("", False), ("0", False), ("false", False), ("No", False),
                                             ("true", True), ("1", True), ("yes", True)])
def test_ci_is_any_value_but_empty_0_false_or_no(monkeypatch, value, expected):
    monkeypatch.setenv("CI", value)
    assert on_ci() is expected


def test_prerequisites_is_the_only_place_that_reads_ci():
    """A second copy of the CI check is how the three copies of issue 11 came about."""
    reads_ci = re.compile(r"""environ(\.get)?\s*[\[(]\s*["']CI["']|getenv\(\s*["']CI["']""")
    found = [path.relative_to(REPO).as_posix() for folder in ("tests", "scripts", "edge_runtime", "train", "export")
             for path in sorted((REPO / folder).rglob("*.py")) if reads_ci.search(path.read_text())]
    assert found == ["tests/prerequisites.py"]
