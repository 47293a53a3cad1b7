"""Every length-bucketed loader yields, for a fixed seed, the batches recorded here (chapters 5, 9, 10).

The digests were recorded from the loaders as they stood before they shared one
:class:`~nlpcourse.data.loaders.BucketedLoader`: same rows, same order, same masks, same dtypes, epoch after epoch.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nlpcourse.data.loaders import BucketedLoader  # noqa: E402
from nlpcourse.data.pretraining import ClassifierLoader, MLMLoader  # noqa: E402
from nlpcourse.hf.data import ReviewBatches  # noqa: E402

VOCAB = 40


def padded_rows(n: int = 203, width: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: rows of 1 to ``width`` ids in ``[1, VOCAB)`` padded with 0 at the end, and 0/1 labels."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, width + 1, size=n)
    X = np.zeros((n, width), dtype=np.int64)
    for row, length in enumerate(lengths):
        X[row, :length] = rng.integers(1, VOCAB, size=length)
    return X, rng.integers(0, 2, size=n)


def digest(loader, epochs: int = 3) -> str:
    """A fingerprint of every tensor ``epochs`` passes yield, in order, with its place, shape and dtype."""
    h = hashlib.sha256()

    def add(item, where: str) -> None:
        if isinstance(item, dict):
            for key, value in item.items():
                add(value, f"{where}.{key}")
        elif isinstance(item, (tuple, list)):
            for i, value in enumerate(item):
                add(value, f"{where}[{i}]")
        else:
            array = item.numpy()
            h.update(f"{where}{array.shape}{array.dtype}".encode())
            h.update(np.ascontiguousarray(array).tobytes())
    for epoch in range(epochs):
        for batch in loader:
            add(batch, f"e{epoch}")
    return h.hexdigest()[:16]


def continuation_table() -> np.ndarray:
    return np.arange(VOCAB) % 3 == 0            # every third id continues a word


def review_ids() -> list[list[int]]:
    """Reviews of uneven lengths whose tokens include 0, the pad id ReviewBatches is given below."""
    X, _ = padded_rows(n=57, width=25, seed=3)
    return [list(row[:length]) for row, length in zip(X - 1, (X != 0).sum(axis=1))]


LOADERS = {
    "bucketed-shuffled": lambda: BucketedLoader(*padded_rows(), batch_size=16, shuffle=True, seed=5, bucket_size=4),
    "bucketed-fixed": lambda: BucketedLoader(*padded_rows(), batch_size=16),
    "mlm-shuffled": lambda: MLMLoader(padded_rows()[0], VOCAB, batch_size=16, shuffle=True, seed=7),
    "mlm-fixed": lambda: MLMLoader(padded_rows()[0], VOCAB, batch_size=16, shuffle=False, seed=7),
    "mlm-whole-words": lambda: MLMLoader(padded_rows()[0], VOCAB, batch_size=16, seed=2,
                                         continuation=continuation_table()),
    "classifier-shuffled": lambda: ClassifierLoader(*padded_rows(), batch_size=16, shuffle=True, seed=3),
    "classifier-fixed": lambda: ClassifierLoader(*padded_rows(), batch_size=16),
    "reviews-shuffled": lambda: ReviewBatches(review_ids(), np.arange(57) % 2, pad_id=0, batch_size=8, shuffle=True,
                                              seed=4),
    "reviews-fixed": lambda: ReviewBatches(review_ids(), np.arange(57) % 2, pad_id=0, batch_size=8),
}

RECORDED = {
    "bucketed-fixed": "7b7d71637a901a02",
    "bucketed-shuffled": "c1818a6a15a6c38f",
    "classifier-fixed": "0a36f18008b2d35d",
    "classifier-shuffled": "3266052b6f61c096",
    "mlm-fixed": "f2b1410cb704c7bc",
    "mlm-shuffled": "c330d0b7185d16ca",
    "mlm-whole-words": "8c3719518ffa6d60",
    "reviews-fixed": "110f5125e5920e60",
    "reviews-shuffled": "54618d63d1fb483f",
}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_the_batches_are_the_recorded_ones(name):
    assert digest(LOADERS[name]()) == RECORDED[name]


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_len_counts_the_batches_an_epoch_yields(name):
    loader = LOADERS[name]()
    assert len(loader) == sum(1 for _ in loader)
