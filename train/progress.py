"""A tqdm progress bar per training epoch, shown only on a terminal."""

import sys

import keras


class EpochProgress(keras.callbacks.Callback):
    """Advance a bar per batch; Keras' own bar would say "Epoch 1/1" for every resumed epoch."""

    def __init__(self, epoch, total_epochs):
        super().__init__()
        self.description = f"epoch {epoch + 1}/{total_epochs}"
        self.bar = None

    def on_train_begin(self, logs=None):
        from tqdm import tqdm

        steps = self.params.get("steps")
        self.bar = tqdm(total=steps, desc=self.description, unit="batch", leave=False)

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(1)

    def on_train_end(self, logs=None):
        self.bar.close()


def make_epoch_progress(epoch, config):
    """A progress callback, or None when output is not a terminal (CI logs stay readable)."""
    return EpochProgress(epoch, config.epochs) if sys.stderr.isatty() else None
