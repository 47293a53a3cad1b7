"""From review texts to padded index tensors and seeded PyTorch loaders (chapter 3).

Used by every neural chapter: clean and tokenize, build a :class:`~nlpcourse.text.Vocab`
on the training texts only, turn each review into a fixed-length row of indices.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from nlpcourse.config import RunConfig
from nlpcourse.config import TrainRecipe
from nlpcourse.text import Vocab, pad_sequences
from nlpcourse.text.batching import bucket_batches
from nlpcourse.utils import check_int
from nlpcourse.text.tokenize import as_tokens

INPUTS = ("tokens", "tfidf")


@dataclasses.dataclass
class EncodedTexts:
    """Reviews as a ``(N, max_len)`` int64 array of indices, with the vocabulary used (chapter 3)."""

    X_train: np.ndarray
    X_test: np.ndarray
    vocab: Vocab


def encode_texts(texts: Sequence[str], vocab: Vocab, max_len: int, truncating: str = "post") -> np.ndarray:
    """Clean, tokenize, map to indices and pad/cut to ``max_len`` columns (chapter 3).

    ``truncating="post"`` cuts a long text's end, ``"pre"`` its beginning.
    """
    if isinstance(texts, str):
        raise TypeError("encode_texts expects a list of texts, not one string: wrap it in a list")
    return _encode_tokens([as_tokens(t) for t in texts], vocab, max_len, truncating)


def encode_imdb(train_texts: Sequence[str], test_texts: Sequence[str], max_len: int,
                max_size: int | None = 20_000, min_freq: int = 2, truncating: str = "post") -> EncodedTexts:
    """A vocabulary from the training texts, and both splits encoded with it (chapter 3)."""
    train_tokens = [as_tokens(t) for t in train_texts]  # tokenized once: vocabulary and rows
    vocab = Vocab(train_tokens, min_freq=min_freq, max_size=max_size)
    return EncodedTexts(_encode_tokens(train_tokens, vocab, max_len, truncating),
                        encode_texts(test_texts, vocab, max_len, truncating), vocab)


def _encode_tokens(token_lists: Sequence[Sequence[str]], vocab: Vocab, max_len: int, truncating: str) -> np.ndarray:
    return pad_sequences(vocab.encode(token_lists), max_len=max_len, pad_value=vocab.pad_index, truncating=truncating)


def make_loader(X: np.ndarray, y: np.ndarray, batch_size: int = 64, shuffle: bool = False,
                seed: int = 0):
    """A ``DataLoader`` of ``(inputs, labels)`` tensors; shuffled in a seeded order (chapter 3).

    The order comes from its own ``torch.Generator``: the same ``seed`` gives the same
    batches, whatever else used the global random state.
    """
    import torch
    from torch.utils.data import DataLoader, TensorDataset
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    inputs = torch.as_tensor(X) if X.dtype.kind in "iu" else torch.as_tensor(X, dtype=torch.float32)
    dataset = TensorDataset(inputs, torch.as_tensor(y, dtype=torch.long))
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


def review_lengths(X: np.ndarray, pad_index: int = 0) -> np.ndarray:
    """Real tokens per row of a padded index array (padding at the end, as ``pad_sequences`` puts it)."""
    return (np.asarray(X) != pad_index).sum(axis=1)


class BucketedLoader:
    """Batches of reviews of similar lengths, each cut to its longest review: less padding to compute (chapter 5).

    Training order (``shuffle=True``) comes from :func:`~nlpcourse.text.batching.bucket_batches`,
    seeded with ``seed`` plus the epoch, so each epoch differs and every run repeats; without
    shuffling, batches go shortest first. Yields ``(inputs, labels)`` tensors like :func:`make_loader`.
    Rows must be padded at the end (``padding="post"``), as :func:`encode_texts` does; ``lengths``
    counts the real tokens of each row where padding cannot (a pad id that is also a token's).

    Loaders with other batches (masked-LM, dict batches; chapters 9-10) subclass it and turn each of
    :meth:`blocks` into their batch; ``y=None`` suits one that makes its own targets.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray | None, batch_size: int = 64, shuffle: bool = False,
                 seed: int = 0, pad_index: int = 0, bucket_size: int = 50, lengths: np.ndarray | None = None):
        X = np.asarray(X)
        if X.ndim != 2 or X.dtype.kind not in "iu":
            raise ValueError(f"X must be a 2-D array of token indices, got shape {X.shape} and dtype {X.dtype}")
        if y is not None and len(X) != len(y):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels")
        check_int("batch_size", batch_size, minimum=1, hint="the number of reviews per batch, e.g. 64")
        self.X, self.batch_size, self.shuffle = X, batch_size, shuffle
        self.y = None if y is None else np.asarray(y).astype(np.int64)
        self.seed, self.bucket_size, self.epoch = seed, bucket_size, 0
        self.lengths = review_lengths(X, pad_index) if lengths is None else np.asarray(lengths)

    def __len__(self) -> int:
        return -(-len(self.X) // self.batch_size)

    def batches(self) -> list[np.ndarray]:
        """The row indices of each batch, in this epoch's order."""
        if self.shuffle:
            return list(bucket_batches(self.lengths, self.batch_size, self.seed + self.epoch, self.bucket_size))
        order = np.argsort(self.lengths, kind="stable")
        return [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]

    def blocks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One epoch: each batch's row indices and its rows cut to the longest; a shuffling loader's next
        epoch takes a new order, a fixed one repeats."""
        batches = self.batches()
        self.epoch += self.shuffle
        for rows in batches:
            yield rows, self.X[rows, :max(1, int(self.lengths[rows].max()))]

    def __iter__(self):
        import torch
        for rows, block in self.blocks():
            yield torch.as_tensor(block), torch.as_tensor(self.y[rows])


@dataclasses.dataclass
class LabelledSplits:
    """Labelled rows in three splits: training (validation held out), validation, test (chapters 3-9).

    The data classes of the chapters (:class:`IMDBData`, :class:`~nlpcourse.data.pretraining.PretrainingData`)
    add what they need to these fields."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    @property
    def split_sizes(self) -> dict[str, int]:
        return {"n_train": len(self.y_train), "n_val": len(self.y_val), "n_test": len(self.y_test)}

    def split_loaders(self, make: Callable[..., Any], batch_size: int, seed: int, eval_batch_size: int,
                      **options: Any) -> tuple:
        """``make(X, y, batch_size, ...)`` for each split: training shuffled (seeded), validation and test in order."""
        return (make(self.X_train, self.y_train, batch_size, shuffle=True, seed=seed, **options),
                make(self.X_val, self.y_val, eval_batch_size, **options),
                make(self.X_test, self.y_test, eval_batch_size, **options))


def hold_out(X: np.ndarray, y: np.ndarray, val_share: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_train, y_train, X_val, y_val)``: the first ``val_share`` of the rows held out for validation (the
    rows come in a seeded random order, so it is a random validation set) (chapter 3)."""
    n_val = int(len(y) * val_share)
    return X[n_val:], y[n_val:], X[:n_val], y[:n_val]


@dataclasses.dataclass
class IMDBData(LabelledSplits):
    """IMDB ready for a network: training rows (validation held out), validation rows, test rows (chapters 3-4).

    ``X_*`` are padded token indices (``inputs="tokens"``) or TF-IDF vectors (``"tfidf"``);
    ``vocab_size`` is the number of vocabulary entries, or of TF-IDF features.
    """

    vocab: Vocab | None = None
    vectorizer: object | None = None

    @property
    def vocab_size(self) -> int:
        return len(self.vocab) if self.vocab is not None else int(self.X_train.shape[1])

    @property
    def sizes(self) -> dict[str, int]:
        return self.split_sizes

    def loaders(self, batch_size: int, seed: int = 0, eval_batch_size: int = 256, bucket: bool = False) -> tuple:
        """Train (shuffled, seeded), validation and test loaders; ``bucket=True``: length-bucketed batches."""
        if bucket:
            if self.vocab is None:
                raise ValueError("bucket=True needs token inputs (inputs='tokens'), not TF-IDF vectors")
            return self.split_loaders(BucketedLoader, batch_size, seed, eval_batch_size, pad_index=self.vocab.pad_index)
        return self.split_loaders(make_loader, batch_size, seed, eval_batch_size)


def prepare_imdb(cfg: RunConfig, recipe: TrainRecipe, inputs: str = "tokens", val_share: float = 0.1) -> IMDBData:
    """The profile's IMDB splits as a network reads them; validation comes from the train split (chapters 3-4).

    The recipe gives the sizes: ``max_len`` tokens per review (cut as ``truncating`` says),
    a vocabulary (or TF-IDF vocabulary) of ``max_vocab`` entries, built on the training split;
    test reviews are only encoded with it. The training reviews arrive in a seeded random
    order, so the first ``val_share`` of them is a random validation set.
    """
    from nlpcourse.data.imdb import load_imdb_splits
    if inputs not in INPUTS:
        raise ValueError(f"inputs must be one of {', '.join(INPUTS)}, got {inputs!r}")
    if not 0 < val_share < 1:
        raise ValueError(f"val_share must be in (0, 1), got {val_share}")
    train, test = load_imdb_splits(cfg)
    vocab = vectorizer = None
    if inputs == "tokens":
        encoded = encode_imdb(train.texts, test.texts, recipe.max_len, recipe.max_vocab, truncating=recipe.truncating)
        X_train, X_test, vocab = encoded.X_train, encoded.X_test, encoded.vocab
    else:
        from nlpcourse.text import TfidfVectorizer, clean_text
        vectorizer = TfidfVectorizer(min_df=5, max_features=recipe.max_vocab, sublinear_tf=True)
        X_train = vectorizer.fit_transform([clean_text(t) for t in train.texts]).toarray().astype(np.float32)
        X_test = vectorizer.transform([clean_text(t) for t in test.texts]).toarray().astype(np.float32)
    X_train, y_train, X_val, y_val = hold_out(X_train, train.labels.astype(np.int64), val_share)
    return IMDBData(X_train, y_train, X_val, y_val, X_test, test.labels.astype(np.int64), vocab, vectorizer)
