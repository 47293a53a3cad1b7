"""The IMDB Large Movie Review Dataset (Maas et al., 2011): the course's running example.

The archive (official ``aclImdb_v1.tar.gz``, the ``.tar.xz`` copy, or an extracted
``aclImdb/`` folder) is parsed once into a compact cache, one ``.npz`` file per split
(texts as one UTF-8 buffer plus offsets, no pickle), so later loads take about a second
(chapter 1).
"""
from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from nlpcourse.data.archive import iter_archive
from nlpcourse.data.download import DataError, cache_dir, fetch
from nlpcourse.data.manifest import IMDB
from nlpcourse.utils import check_int, show_progress

SPLITS = ("train", "test", "unsup")
EXPECTED = {"train": {0: 12_500, 1: 12_500}, "test": {0: 12_500, 1: 12_500}, "unsup": {-1: 50_000}}
LABELS = {"neg": 0, "pos": 1, "unsup": -1}
CACHE_VERSION = "v1"
_MEMBER = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg|unsup)/(\d+)_(\d+)\.txt$")


@dataclasses.dataclass
class Reviews:
    """IMDB reviews of one split: ``texts``, ``labels`` (1 pos, 0 neg, -1 unlabelled),
    ``ratings`` (1-10, 0 for unlabelled) and ``ids`` (chapter 1)."""

    split: str
    texts: list[str]
    labels: np.ndarray
    ratings: np.ndarray
    ids: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, i: int) -> tuple[str, int]:
        return self.texts[i], int(self.labels[i])

    def __repr__(self) -> str:
        counts = {int(k): int(v) for k, v in zip(*np.unique(self.labels, return_counts=True))}
        return f"Reviews(split={self.split!r}, n={len(self)}, labels={counts})"

    def take(self, indices: np.ndarray) -> "Reviews":
        """The reviews at ``indices``, in that order."""
        indices = np.asarray(indices, dtype=np.int64)
        return Reviews(self.split, [self.texts[i] for i in indices], self.labels[indices],
                       self.ratings[indices], self.ids[indices])

    def sample(self, n: int, seed: int = 0) -> "Reviews":
        """A seeded sample of ``n`` reviews, stratified by label, in shuffled order."""
        if n > len(self):
            raise ValueError(f"cannot sample {n} reviews from a split of {len(self)}")
        rng = np.random.default_rng(seed)
        classes, counts = np.unique(self.labels, return_counts=True)
        # share n between classes in proportion to their sizes (largest remainder)
        exact = n * counts / counts.sum()
        take = np.floor(exact).astype(int)
        take[np.argsort(exact - take)[::-1][: n - take.sum()]] += 1
        chosen = [rng.choice(np.flatnonzero(self.labels == c), size=k, replace=False)
                  for c, k in zip(classes, take)]
        return self.take(rng.permutation(np.concatenate(chosen)))


def load_imdb(split: str = "train", n: int | None = None, seed: int = 0) -> Reviews:
    """Load an IMDB split (``train``, ``test`` or ``unsup``) in a seeded random order,
    or a stratified sample of ``n`` reviews.

    The first call finds the data (``$NLPCOURSE_DATA``, the cache, or a download) and parses
    it into the cache; later calls read the cache (chapter 1).
    """
    if split not in SPLITS:
        raise ValueError(f"unknown IMDB split {split!r}: choose one of {', '.join(SPLITS)}")
    if n is not None:
        check_int("n", n, minimum=1, hint="the number of reviews to sample, or n=None for the whole split")
    path = _cache_path(split)
    if not path.is_file():
        _build_cache()
    reviews = _read_split(path, split)
    if n is None:  # all of it, shuffled: the cache is sorted by label, so a slice would hold one class
        return reviews.take(np.random.default_rng(seed).permutation(len(reviews)))
    return reviews.sample(n, seed)


def load_imdb_splits(cfg) -> tuple[Reviews, Reviews]:
    """Train and test reviews at the sizes of a :class:`~nlpcourse.config.RunConfig`."""
    train = load_imdb("train", n=cfg.train_size, seed=cfg.seed)
    test = load_imdb("test", n=cfg.test_size, seed=cfg.seed + 1)
    return train, test


def _cache_path(split: str) -> Path:
    return cache_dir() / "imdb" / f"parsed-{CACHE_VERSION}" / f"{split}.npz"


def _read_split(path: Path, split: str) -> Reviews:
    with np.load(path, allow_pickle=False) as z:
        buffer, offsets = z["text"].tobytes(), z["offsets"]
        texts = [buffer[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:])]
        return Reviews(split, texts, z["labels"], z["ratings"], z["ids"])


def _iter_reviews(source: Path) -> Iterator[tuple[str, int, int, int, str]]:
    """(split, label, id, rating, text) for every review in an archive or extracted tree."""
    if source.is_dir():
        base = source if source.name == "aclImdb" else source / "aclImdb"
        files = ((str(p.relative_to(base.parent)), p) for p in sorted(base.glob("*/*/*.txt")))
        for name, p in files:
            m = _MEMBER.search(name)
            if m:
                yield m[1], LABELS[m[2]], int(m[3]), int(m[4]), p.read_text(encoding="utf-8")
        return
    for name, f in iter_archive(source):
        m = _MEMBER.search(name)
        if m:
            yield m[1], LABELS[m[2]], int(m[3]), int(m[4]), f.read().decode("utf-8")


def _build_cache() -> None:
    source = fetch(IMDB)
    rows: dict[str, list] = {"train": [], "test": [], "unsup": []}
    reviews, start = _iter_reviews(source), time.perf_counter()
    if show_progress():
        from tqdm.auto import tqdm
        reviews = tqdm(reviews, total=100_000, desc="parsing IMDB", unit=" reviews")
    for split, label, rid, rating, text in reviews:
        rows["unsup" if label == -1 else split].append((label, rid, rating, text))
    for split, items in rows.items():
        _check_counts(split, items, source)
        items.sort(key=lambda r: (r[0], r[1]))  # the same order whatever the archive's order
        _write_split(_cache_path(split), items)
    if not show_progress() and os.environ.get("NLPCOURSE_QUIET") != "1":
        print(f"IMDB parsed once into the cache: {sum(map(len, rows.values())):,} reviews in "
              f"{time.perf_counter() - start:.0f} s")


def _check_counts(split: str, items: list, source: Path) -> None:
    labels, counts = np.unique([r[0] for r in items], return_counts=True) if items else ([], [])
    found = {int(k): int(v) for k, v in zip(labels, counts)}
    if found != EXPECTED[split]:
        raise DataError(f"{source}: IMDB {split} split has {found} reviews per label, expected "
                        f"{EXPECTED[split]}: the copy is incomplete; fetch the original "
                        f"{IMDB.urls[0]} or fix {source}")


def _write_split(path: Path, items: list) -> None:
    encoded = [r[3].encode("utf-8") for r in items]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".npz", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, text=np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets=offsets,
                     labels=np.array([r[0] for r in items], dtype=np.int8),
                     ratings=np.array([r[2] for r in items], dtype=np.int8),
                     ids=np.array([r[1] for r in items], dtype=np.int32))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
