"""Print file size, parameters and multiply-accumulates per inference of TFLite models.

usage: python scripts/aarch64/count_macs.py [MODEL.tflite ...]   (default: the shipped models)

Counts CONV_2D (output elements x kernel height x width x input channels) and FULLY_CONNECTED
(inputs x outputs); pooling, reshapes and softmax are a rounding error beside them. Parameters
are the weight and bias tensors of those ops. Works with ai-edge-litert or tflite-runtime.
"""

import sys
from pathlib import Path

import numpy as np

from edge_runtime.interpreter import load_interpreter_class

MODELS_DIR = Path(__file__).resolve().parents[2] / "edge_runtime" / "models"


def layer_costs(interpreter):
    """[(op name, weight shape, MACs, parameters)] for the conv and dense ops."""
    tensors = {detail["index"]: detail for detail in interpreter.get_tensor_details()}
    rows = []
    for op in interpreter._get_ops_details():  # no public API lists the graph's ops
        if op["op_name"] not in ("CONV_2D", "FULLY_CONNECTED"):
            continue
        weights, *bias = [tensors[index] for index in op["inputs"][1:] if index >= 0]
        output = tensors[op["outputs"][0]]
        shape = [int(size) for size in weights["shape"]]
        if op["op_name"] == "CONV_2D":   # weights: [out channels, height, width, in channels]
            macs = int(np.prod(output["shape"])) * shape[1] * shape[2] * shape[3]
        else:                            # weights: [outputs, inputs]
            macs = shape[0] * shape[1]
        parameters = int(np.prod(shape)) + sum(int(np.prod(tensor["shape"])) for tensor in bias)
        rows.append((op["op_name"], shape, macs, parameters))
    return rows


def main(paths):
    _, interpreter_class = load_interpreter_class()
    for path in paths or sorted(MODELS_DIR.glob("*.tflite")):
        interpreter = interpreter_class(model_path=str(path))
        rows = layer_costs(interpreter)
        print(f"{Path(path).name}: {Path(path).stat().st_size:,} bytes, "
              f"{sum(row[3] for row in rows):,} parameters, {sum(row[2] for row in rows):,} MACs per inference")
        for name, shape, macs, parameters in rows:
            print(f"    {name:<16} weights {shape}: {macs:>10,} MACs {parameters:>8,} parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
