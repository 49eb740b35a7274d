"""The same model and recipe trained through tf.distribute, one replica per device or worker.

Keras 3's model.fit fails under MultiWorkerMirroredStrategy ("Attempt to convert a value
(PerReplica...) with an unsupported type"), so this path runs its own step with
`strategy.run` over `strategy.experimental_distribute_dataset`. Every worker draws the same
seeded permutation and augmentation, the dataset shards them, gradients and batch-norm
statistics are all-reduced, so all workers hold identical weights after every step. Distributed runs start afresh
(no resume); each worker writes its artifacts to its own --out.
"""

import json
import os
import time

import numpy as np

from edge_runtime.errors import UserInputError
from mnist_edge.train import training

STRATEGIES = ("mirrored", "multiworker")
EVALUATION_BATCH = 1000


def make_strategy(name):
    """MirroredStrategy over this machine's devices, or one worker of the cluster in TF_CONFIG."""
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise UserInputError("--strategy multiworker needs TF_CONFIG naming the cluster and this worker's task")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise UserInputError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")


def worker_role():
    """(task type, index) from TF_CONFIG; ("chief", 0) when there is no cluster."""
    task = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {})
    return task.get("type", "chief"), int(task.get("index", 0))


def epoch_dataset(strategy, train, config, epoch):
    """This epoch's images (same permutation and augmentation as model.fit's path), sharded by
    element across workers. Whole global batches only, so every worker runs the same steps."""
    import tensorflow as tf

    x_train, y_train = training.epoch_images(train, config, epoch)
    dataset = tf.data.Dataset.from_tensor_slices((training.scale_images(x_train), y_train.astype(np.int64)))
    dataset = dataset.batch(config.batch_size, drop_remainder=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return strategy.experimental_distribute_dataset(training.without_autotuning(dataset.with_options(options)))


def make_train_step(strategy, model, global_batch_size):
    """One synchronous step: per-replica loss scaled by the global batch, gradients all-reduced."""
    import keras
    import tensorflow as tf

    loss_function = keras.losses.SparseCategoricalCrossentropy(reduction="none")

    def replica_step(images, labels):
        with tf.GradientTape() as tape:
            probabilities = model(images, training=True)
            per_image = loss_function(labels, probabilities)
            loss = tf.nn.compute_average_loss(per_image, global_batch_size=global_batch_size)
        gradients = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(probabilities, axis=1), labels), tf.float32))
        return loss, correct

    @tf.function
    def step(images, labels):
        loss, correct = strategy.run(replica_step, args=(images, labels))
        return (strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None),
                strategy.reduce(tf.distribute.ReduceOp.SUM, correct, axis=None))

    return step


def evaluate(model, images, labels):
    """(loss, accuracy) on uint8 images, computed locally on this worker's copy of the weights."""
    probabilities = np.concatenate([
        np.asarray(model(training.scale_images(images[start:start + EVALUATION_BATCH]), training=False))
        for start in range(0, len(images), EVALUATION_BATCH)])
    picked = probabilities[np.arange(len(labels)), labels.astype(np.int64)]
    loss = float(-np.mean(np.log(np.clip(picked, 1e-7, 1.0))))
    return loss, float(np.mean(probabilities.argmax(axis=1) == labels))


def run_epoch(step, dataset, model, validation, epoch, global_batch_size):
    """Train one epoch; a history entry shaped like model.fit's."""
    started = time.perf_counter()
    losses, corrects = [], 0.0
    for images, labels in dataset:
        loss, correct = step(images, labels)
        losses.append(float(loss))
        corrects += float(correct)
    val_loss, val_accuracy = evaluate(model, *validation)
    return {"epoch": epoch + 1, "accuracy": corrects / (len(losses) * global_batch_size),
            "loss": float(np.mean(losses)), "val_accuracy": val_accuracy, "val_loss": val_loss,
            "seconds": round(time.perf_counter() - started, 2)}


def train_distributed(data, config, out_dir, strategy_name, log=print):
    """Train `config` under a tf.distribute strategy into `out_dir`; return the Keras model."""
    from pathlib import Path

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    strategy = make_strategy(strategy_name)  # before any other TF call: it may configure the cluster
    training.make_deterministic(config.seed)
    train_split, validation_split = training.split_train_validation(data, config)
    with strategy.scope():
        model = training.new_model(config, len(train_split[0]), distributed=True)
    step = make_train_step(strategy, model, config.batch_size)
    history = []
    for epoch in range(config.epochs):
        dataset = epoch_dataset(strategy, train_split, config, epoch)
        entry = run_epoch(step, dataset, model, validation_split, epoch, config.batch_size)
        history.append({**entry, "replicas": strategy.num_replicas_in_sync})
        log(training.format_epoch(history[-1], config.epochs))
    role, index = worker_role()
    training.write_final_artifacts(out_dir, model, config, history,
                                   distributed={"strategy": strategy_name, "replicas": strategy.num_replicas_in_sync,
                                                "task": role, "index": index})
    return model
