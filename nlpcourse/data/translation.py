"""English-French sentence pairs from Tatoeba, ready for a translation model (chapter 8).

- :func:`normalize` and :func:`tokenize`: one form of every apostrophe, quote and space,
  lower case, punctuation as tokens, French elisions split (``l'alcool`` -> ``l'`` ``alcool``).
- :func:`split_by_source`: a seeded train / validation / test split in which no English
  sentence appears in two parts. Tatoeba often gives one English sentence several French
  translations; they all stay in one part, and a test sentence is scored against all of them.
- :class:`TranslationData`: vocabularies with ``<pad>``, ``<unk>``, ``<bos>``, ``<eos>``,
  batches ``((src, src_lengths, tgt_in), tgt_out)`` for :func:`nlpcourse.train.fit`, and the
  test set's sources with their references.
"""
from __future__ import annotations

import dataclasses
import io
import lzma
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nlpcourse.config import RunConfig
from nlpcourse.data.download import DataError, fetch
from nlpcourse.data.manifest import TATOEBA_FRA_ENG
from nlpcourse.text.vocab import Vocab
from nlpcourse.tokens import BOS, EOS, IGNORE_INDEX, TRANSLATION_SPECIALS
from nlpcourse.utils import check_int

SPECIALS = TRANSLATION_SPECIALS        # <pad> <unk> <bos> <eos>: indices 0, 1, 2, 3 in both vocabularies
LANGUAGES = ("en", "fr")

_SPACES = re.compile(r"\s+")
_UNIFORM = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00ab": '"', "\u00bb": '"', "\u201c": '"',
                          "\u201d": '"', "\u2010": "-", "\u2013": "-", "\u200b": "", "\u00ad": ""})
_TOKENS = {
    "en": re.compile(r"\w+(?:'\w+)*|[^\w\s]"),                             # don't, tom's: one token
    "fr": re.compile(r"aujourd'hui|\w+'|\w+(?:-\w+)*|[^\w\s]"),              # l' alcool; peut-être, est-ce
}


def normalize(text: str) -> str:
    """Compatibility-normalised Unicode (the French non-breaking spaces become spaces), one kind of
    apostrophe and quote, lower case, single spaces (chapter 8)."""
    text = unicodedata.normalize("NFKC", text).translate(_UNIFORM)
    return _SPACES.sub(" ", text).strip().lower()


def tokenize(text: str, lang: str) -> list[str]:
    """Words and punctuation of a normalised sentence; French elided articles end in ``'`` (chapter 8).

    >>> tokenize("À ton âge, je l’aurais fait !", "fr")
    ['à', 'ton', 'âge', ',', 'je', "l'", 'aurais', 'fait', '!']
    """
    if lang not in _TOKENS:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return _TOKENS[lang].findall(normalize(text))


def detokenize(tokens: Sequence[str], lang: str) -> str:
    """Tokens back into a readable sentence: no space before ``.`` or ``,``, none after an elision;
    French keeps its space before ``!``, ``?``, ``:`` and ``;`` (chapter 8)."""
    text = " ".join(tokens)
    text = re.sub(r" ([.,)])", r"\1", text)
    text = re.sub(r"' ", "'", text) if lang == "fr" else text
    if lang == "en":
        text = re.sub(r" ([!?:;])", r"\1", text)
        text = re.sub(r"\bi\b", "I", text)
    return text[:1].upper() + text[1:]


def load_fra_eng() -> list[tuple[str, str]]:
    """All ``(english, french)`` pairs of the Tatoeba file, as written (chapter 8).

    Reads the offline copy under ``NLPCOURSE_DATA`` (``tatoeba/fra-eng.txt.xz``), or the
    downloaded ``fra-eng.zip`` (member ``fra-eng/fra.txt``), verified before use.
    """
    path = fetch(TATOEBA_FRA_ENG)
    return _parse_pairs(_read_text(path), path)


def _read_text(path: Path) -> str:
    if path.suffix == ".xz":
        return lzma.open(path, "rt", encoding="utf-8").read()
    from nlpcourse.data.archive import iter_archive
    for name, member in iter_archive(path):
        if name.endswith("fra.txt"):
            return io.TextIOWrapper(member, encoding="utf-8").read()
    raise DataError(f"{path} holds no fra.txt: delete it and try again")


def _parse_pairs(text: str, path: Path | str) -> list[tuple[str, str]]:
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        columns = line.split("\t")
        if len(columns) < 2:
            raise DataError(f"{path}, line {number}: expected 'English<TAB>French', got {line[:60]!r}")
        pairs.append((columns[0], columns[1]))         # a third column (attribution), if any, is dropped
    if not pairs:
        raise DataError(f"{path} holds no sentence pairs: delete it and try again")
    return pairs


def split_by_source(sources: Sequence[str], val_share: float = 0.05, test_share: float = 0.1,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices ``(train, val, test)`` such that equal sources never land in two parts (chapter 8).

    The distinct sources are shuffled with ``seed`` and cut by the shares; every row follows its source.
    """
    if not (0 <= val_share < 1 and 0 <= test_share < 1 and val_share + test_share < 1):
        raise ValueError(f"val_share and test_share must be in [0, 1) with a sum below 1, got {val_share} "
                         f"and {test_share}")
    groups: dict[str, list[int]] = defaultdict(list)
    for row, source in enumerate(sources):
        groups[source].append(row)
    keys = sorted(groups)
    order = np.random.default_rng(seed).permutation(len(keys))
    n_test, n_val = round(test_share * len(keys)), round(val_share * len(keys))
    parts = (order[n_test + n_val:], order[n_test:n_test + n_val], order[:n_test])
    return tuple(np.array(sorted(row for k in part for row in groups[keys[k]]), dtype=np.int64) for part in parts)


@dataclasses.dataclass(frozen=True)
class TranslationSetup:
    """Which pairs a profile uses (chapter 8): both sides at most ``max_tokens`` tokens; ``train_pairs``
    and ``test_sources`` sample the parts (None: all); words seen fewer than ``min_freq`` times in
    training become ``<unk>``."""

    max_tokens: int
    train_pairs: int | None = None
    test_sources: int | None = None
    min_freq: int = 2
    val_share: float = 0.05
    test_share: float = 0.1

    @classmethod
    def preset(cls, cfg: RunConfig) -> "TranslationSetup":
        return cfg.choose(quick=cls(max_tokens=6, train_pairs=20_000, test_sources=1_000),
                          full=cls(max_tokens=16))


@dataclasses.dataclass
class TranslationData:
    """Token lists of every part, vocabularies and batches (chapter 8).

    ``train``/``val``: ``(english tokens, french tokens)`` pairs; ``test_sources``: distinct English
    sentences (tokens), ``test_references[i]``: every French translation of ``test_sources[i]``.
    """

    train: list[tuple[list[str], list[str]]]
    val: list[tuple[list[str], list[str]]]
    test_sources: list[list[str]]
    test_references: list[list[list[str]]]
    src_vocab: Vocab
    tgt_vocab: Vocab
    setup: TranslationSetup

    def encode_source(self, tokens: Sequence[str]) -> list[int]:
        """Indices of an English sentence, with ``<eos>`` at the end."""
        return self.src_vocab.lookup_indices(list(tokens) + [EOS])

    def loader(self, pairs: Sequence[tuple[Sequence[str], Sequence[str]]], batch_size: int,
               shuffle: bool = False, seed: int = 0) -> "PairLoader":
        """Batches ``((src, src_lengths, tgt_in), tgt_out)`` of similar source lengths."""
        src = [self.encode_source(s) for s, _ in pairs]
        tgt = [self.tgt_vocab.lookup_indices([BOS, *t, EOS]) for _, t in pairs]
        return PairLoader(src, tgt, batch_size, shuffle=shuffle, seed=seed)

    def loaders(self, batch_size: int, seed: int = 0) -> tuple["PairLoader", "PairLoader"]:
        """The training loader (shuffled, seeded) and the validation loader."""
        return self.loader(self.train, batch_size, True, seed), self.loader(self.val, 256)

    def sizes(self) -> dict[str, int]:
        return {"train pairs": len(self.train), "validation pairs": len(self.val),
                "test sentences": len(self.test_sources),
                "test references": sum(len(r) for r in self.test_references),
                "English vocabulary": len(self.src_vocab), "French vocabulary": len(self.tgt_vocab)}


class PairLoader:
    """Padded source and target batches, sorted into buckets of similar source lengths (chapter 8).

    ``src`` ``(B, S)`` padded with 0, ``src_lengths`` ``(B,)``; ``tgt_in`` = ``<bos>`` y₁ … yₙ
    padded with 0; ``tgt_out`` = y₁ … yₙ ``<eos>`` padded with -100, which the loss ignores.
    """

    def __init__(self, src: list[list[int]], tgt: list[list[int]], batch_size: int, shuffle: bool = False,
                 seed: int = 0):
        if len(src) != len(tgt):
            raise ValueError(f"{len(src)} sources but {len(tgt)} targets")
        check_int("batch_size", batch_size, minimum=1, hint="the number of sentence pairs per batch, e.g. 64")
        self.src, self.tgt, self.batch_size, self.shuffle, self.seed, self.epoch = src, tgt, batch_size, shuffle, seed, 0
        self.lengths = np.array([len(s) for s in src])

    def __len__(self) -> int:
        return -(-len(self.src) // self.batch_size)

    def __iter__(self):
        import torch

        from nlpcourse.text.batching import bucket_batches, pad_sequences
        if self.shuffle:
            batches = list(bucket_batches(self.lengths, self.batch_size, self.seed + self.epoch))
            self.epoch += 1
        else:
            order = np.argsort(self.lengths, kind="stable")
            batches = [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        for rows in batches:
            src = pad_sequences([self.src[r] for r in rows])
            tgt = pad_sequences([self.tgt[r] for r in rows])
            tgt_out = pad_sequences([self.tgt[r][1:] for r in rows], pad_value=IGNORE_INDEX)
            yield ((torch.as_tensor(src), torch.as_tensor(self.lengths[rows]), torch.as_tensor(tgt[:, :-1])),
                   torch.as_tensor(tgt_out))


def prepare_translation(cfg: RunConfig, setup: TranslationSetup | None = None,
                        pairs: Sequence[tuple[str, str]] | None = None) -> TranslationData:
    """Tokenised, split and filtered pairs with vocabularies from the training part (chapter 8).

    The split is made over the whole file before any length filter, so it is the same in every
    profile: the quick profile's test sentences are a sample of the full profile's.
    """
    setup = setup or TranslationSetup.preset(cfg)
    pairs = load_fra_eng() if pairs is None else pairs
    tokenized = [(tokenize(en, "en"), tokenize(fr, "fr")) for en, fr in pairs]
    keys = [" ".join(en) for en, _ in tokenized]
    train_rows, val_rows, test_rows = split_by_source(keys, setup.val_share, setup.test_share, cfg.seed)
    short = [max(len(en), len(fr)) <= setup.max_tokens and len(en) > 0 and len(fr) > 0 for en, fr in tokenized]
    train = [tokenized[r] for r in train_rows if short[r]]
    if setup.train_pairs is not None and setup.train_pairs < len(train):
        keep = np.sort(np.random.default_rng(cfg.seed).choice(len(train), setup.train_pairs, replace=False))
        train = [train[i] for i in keep]
    val = [tokenized[r] for r in val_rows if short[r]]
    references: dict[str, list[list[str]]] = defaultdict(list)
    for r in test_rows:
        references[keys[r]].append(tokenized[r][1])
    sources = sorted(k for k in references if 0 < len(k.split()) <= setup.max_tokens)
    if setup.test_sources is not None and setup.test_sources < len(sources):
        sources = [sources[i] for i in np.sort(np.random.default_rng(cfg.seed).choice(
            len(sources), setup.test_sources, replace=False))]
    src_vocab = Vocab((en for en, _ in train), min_freq=setup.min_freq, specials=SPECIALS)
    tgt_vocab = Vocab((fr for _, fr in train), min_freq=setup.min_freq, specials=SPECIALS)
    return TranslationData(train, val, [k.split() for k in sources], [references[k] for k in sources],
                           src_vocab, tgt_vocab, setup)
