"""Print one model's test-set predictions with a chosen interpreter package, as JSON.

Run by test_runtime_compat.py in the main venv and in a separate tflite-runtime venv
(numpy<2), so it imports nothing but numpy and edge_runtime.
"""

import json
import sys

import numpy as np

from edge_runtime.model import DigitModel


def main(backend, npz_path, count, *model_paths):
    with np.load(npz_path, allow_pickle=False) as archive:
        images = archive["x_test"][: int(count)]
    results = {}
    for path in model_paths:
        model = DigitModel(path, backend=backend)
        predictions, scores = model.predict(images)
        results[path] = {"backend": model.backend, "predictions": predictions.tolist(),
                         "max_scores": scores.max(axis=1).round(4).tolist()}
    print(json.dumps(results))


if __name__ == "__main__":
    main(*sys.argv[1:])
