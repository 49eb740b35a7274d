"""Find, load and validate MNIST from an .npz, a folder of IDX files, or the Keras download;
or a folder tree of the user's own pictures (train/folders.py) in its place or beside it."""

import dataclasses
import hashlib
import math
import os
import zipfile
from pathlib import Path

import numpy as np

from edge_runtime.errors import UserInputError, first_line
from mnist_edge.train import idx

IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10
KERAS_KEYS = ("x_train", "y_train", "x_test", "y_test")
# The keys the original project's script wrote with np.savez.
ORIGINAL_KEYS = ("train_img", "train_label", "test_img", "test_label")
IDX_NAMES = {
    "x_train": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "y_train": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "x_test": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "y_test": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}
# MNIST's largest array holds 47 MB; numpy allocates what a header declares before reading.
MAX_ARRAY_BYTES = 1 << 30
DEFAULT_LOCAL_PATH = Path("dataset") / "mnist.npz"
KERAS_CACHE_PATH = Path.home() / ".keras" / "datasets" / "mnist.npz"
WHAT_TO_DO = f"set MNIST_NPZ=path/to/mnist.npz, put it at {DEFAULT_LOCAL_PATH}, or pass --data PATH"


@dataclasses.dataclass(frozen=True)
class Mnist:
    """MNIST as uint8 arrays, plus where it came from. A folder tree given as --data fills the
    same arrays (its training part, its held-out part as the test set) and sets `folder`;
    --extra sets `extra`, the user's pictures trained on beside the arrays."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    folder: object = None  # train.folders.FolderSplit when the arrays come from a folder tree
    extra: object = None   # train.folders.Extra

    def fingerprint(self):
        """A short hash of the labels and shapes (and the user's files): enough to notice a
        different data set."""
        digest = hashlib.sha256()
        for array in (self.y_train, self.y_test):
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(repr((self.x_train.shape, self.x_test.shape)).encode())
        if self.folder is not None:
            digest.update(self.folder.record()["sha256"].encode())
        if self.extra is not None:
            digest.update(self.extra.fingerprint().encode())
        return digest.hexdigest()[:16]

    def record(self):
        """What a run's state and report say about its data."""
        record = {"source": self.source, "train_images": len(self.x_train), "test_images": len(self.x_test)}
        if self.folder is not None:
            record["folder"] = self.folder.record()
        if self.extra is not None:
            record["extra"] = self.extra.record()
        return record

    def user_held_out(self):
        """(images, labels, file names) the user held out of their own pictures, or None."""
        split = self.extra.split if self.extra is not None else self.folder
        if split is None:
            return None
        held = split.held_out
        return held.images, held.labels, held.files


def validate_split(images, labels, name, source):
    """Check one split's shapes, dtypes and label range; return (images, labels) as uint8."""
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise UserInputError(f"{source}: {name} images have shape {images.shape}, expected (N, 28, 28)")
    if images.dtype != np.uint8:
        raise UserInputError(f"{source}: {name} images have dtype {images.dtype}, expected uint8")
    if labels.ndim != 1 or len(labels) != len(images):
        raise UserInputError(
            f"{source}: {name} has {len(images)} images but labels of shape {labels.shape}")
    if len(images) == 0:
        raise UserInputError(f"{source}: {name} split is empty")
    if not np.issubdtype(labels.dtype, np.integer):
        raise UserInputError(f"{source}: {name} labels have dtype {labels.dtype}, expected integers")
    if labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise UserInputError(
            f"{source}: {name} labels range {labels.min()}..{labels.max()}, expected 0..9")
    return images, labels.astype(np.uint8)


def make_mnist(arrays, source):
    """Validate a dict with the four Keras keys and build an Mnist."""
    x_train, y_train = validate_split(arrays["x_train"], arrays["y_train"], "train", source)
    x_test, y_test = validate_split(arrays["x_test"], arrays["y_test"], "test", source)
    return Mnist(x_train, y_train, x_test, y_test, str(source))


def read_npy_header(member):
    """(shape, dtype) from the header of an .npy stream, leaving the stream at the data."""
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(member)
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    return shape, dtype


def check_declared_size(archive, key, path):
    """Refuse an array whose header declares more bytes than its archive member stores, or than
    MAX_ARRAY_BYTES, before numpy allocates that much."""
    name = f"{key}.npy"
    with archive.zip.open(name) as member:
        shape, dtype = read_npy_header(member)
        stored = archive.zip.getinfo(name).file_size - member.tell()
    declared = math.prod(shape) * dtype.itemsize  # Python integers: no overflow
    limit = min(stored, MAX_ARRAY_BYTES)
    if declared > limit:
        what = f"the {stored:,} bytes stored" if limit == stored else f"the {MAX_ARRAY_BYTES:,} byte limit"
        raise UserInputError(f"{path}: {name} declares shape {shape} ({declared:,} bytes), more than {what}")


def read_arrays(archive, names, path):
    for name in names:
        check_declared_size(archive, name, path)
    return dict(zip(KERAS_KEYS, (archive[name] for name in names)))


def load_npz(path):
    """Load an .npz with Keras keys or the original project's keys. Never unpickles."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = set(archive.files)
            for names in (KERAS_KEYS, ORIGINAL_KEYS):
                if set(names) <= keys:
                    return make_mnist(read_arrays(archive, names, path), path)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise UserInputError(f"{path}: not a readable .npz archive ({error})") from None
    except MemoryError:
        raise UserInputError(f"{path}: not enough memory to load its arrays") from None
    raise UserInputError(
        f"{path}: missing MNIST arrays; expected keys {', '.join(KERAS_KEYS)} "
        f"(or {', '.join(ORIGINAL_KEYS)}), found {', '.join(sorted(keys)) or 'none'}")


def find_idx_file(folder, stem_options):
    """The first of the standard IDX file names (raw or .gz) present in `folder`."""
    for stem in stem_options:
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                return folder / name
    raise UserInputError(f"{folder}: no {stem_options[0]}[.gz] file in this MNIST folder")


def load_idx_folder(folder):
    """Load the four standard IDX files from a folder."""
    folder = Path(folder)
    arrays = {}
    for key, stems in IDX_NAMES.items():
        path = find_idx_file(folder, stems)
        arrays[key] = idx.read_idx_images(path) if key.startswith("x") else idx.read_idx_labels(path)
    return make_mnist(arrays, folder)


def is_idx_folder(folder):
    """A folder holding any of the IDX file names, or no subfolder at all (its error then
    names the IDX files it lacks)."""
    names = {name for stems in IDX_NAMES.values() for stem in stems for name in (stem, stem + ".gz")}
    entries = list(folder.iterdir())
    return any(entry.name in names for entry in entries) or not any(entry.is_dir() for entry in entries)


def load_folder_tree(folder, options=None):
    """A folder tree of labelled pictures: its training part as x_train, its held-out part as x_test."""
    from mnist_edge.train import folders

    split = folders.load_split(folder, options or folders.FolderOptions())
    if len(split.held_out.files) == 0:
        raise UserInputError(f"{folder}: no image held out for testing; add images or raise --holdout")
    return Mnist(split.train.images, split.train.labels.astype(np.uint8), split.held_out.images,
                 split.held_out.labels.astype(np.uint8), f"{folder} (held out {split.holdout:.0%})", folder=split)


def load_path(path, folder_options=None):
    """Load MNIST from an .npz file or a folder of IDX files, or a folder tree of pictures."""
    path = Path(path)
    if path.is_dir() and not any(path.iterdir()):
        raise UserInputError(f"{path}: empty folder (expected MNIST IDX files or label folders of images)")
    if path.is_dir():
        return load_idx_folder(path) if is_idx_folder(path) else load_folder_tree(path, folder_options)
    if not path.is_file():
        raise UserInputError(f"{path}: no such file or folder")
    return load_npz(path)


def download_with_keras():
    """Keras' own download into ~/.keras/datasets (needs the internet the first time)."""
    import keras  # imported here: only this fallback needs it

    try:
        keras.datasets.mnist.load_data()
    except Exception as error:  # any network or HTTP failure: the message below says what to do
        raise UserInputError(
            f"MNIST not found and the download failed ({type(error).__name__}: {first_line(error)}); "
            f"{WHAT_TO_DO}") from None
    return load_npz(KERAS_CACHE_PATH)


def with_extra(data, extra_dir, weight=1, folder_options=None):
    """`data` with the user's folder tree of pictures to train on beside it (--extra)."""
    from mnist_edge.train import folders

    if not extra_dir:
        return data
    extra = folders.load_extra(extra_dir, weight, folder_options or folders.FolderOptions())
    return dataclasses.replace(data, extra=extra)


def resolve_and_load(data_path=None, allow_download=True, folder_options=None):
    """Resolution order: --data, then $MNIST_NPZ, then dataset/mnist.npz, then the Keras cache/download."""
    if data_path:
        return load_path(data_path, folder_options)
    if os.environ.get("MNIST_NPZ"):
        return load_path(os.environ["MNIST_NPZ"])
    for candidate in (DEFAULT_LOCAL_PATH, KERAS_CACHE_PATH):
        if candidate.exists():
            return load_path(candidate)
    if not allow_download:
        raise UserInputError(f"MNIST not found; {WHAT_TO_DO}")
    return download_with_keras()
