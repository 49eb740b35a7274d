"""Read op codes, versions and the minimum runtime version out of a .tflite flatbuffer."""

from tensorflow.lite.python import schema_py_generated as schema

BUILTIN_NAMES = {code: name for name, code in vars(schema.BuiltinOperator).items() if not name.startswith("_")}


def builtin_code(operator_code):
    """The op's code; codes above 127 live in a newer field than the deprecated int8 one."""
    return max(operator_code.BuiltinCode(), operator_code.DeprecatedBuiltinCode())


def operator_versions(model_bytes):
    """Sorted [{"op": "CONV_2D", "version": 3}, ...] for every operator code in the model."""
    model = schema.Model.GetRootAsModel(model_bytes, 0)
    found = set()
    for index in range(model.OperatorCodesLength()):
        operator_code = model.OperatorCodes(index)
        code = builtin_code(operator_code)
        name = BUILTIN_NAMES.get(code, f"BUILTIN_{code}")
        if code == schema.BuiltinOperator.CUSTOM:
            name = f"CUSTOM:{operator_code.CustomCode().decode()}"
        found.add((name, operator_code.Version()))
    return [{"op": name, "version": version} for name, version in sorted(found)]


def min_runtime_version(model_bytes):
    """The converter's "min_runtime_version" metadata string, or None when absent."""
    model = schema.Model.GetRootAsModel(model_bytes, 0)
    for index in range(model.MetadataLength()):
        metadata = model.Metadata(index)
        if metadata.Name() == b"min_runtime_version":
            data = model.Buffers(metadata.Buffer()).DataAsNumpy()
            return bytes(data).split(b"\0", 1)[0].decode("ascii")
    return None
