"""The comparison PNG: confusion matrices and accuracy against file size."""

import numpy as np

from edge_runtime.files import atomic_path
from mnist_edge.export.report import ordered_models


def draw_confusion(axes, name, record):
    """Log-scaled counts so the few errors show next to the large diagonal."""
    matrix = np.asarray(record["confusion_matrix"])
    axes.imshow(np.log1p(matrix), cmap="Blues")
    axes.set_title(f"{name}: {100 * record['accuracy']:.2f}%")
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_xticks(range(len(matrix)))
    axes.set_yticks(range(len(matrix)))
    for (row, column), count in np.ndenumerate(matrix):
        if count and row != column:
            axes.text(column, row, str(count), ha="center", va="center", fontsize=6, color="darkred")


def draw_accuracy_vs_size(axes, models):
    for name, record in models:
        axes.scatter(record["bytes"] / 1024, 100 * record["accuracy"], s=40)
        axes.annotate(name, (record["bytes"] / 1024, 100 * record["accuracy"]), fontsize=8,
                      xytext=(4, 4), textcoords="offset points")
    axes.set_xscale("log")
    plain_log_ticks(axes.xaxis)
    axes.set_xlabel("file size (KiB, log scale)")
    axes.set_ylabel("test accuracy (%)")
    axes.set_title("accuracy vs size")
    axes.grid(alpha=0.3)


def plain_log_ticks(axis):
    """Ticks written 60, 100, 200 in the plain font. The log scale's own labels are math text,
    which loads matplotlib's STIX fonts: where the font cache does not list them (a system
    matplotlib sharing ~/.cache/matplotlib) each lookup printed a 'findfont' warning."""
    from matplotlib.ticker import LogFormatter

    axis.set_major_formatter(LogFormatter())
    axis.set_minor_formatter(LogFormatter(labelOnlyBase=False))


def draw_accuracy_vs_latency(axes, side_by_side):
    """Each architecture's TFLite models: latency across, accuracy up, marker area by file size."""
    for arch, models in side_by_side.items():
        names = [name for name in models if "latency_us_p50" in models[name]]
        latency = [models[name]["latency_us_p50"] for name in names]
        accuracy = [100 * models[name]["accuracy"] for name in names]
        sizes = [models[name]["bytes"] / 1024 for name in names]
        axes.scatter(latency, accuracy, s=[4 * size for size in sizes], alpha=0.5, label=arch)
        for name, x, y, size in zip(names, latency, accuracy, sizes):
            axes.annotate(f"{arch} {name}\n{size:.0f} KiB", (x, y), fontsize=7, xytext=(4, 4),
                          textcoords="offset points")
    axes.set_xlabel("latency µs (p50, 1 thread)")
    axes.set_ylabel("test accuracy (%)")
    axes.set_title("accuracy vs latency (area: file size)")
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)


def plot_report(report, destination):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    models = [(name, record) for name, record in ordered_models(report) if name != "before"]
    columns = 4 if "side_by_side" in report else 3
    figure, axes = pyplot.subplots(2, columns, figsize=(5 * columns, 9))
    panels = axes.ravel()
    for panel, (name, record) in zip(panels[:5], models):
        draw_confusion(panel, name, record)
    for panel in panels[len(models):5]:
        panel.axis("off")
    draw_accuracy_vs_size(panels[5], models)
    if "side_by_side" in report:
        draw_accuracy_vs_latency(panels[6], report["side_by_side"])
        panels[7].axis("off")
    figure.tight_layout()
    with atomic_path(destination) as temporary:
        figure.savefig(temporary, format="png", dpi=90)
    pyplot.close(figure)


MAX_DRAWN_CHANGES = 60


def plot_changes(changed, images, destination, columns=10):
    """The held-out pictures whose reading fine-tuning changed, each titled "before -> after"
    (green when now right, red when now wrong), with its label and file name beneath."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    items = changed["images"][:MAX_DRAWN_CHANGES]
    rows = max(1, -(-len(items) // columns))
    figure, axes = pyplot.subplots(rows, columns, figsize=(1.3 * columns, 2.0 * rows + 0.6), squeeze=False)
    for panel in axes.ravel():
        panel.axis("off")
    for panel, item in zip(axes.ravel(), items):
        panel.imshow(images[item["index"]], cmap="gray", vmin=0, vmax=255)
        right = item["after"] == item["label"]
        panel.set_title(f"{item['before']} -> {item['after']}", fontsize=9, color="darkgreen" if right else "darkred")
        panel.text(0.5, -0.12, f"label {item['label']}\n{item['file'][-18:]}", transform=panel.transAxes,
                   ha="center", va="top", fontsize=6)
    figure.suptitle(f"readings changed by fine-tuning: {changed['count']} ({changed['fixed']} now right, "
                    f"{changed['broken']} now wrong)", fontsize=10)
    figure.tight_layout()
    with atomic_path(destination) as temporary:
        figure.savefig(temporary, format="png", dpi=90)
    pyplot.close(figure)
