"""Prometheus metrics in the text exposition format, written by hand: a handful of counters,
gauges and histograms need no client library on the Pi."""

import bisect
import math
import threading

# Seconds: a camera frame takes from well under a millisecond (a fast core, few digits) to
# a second (a Pi Zero, a page full of blobs).
STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def format_value(value):
    if value == math.inf:
        return "+Inf"
    return repr(float(value)) if isinstance(value, float) else str(value)


def format_labels(labels):
    return "{" + ",".join(f'{name}="{value}"' for name, value in labels.items()) + "}" if labels else ""


class Counter:
    """A number that only goes up; safe to increase from several threads."""

    kind = "counter"

    def __init__(self, name, help_text, labels=None):
        self.name, self.help, self.labels = name, help_text, dict(labels or {})
        self.value, self._lock = 0, threading.Lock()

    def inc(self, amount=1):
        with self._lock:
            self.value += amount

    def samples(self):
        yield self.name, self.labels, self.value


class Gauge:
    """A value read when the metrics are scraped (clients connected, last frame time)."""

    kind = "gauge"

    def __init__(self, name, help_text, read):
        self.name, self.help, self.labels, self.read = name, help_text, {}, read

    def samples(self):
        yield self.name, self.labels, self.read()


class Histogram:
    """Counts of observations at or below each bucket's bound, their sum and their count."""

    kind = "histogram"

    def __init__(self, name, help_text, labels=None, buckets=STAGE_BUCKETS):
        self.name, self.help, self.labels, self.bounds = name, help_text, dict(labels or {}), tuple(buckets)
        self.counts, self.sum, self.count = [0] * (len(self.bounds) + 1), 0.0, 0
        self._lock = threading.Lock()

    def observe(self, value):
        with self._lock:
            self.counts[bisect.bisect_left(self.bounds, value)] += 1
            self.sum += value
            self.count += 1

    def samples(self):
        with self._lock:
            counts, total, count = list(self.counts), self.sum, self.count
        cumulative = 0
        for bound, bucket_count in zip((*self.bounds, math.inf), counts):
            cumulative += bucket_count
            yield f"{self.name}_bucket", dict(self.labels, le=format_value(bound)), cumulative
        yield f"{self.name}_sum", self.labels, total
        yield f"{self.name}_count", self.labels, count


def render(metrics):
    """The text format: HELP and TYPE once per name, then every sample of that name."""
    lines, described = [], set()
    for metric in sorted(metrics, key=lambda m: m.name):
        if metric.name not in described:
            described.add(metric.name)
            lines += [f"# HELP {metric.name} {metric.help}", f"# TYPE {metric.name} {metric.kind}"]
        lines += [f"{name}{format_labels(labels)} {format_value(value)}" for name, labels, value in metric.samples()]
    return "\n".join(lines) + "\n"
