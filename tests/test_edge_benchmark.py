"""edge_runtime.benchmark: every figure is produced and sane (no speed thresholds in tests)."""

import pytest

from conftest_edge import INT8_MODEL, load_model
from edge_runtime import benchmark


def test_time_calls_returns_median_and_p99_in_microseconds():
    median, p99 = benchmark.time_calls(lambda: sum(range(100)), repeats=50, warmup=1)
    assert 0 < median <= p99


def test_latency_figures_cover_invoke_digit_photo_and_frame():
    figures = benchmark.latency_figures(load_model(INT8_MODEL), repeats=20)
    assert {"invoke_us", "digit28_end_to_end_us", "photo_end_to_end_us", "frame640_end_to_end_us"} <= set(figures)
    assert figures["photo_size"] == [1600, 1200] and figures["frame_digits"] == 5
    timings = [value for name, value in figures.items() if name.endswith("_us")]
    assert len(timings) == 4 and all(0 < median <= p99 for median, p99 in timings)


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
