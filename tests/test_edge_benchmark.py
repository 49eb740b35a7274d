"""edge_runtime.benchmark: every figure is produced and right (no speed thresholds in tests).

The latency figures are checked against a fake clock that only the interpreter's invoke moves,
so the expected numbers are exact and a benchmark that times the wrong thing, in the wrong unit,
or counts its warm-up calls, gets them wrong.
"""

import cv2
import numpy as np
import pytest

from conftest_edge import INT8_MODEL, load_model
from edge_runtime import benchmark, classify
from edge_runtime.model import DigitModel

INVOKE_NS = 250_000  # what one invoke costs on the fake clock: 250 us


class FakeClock:
    """Stands in for the `time` module inside edge_runtime.benchmark; moves only when told to."""

    def __init__(self):
        self.now = 0

    def perf_counter_ns(self):
        return self.now


class ClockedInterpreter:
    """The real interpreter, except that each invoke advances the fake clock by INVOKE_NS."""

    def __init__(self, interpreter, clock):
        self._interpreter, self._clock, self.invokes = interpreter, clock, 0

    def invoke(self):
        self._clock.now += INVOKE_NS
        self.invokes += 1
        self._interpreter.invoke()

    def __getattr__(self, name):
        return getattr(self._interpreter, name)


def test_time_calls_gives_median_and_p99_of_the_timed_calls_in_microseconds(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(benchmark, "time", clock)
    # Three slow warm-up calls (1 s each, to be left out), then 1..99 us and one 10 ms outlier, shuffled.
    timed = np.random.default_rng(0).permutation([*range(1, 100), 10_000])
    durations = iter([10**9] * 3 + [1000 * int(microseconds) for microseconds in timed])

    def call():
        clock.now += next(durations)

    median, p99 = benchmark.time_calls(call, repeats=100, warmup=3)
    assert median == 50.5 and p99 == pytest.approx(99 + 0.01 * (10_000 - 99))  # numpy's linear percentile
    assert next(durations, None) is None  # exactly warm-up + repeats calls


def test_latency_figures_time_invoke_digit_photo_and_frame(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(benchmark, "time", clock)
    model = DigitModel(INT8_MODEL)
    model.interpreter = ClockedInterpreter(model.interpreter, clock)
    photo = benchmark.example_image("photo_")[0]
    frame = cv2.imread(str(benchmark.example_image("frame_")[1]), cv2.IMREAD_COLOR)  # as the benchmark reads it
    invokes_per_call = {}
    for name, image in (("photo", photo), ("frame", frame)):
        before = model.interpreter.invokes
        classify.classify_image(model, image)
        invokes_per_call[name] = model.interpreter.invokes - before

    figures = benchmark.latency_figures(model, repeats=20)
    microseconds = INVOKE_NS / 1000
    assert figures["invoke_us"] == (microseconds, microseconds)
    assert figures["digit28_end_to_end_us"] == (microseconds, microseconds)  # one invoke per digit
    assert figures["photo_end_to_end_us"] == (invokes_per_call["photo"] * microseconds,) * 2
    assert figures["frame640_end_to_end_us"] == (invokes_per_call["frame"] * microseconds,) * 2
    assert figures["digit28_over_invoke_us_median"] == 0
    assert figures["photo_size"] == [1600, 1200] and figures["frame_digits"] == 5
    assert invokes_per_call["photo"] >= 1 and invokes_per_call["frame"] >= figures["frame_digits"]


def test_camera_fps_and_cold_start_run_for_real():
    assert benchmark.camera_fps(load_model(INT8_MODEL), frames=20) > 0
    seconds, peak_mib = benchmark.cold_start(INT8_MODEL, next(benchmark.EXAMPLES_DIR.glob("photo_*")), runs=1)
    assert seconds > 0 and 10 < peak_mib <= 100  # issue 3: peak memory at most 100 MiB


@pytest.mark.parametrize("threads", ["0", "99999999999"])
def test_max_threads_outside_1_to_64_is_a_usage_error(threads, capsys):
    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(["--max-threads", threads])
    assert exit_info.value.code == 2
    assert "--max-threads: must be between 1 and 64" in capsys.readouterr().err
