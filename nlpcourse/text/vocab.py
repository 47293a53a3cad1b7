"""A vocabulary: tokens <-> integer indices, with special and unknown tokens (chapter 1)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from nlpcourse.tokens import PAD, UNK


class Vocab:
    """Map tokens to indices, most frequent first (ties: alphabetical).

    ``specials`` come first (``<pad>`` is 0, ``<unk>`` is 1 by default); tokens seen fewer
    than ``min_freq`` times, or beyond ``max_size``, map to ``<unk>`` (chapter 1).

    >>> v = Vocab([["a", "b", "a"], ["c", "a"]], min_freq=1)
    >>> v.lookup_indices(["a", "zzz"])
    [2, 1]
    """

    def __init__(self, corpus: Iterable[Sequence[str]] = (), min_freq: int = 1,
                 max_size: int | None = None, specials: Sequence[str] = (PAD, UNK)) -> None:
        if min_freq < 1:
            raise ValueError(f"min_freq must be >= 1, got {min_freq}")
        if max_size is not None and max_size < len(specials):
            raise ValueError(f"max_size={max_size} leaves no room for the {len(specials)} specials")
        if len(set(specials)) != len(specials):
            raise ValueError(f"duplicate special tokens: {list(specials)}")
        if isinstance(corpus, str):
            raise TypeError("Vocab expects an iterable of token lists, not a string: tokenize first")
        self.counts = Counter()
        for tokens in corpus:
            if isinstance(tokens, str):
                raise TypeError("Vocab expects an iterable of token lists, got a string inside it")
            self.counts.update(tokens)
        ranked = sorted((t for t, c in self.counts.items() if c >= min_freq and t not in specials),
                        key=lambda t: (-self.counts[t], t))
        if max_size is not None:
            ranked = ranked[: max_size - len(specials)]
        self.itos: list[str] = list(specials) + ranked
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        self.specials = tuple(specials)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        index = self.stoi.get(token)
        if index is not None:
            return index
        if UNK in self.stoi:
            return self.stoi[UNK]
        raise KeyError(f"{token!r} is not in the vocabulary, which has no {UNK} token: "
                       f"build it with specials=({PAD!r}, {UNK!r}) to map unknown words")

    @property
    def pad_index(self) -> int:
        return self.stoi[PAD]

    @property
    def unk_index(self) -> int:
        return self.stoi[UNK]

    def lookup_indices(self, tokens: Sequence[str]) -> list[int]:
        return [self[t] for t in tokens]

    def lookup_tokens(self, indices: Iterable[int]) -> list[str]:
        return [self.itos[int(i)] for i in indices]

    def encode(self, corpus: Iterable[Sequence[str]]) -> list[np.ndarray]:
        """Each token list as an int64 array of indices."""
        return [np.array(self.lookup_indices(tokens), dtype=np.int64) for tokens in corpus]

    def __repr__(self) -> str:
        head = ", ".join(self.itos[:8])
        return f"Vocab(size={len(self)}: {head}, ...)"
