"""A folder of the user's own digit pictures, one subfolder per label, as training arrays.

The layout Keras' image_dataset_from_directory and `mnist-edge collect` use:
DIR/<label>/<any name>.png|.jpg. Every picture, of any size and either polarity, becomes the
28x28 the model sees through edge_runtime/crops.py, so training sees what reading sees.
A seeded share of each label is held out for evaluation, by a ranking of each file's content
and name: a picture added later takes its place in the ranking instead of reshuffling the split.
"""

import dataclasses
import hashlib
from pathlib import Path

import numpy as np

from edge_runtime.errors import UserInputError, first_line

# Not labels: `collect` puts low-confidence crops in unsure/ and full-resolution ones in originals/.
IGNORED_FOLDERS = ("unsure", "originals")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
DIGIT_LABELS = tuple(str(digit) for digit in range(10))
# A fifth of each label: most of a user's few images go to training, where they change the model.
DEFAULT_HOLDOUT = 0.2
DEFAULT_SPLIT_SEED = 0
MAX_LISTED_FILES = 5000  # held-out names recorded per run; a bigger folder records its hash only


@dataclasses.dataclass(frozen=True)
class FolderOptions:
    """How a folder tree is read: the model's labels and the held-out share and seed."""

    labels: tuple = DIGIT_LABELS
    holdout: float = DEFAULT_HOLDOUT
    seed: int = DEFAULT_SPLIT_SEED


@dataclasses.dataclass(frozen=True)
class FolderImages:
    """Prepared pictures of a folder tree: uint8 (N, 28, 28), label indices, relative names."""

    root: str
    images: np.ndarray
    labels: np.ndarray
    files: tuple
    file_sha256: tuple
    label_names: tuple

    def subset(self, indices):
        indices = list(indices)
        return dataclasses.replace(self, images=self.images[indices], labels=self.labels[indices],
                                   files=tuple(self.files[i] for i in indices),
                                   file_sha256=tuple(self.file_sha256[i] for i in indices))

    def sha256(self):
        """One hash of every file's name (its label folder included) and bytes."""
        digest = hashlib.sha256()
        for name, file_hash in zip(self.files, self.file_sha256):
            digest.update(f"{name}\0{file_hash}\n".encode())
        return digest.hexdigest()

    def counts(self):
        """{label: images}, every label of the model listed."""
        found = np.bincount(self.labels, minlength=len(self.label_names))
        return {name: int(count) for name, count in zip(self.label_names, found)}


@dataclasses.dataclass(frozen=True)
class FolderSplit:
    """A folder tree cut into the part trained on and the part held out for evaluation."""

    train: FolderImages
    held_out: FolderImages
    holdout: float
    seed: int

    def record(self):
        """What a run's state, report and sidecars say about the user's data."""
        listed = self.held_out.files if len(self.held_out.files) <= MAX_LISTED_FILES else None
        return {"folder": self.train.root, "sha256": combined_sha256(self), "holdout": self.holdout,
                "split_seed": self.seed, "train_counts": self.train.counts(),
                "held_out_counts": self.held_out.counts(), "held_out_sha256": self.held_out.sha256(),
                "held_out_files": list(listed) if listed is not None else None}


def combined_sha256(split):
    return hashlib.sha256((split.train.sha256() + split.held_out.sha256()).encode()).hexdigest()


def label_folders(root, label_names):
    """The label subfolders of `root`, sorted; UserInputError for a name the model does not know."""
    root = Path(root)
    if not root.is_dir():
        raise UserInputError(f"{root}: no such folder of labelled images")
    folders = sorted(entry for entry in root.iterdir()
                     if entry.is_dir() and not entry.name.startswith(".") and entry.name not in IGNORED_FOLDERS)
    unknown = [folder.name for folder in folders if folder.name not in label_names]
    if unknown:
        raise UserInputError(f"{root}: folder(s) {', '.join(unknown[:5])} are not labels of the model "
                             f"({', '.join(label_names)}); rename or move them (unsure/ and originals/ are skipped)")
    return folders


def image_files(folder):
    """PNG and JPEG files of a label folder, sorted; hidden files and other kinds skipped."""
    return sorted(entry for entry in folder.iterdir() if entry.is_file() and not entry.name.startswith(".")
                  and entry.suffix.lower() in IMAGE_SUFFIXES)


def read_picture(path):
    """(28x28 prepared image, sha256 of the file); UserInputError naming the file otherwise."""
    from edge_runtime import crops
    from edge_runtime.image_files import read_image  # not as image_files: this module has its own

    gray = read_image(path)  # raises UserInputError naming the file
    try:
        prepared = crops.prepare_crop(gray)
    except ValueError as error:
        raise UserInputError(f"{path}: {first_line(error)}") from None
    return prepared, hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_folder(root, label_names=DIGIT_LABELS):
    """Every labelled picture under `root`, prepared; UserInputError when there are none."""
    label_names = tuple(str(name) for name in label_names)
    images, labels, files, hashes = [], [], [], []
    for folder in label_folders(root, label_names):
        for path in image_files(folder):
            image, file_hash = read_picture(path)
            images.append(image)
            labels.append(label_names.index(folder.name))
            files.append(f"{folder.name}/{path.name}")
            hashes.append(file_hash)
    if not images:
        raise UserInputError(f"{root}: no PNG or JPEG images in its label folders "
                             f"(expected {Path(root) / label_names[0]}/*.png and so on)")
    return FolderImages(str(root), np.stack(images), np.asarray(labels, np.int64), tuple(files), tuple(hashes),
                        label_names)


def held_out_indices(folder_images, holdout, seed):
    """Per label, the round(holdout * count) images whose seeded content key is smallest."""
    chosen = []
    for label in range(len(folder_images.label_names)):
        members = np.flatnonzero(folder_images.labels == label)
        keys = [hashlib.sha256(f"{seed}:{folder_images.file_sha256[i]}:{Path(folder_images.files[i]).name}"
                               .encode()).digest()
                for i in members]
        order = sorted(range(len(members)), key=keys.__getitem__)
        chosen += [int(members[k]) for k in order[:round(holdout * len(members))]]
    return sorted(chosen)


def split_folder(folder_images, holdout=DEFAULT_HOLDOUT, seed=DEFAULT_SPLIT_SEED):
    """The seeded training/held-out cut of a folder's images."""
    if not 0.0 <= holdout < 1.0:
        raise UserInputError(f"held-out share must be at least 0 and below 1, got {holdout}")
    held = held_out_indices(folder_images, holdout, seed)
    held_set = set(held)
    kept = [i for i in range(len(folder_images.files)) if i not in held_set]
    if not kept:
        raise UserInputError(f"{folder_images.root}: holding out {holdout:.0%} leaves no image to train on")
    return FolderSplit(folder_images.subset(kept), folder_images.subset(held), holdout, seed)


def load_split(root, options=FolderOptions()):
    return split_folder(read_folder(root, options.labels), options.holdout, options.seed)


@dataclasses.dataclass(frozen=True)
class Extra:
    """The user's pictures mixed into MNIST training, each repeated `weight` times (with
    augmentation on, every copy is warped differently)."""

    split: FolderSplit
    weight: int = 1

    def training_arrays(self):
        """(images, labels) of the training part, each image `weight` times."""
        train = self.split.train
        return np.repeat(train.images, self.weight, axis=0), np.repeat(train.labels, self.weight).astype(np.uint8)

    def record(self):
        return {**self.split.record(), "weight": self.weight}

    def fingerprint(self):
        """Changes with the files, their labels, the split and the weight: a run resumes only on the same."""
        return f"{combined_sha256(self.split)}:{self.split.holdout}:{self.split.seed}:{self.weight}"


def load_extra(root, weight=1, options=FolderOptions()):
    if weight < 1:
        raise UserInputError(f"--extra-weight must be at least 1, got {weight}")
    return Extra(load_split(root, options), int(weight))
