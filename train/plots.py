"""Training curves as a PNG, drawn apart from the training loop."""

from edge_runtime.files import atomic_path


def plot_history(history, destination):
    """Loss and accuracy per epoch, training vs validation."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    epochs = [entry["epoch"] for entry in history]
    figure, (loss_axes, accuracy_axes) = pyplot.subplots(1, 2, figsize=(10, 4))
    for axes, metric in ((loss_axes, "loss"), (accuracy_axes, "accuracy")):
        axes.plot(epochs, [entry[metric] for entry in history], "o-", label="training")
        axes.plot(epochs, [entry["val_" + metric] for entry in history], "s--", label="validation")
        axes.set_xlabel("epoch")
        axes.set_title(metric)
        axes.grid(alpha=0.3)
        axes.legend()
    figure.tight_layout()
    with atomic_path(destination) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
    pyplot.close(figure)
