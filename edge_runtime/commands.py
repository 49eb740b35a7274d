"""The `mnist-edge` command: one entry point, each subcommand imported only when used.

The edge subcommands need numpy and an interpreter; the toolkit ones (train, export,
compare, pipeline) import TensorFlow inside their own modules, so a Pi without
TensorFlow can still run `mnist-edge classify`.
"""

import importlib
import sys

# name: (module, function, help, the pip extra that installs what it imports)
COMMANDS = {
    "classify": ("edge_runtime.cli", "classify_main", "classify image files, folders and videos", "edge"),
    "camera": ("edge_runtime.cli", "camera_main", "classify a live camera or video stream", "edge"),
    "collect": ("edge_runtime.cli", "collect_main", "save digit crops in label folders, for fine-tuning", "edge"),
    "serve": ("edge_runtime.serve", "main", "the camera loop with a live web page, JSON API and metrics", "edge"),
    "benchmark": ("edge_runtime.cli", "benchmark_main", "time and measure the edge runtime", "edge"),
    "evaluate": ("edge_runtime.evaluate", "main", "score readings of photos against a truth.json", "edge"),
    "train": ("mnist_edge.train.cli", "main", "train the CNN (needs the [train] extra)", "train"),
    "train-rejecter": ("mnist_edge.train.rejecter", "main", "train the 'one digit or not' model (needs [train])", "train"),
    "export": ("mnist_edge.export.cli", "export_main", "convert model.keras to TFLite (needs [train])", "train"),
    "compare": ("mnist_edge.export.cli", "compare_main", "compare Keras and TFLite accuracy (needs [train])", "train"),
    "pipeline": ("mnist_edge.export.cli", "pipeline_main", "train, export and compare in one go (needs [train])", "train"),
}


def usage():
    lines = ["usage: mnist-edge COMMAND [options]   (mnist-edge COMMAND --help for details)", "", "commands:"]
    lines += [f"  {name:<10} {help_text}" for name, (_, _, help_text, _) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv=None):
    """Dispatch to a subcommand's main(argv) and return its exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"mnist-edge: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module_name, function_name, _, extra = COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        print(f"mnist-edge {name}: missing dependency ({error.name or error}); "
              f"install it with: pip install 'mnist-edge[{extra}]'", file=sys.stderr)
        return 1
    return getattr(module, function_name)(rest)


if __name__ == "__main__":
    sys.exit(main())
