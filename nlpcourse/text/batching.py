"""From token indices to rectangular batches: padding, truncation, length buckets (chapter 1)."""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from nlpcourse.utils import check_int


def pad_sequences(sequences: Sequence[Sequence[int]], max_len: int | None = None,
                  pad_value: int = 0, truncating: str = "post", padding: str = "post") -> np.ndarray:
    """A ``(len(sequences), max_len)`` int64 array; long sequences are cut, short ones padded.

    >>> pad_sequences([[1, 2, 3], [4]], max_len=2)
    array([[1, 2],
           [4, 0]])
    """
    if truncating not in ("pre", "post") or padding not in ("pre", "post"):
        raise ValueError("truncating and padding must each be 'pre' or 'post'")
    if max_len is None:
        max_len = max((len(s) for s in sequences), default=0)
    if max_len < 0:
        raise ValueError(f"max_len must be >= 0, got {max_len}")
    out = np.full((len(sequences), max_len), pad_value, dtype=np.int64)
    for row, seq in enumerate(sequences):
        seq = np.asarray(seq, dtype=np.int64)
        seq = seq[:max_len] if truncating == "post" else seq[max(len(seq) - max_len, 0):]
        if padding == "post":
            out[row, : len(seq)] = seq
        else:
            out[row, max_len - len(seq):] = seq
    return out


def bucket_batches(lengths: Sequence[int], batch_size: int, seed: int = 0,
                   bucket_size: int = 50) -> Iterator[np.ndarray]:
    """Yield index batches of similar lengths (less padding), in a seeded random order (chapter 1).

    Indices are shuffled, cut into chunks of ``bucket_size`` batches, sorted by length inside
    each chunk, split into batches, and the batches shuffled. Bad arguments fail at the call.
    """
    check_int("batch_size", batch_size, minimum=1, hint="the number of sequences per batch, e.g. batch_size=32")
    check_int("bucket_size", bucket_size, minimum=1, hint="the number of batches sorted together, e.g. bucket_size=50")
    return _bucket_batches(np.asarray(lengths), batch_size, seed, bucket_size)


def _bucket_batches(lengths: np.ndarray, batch_size: int, seed: int, bucket_size: int) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lengths))
    chunk = batch_size * bucket_size
    batches = []
    for start in range(0, len(order), chunk):
        part = order[start:start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i:i + batch_size] for i in range(0, len(part), batch_size))
    for i in rng.permutation(len(batches)):
        yield batches[i]
