"""report.json and report.md from a comparison dict; drawing lives in report_plot.py."""

import json

from edge_runtime.files import write_text_atomic

ORDER = ("before", "keras", "float32", "float16", "dynamic_range", "int8")


def ordered_models(report):
    return [(name, report["models"][name]) for name in ORDER if name in report["models"]]


def summary_rows(report):
    """One row per model: name, accuracy %, agreement %, size KiB, p50 latency µs, and the
    accuracy on the user's held-out pictures when there are some."""
    held_out = report.get("user_held_out", {}).get("models")
    rows = []
    for name, record in ordered_models(report):
        agreement = record.get("agreement_with_keras")
        latency = record.get("latency_us_p50")
        row = (
            name,
            f"{100 * record['accuracy']:.2f}",
            "-" if agreement is None else f"{100 * agreement:.2f}",
            f"{record['bytes'] / 1024:.1f}",
            "-" if latency is None else f"{latency:.1f}",
        )
        if held_out is not None:
            row += (f"{100 * held_out[name]['accuracy']:.2f}" if name in held_out else "-",)
        rows.append(row)
    return rows


SUMMARY_HEADER = ("model", "accuracy %", "agrees with Keras %", "size KiB", "latency µs (p50, 1 thread)")
HELD_OUT_HEADER = "your held-out %"


def summary_header(report):
    """The summary table's header: test accuracy first, the user's held-out accuracy last."""
    header = ("model", f"{test_set_name(report)} %", *SUMMARY_HEADER[2:])
    return header + (HELD_OUT_HEADER,) if report.get("user_held_out", {}).get("models") else header


def test_set_name(report):
    source = str(report.get("test_set", ""))
    return "held-out accuracy" if "(held out" in source else "accuracy"


def format_table(rows, header=SUMMARY_HEADER):
    """A plain-text table for the terminal."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)) for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def per_class_section(report):
    names = [name for name, _ in ordered_models(report)]
    labels = report.get("labels", [str(digit) for digit in range(10)])
    rows = [[label] + [f"{100 * report['models'][name]['per_class_accuracy'][index]:.2f}" for name in names]
            for index, label in enumerate(labels)]
    return markdown_table(["class"] + names, rows)


def held_out_sections(report):
    """Accuracy on the user's held-out pictures and the readings fine-tuning changed."""
    held = report.get("user_held_out")
    if not held:
        return []
    sections = ["## Your held-out pictures",
                f"{held['images']} pictures of {held['folder']} ({held['holdout']:.0%} of each label, split seed "
                f"{held['split_seed']}, files sha256 {held['sha256'][:16]}...), "
                + ("never trained on." if held.get("same_as_training") is not False else
                   "**not those the model's training held out: some may have been trained on.**")]
    changed = held.get("changed")
    if changed is not None:
        rows = [(item["file"], item["label"], item["before"], item["after"]) for item in changed["images"]]
        listed = f" (first {len(rows)} listed)" if len(rows) < changed["count"] else ""
        sections += [f"Readings changed by fine-tuning: {changed['count']}{listed}, of which {changed['fixed']} "
                     f"now right and {changed['broken']} now wrong. Pictures: `report_changes.png`.",
                     markdown_table(["file", "label", "before", "after"], rows) if rows else ""]
    return sections


def disagreement_section(report):
    found = report.get("float32_int8_disagreements")
    if not found:
        return "No float32/int8 comparison (one of the two models is missing)."
    rows = [(item["index"], item["label"], f"{item['float32']} ({item['float32_score']:.2f})",
             f"{item['int8']} ({item['int8_score']:.2f})") for item in found["images"]]
    listed = f" (first {len(rows)} listed)" if len(rows) < found["count"] else ""
    return (f"{found['count']} test images{listed}.\n\n"
            + markdown_table(["test index", "true label", "float32 (score)", "int8 (score)"], rows))


def side_by_side_rows(report):
    """One row per architecture: Keras and int8 accuracy, int8 drop, int8 size and latency."""
    rows = []
    for arch, models in report.get("side_by_side", {}).items():
        keras, int8 = models.get("keras", {}), models.get("int8", {})
        drop = 100 * (keras["accuracy"] - int8["accuracy"]) if keras and int8 else None
        rows.append((arch, f"{100 * keras['accuracy']:.2f}" if keras else "-",
                     f"{100 * int8['accuracy']:.2f}" if int8 else "-", "-" if drop is None else f"{drop:.2f}",
                     f"{int8['bytes'] / 1024:.1f}" if int8 else "-",
                     f"{int8['latency_us_p50']:.1f}" if "latency_us_p50" in int8 else "-"))
    return rows


SIDE_BY_SIDE_HEADER = ("architecture", "Keras %", "int8 %", "int8 drop (points)", "int8 KiB",
                       "int8 latency µs (p50, 1 thread)")


def side_by_side_sections(report):
    if "side_by_side" not in report:
        return []
    return ["## Architectures side by side", markdown_table(SIDE_BY_SIDE_HEADER, side_by_side_rows(report))]


def gap_to_keras(drop_points):
    """'0.12 points below Keras', or above when int8 scores higher ('-0.01 below' read oddly)."""
    if drop_points is None:
        return "not compared with Keras"
    if drop_points == 0:
        return "level with Keras"
    side = "below" if drop_points > 0 else "above"
    return f"{abs(drop_points):g} points {side} Keras"


def render_markdown(report):
    gate = report.get("gate", {})
    verdict = "passed" if gate.get("passed") else "FAILED"
    return "\n\n".join([
        "# mnist-edge comparison report",
        f"Test images: {report['test_samples']} ({report.get('test_set', 'MNIST test set')}). "
        "Latency is quantize + invoke + dequantize per image, "
        "median over the test set, one thread.",
        markdown_table(summary_header(report), summary_rows(report)),
        f"Deployment gate: int8 is {gap_to_keras(gate.get('int8_drop_points'))} "
        f"(budget {gate.get('budget_points')}): **{verdict}**.",
        *held_out_sections(report),
        "## Per-class accuracy (%)",
        per_class_section(report),
        "## Where float32 and int8 disagree",
        disagreement_section(report),
        *side_by_side_sections(report),
    ]) + "\n"


def write_reports(report, out_dir):
    """report.json and report.md, each written atomically."""
    write_text_atomic(out_dir / "report.json", json.dumps(report, indent=2) + "\n")
    write_text_atomic(out_dir / "report.md", render_markdown(report))
