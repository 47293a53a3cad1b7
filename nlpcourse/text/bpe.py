"""Byte-pair encoding from scratch (Sennrich et al., 2016): learn merges, then apply them (chapter 9).

BPE starts from single characters and repeatedly merges the most frequent pair of adjacent
symbols into a new symbol, until the vocabulary holds ``vocab_size`` tokens. :func:`one_merge`
is one such step, written plainly; :class:`BPETokenizer` learns all the merges with pair counts
updated incrementally, and gives the same merges, in the same order, as the ``tokenizers``
library (``models.BPE`` trained by ``trainers.BpeTrainer`` after the ``Whitespace``
pre-tokenizer), because it follows the library's rules:

- the alphabet is every character of the corpus, sorted by code point; token ids follow that
  order, then each new token in the order it was made (``unk_token``, if any, comes first);
- two pairs of equal count: the one with the smaller ids (left token first, then right) wins;
- ``vocab_size`` counts every token, alphabet included; training stops there, or when the most
  frequent pair occurs fewer than ``min_frequency`` times.

Encoding applies the learned merges to each word, lowest rank (earliest learned) first.
"""
from __future__ import annotations

import functools
import heapq
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from nlpcourse.utils import check_int

Pair = tuple[str, str]

# Unicode's White_Space characters: what the Rust regex behind `Whitespace` calls \s
_SPACE_CLASS = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_WORD_CATEGORIES = {"Lu", "Ll", "Lt", "Lm", "Lo", "Nl", "Mn", "Mc", "Me", "Nd", "Pc"}
# joiners and the "Other_Alphabetic" symbols (circled and squared letters) that Rust's \w adds
_WORD_EXTRA = [(0x200C, 0x200D), (0x24B6, 0x24E9), (0x1F130, 0x1F149), (0x1F150, 0x1F169), (0x1F170, 0x1F189)]


@functools.cache
def _word_class() -> str:
    """Rust's \\w as a Python character class: letters, marks, decimal digits, connectors.

    Python's own \\w differs at the edges: it counts "²" and "①" as word characters and
    combining accents (U+0301) as not, so we spell the class out once (about 0.1 s)."""
    ranges: list[list[int]] = []   # [first, last] code points of each run of word characters
    for code in range(0x110000):
        if unicodedata.category(chr(code)) not in _WORD_CATEGORIES:
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    ranges += _WORD_EXTRA
    return "".join(re.escape(chr(a)) + ("" if a == b else "-" + re.escape(chr(b))) for a, b in ranges)


@functools.cache
def _pretokenize_pattern() -> re.Pattern:
    word = _word_class()
    return re.compile(f"[{word}]+|[^{word}{_SPACE_CLASS}]+")


def pretokenize(text: str) -> list[str]:
    """Split text into runs of word characters and runs of other non-space characters (chapter 9).

    The regex ``\\w+|[^\\w\\s]+`` of the ``tokenizers`` ``Whitespace`` pre-tokenizer, with
    Unicode's \\w and \\s as Rust reads them (only characters newer than Python's Unicode
    tables can still split differently). Lower-casing is up to the caller.

    >>> pretokenize("Don't stop!! <br />ok")
    ['Don', "'", 't', 'stop', '!!', '<', 'br', '/>', 'ok']
    """
    if not isinstance(text, str):
        raise TypeError(f"pretokenize expects a str, got {type(text).__name__}")
    return _pretokenize_pattern().findall(text)


def count_words(texts: Iterable[str]) -> Counter[str]:
    """How often each pre-tokenized word occurs in ``texts`` (chapter 9)."""
    if isinstance(texts, str):
        raise TypeError("texts must be a list of strings, not one string: wrap it as [text]")
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(pretokenize(text))
    return counts


def merge_symbols(symbols: Sequence[str], pair: Pair) -> tuple[str, ...]:
    """``symbols`` with every occurrence of ``pair`` merged, scanning left to right (chapter 9).

    >>> merge_symbols(("a", "a", "a", "b"), ("a", "a"))
    ('aa', 'a', 'b')
    """
    return tuple(_replace_pair(symbols, pair, pair[0] + pair[1]))


def _replace_pair(symbols: Sequence, pair: tuple, new) -> list:
    """``symbols`` with each occurrence of ``pair`` replaced by ``new``, left to right, never overlapping."""
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(new)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def count_pairs(word_counts: dict[tuple[str, ...], int]) -> Counter[Pair]:
    """How often each pair of adjacent symbols occurs, weighted by word counts (chapter 9)."""
    pairs: Counter[Pair] = Counter()
    for symbols, count in word_counts.items():
        for pair in zip(symbols, symbols[1:]):
            pairs[pair] += count
    return pairs


def one_merge(word_counts: dict[tuple[str, ...], int]) -> tuple[Pair, dict[tuple[str, ...], int]]:
    """One BPE step: the most frequent adjacent pair, and the word counts with it merged (chapter 9).

    Ties go to the alphabetically first pair. (The library breaks ties by token ids, which is
    the same order for single characters but not always for merged tokens.)

    >>> pair, merged = one_merge({("l", "o", "w"): 5, ("l", "o", "w", "e", "r"): 2})
    >>> pair, merged[("lo", "w")]
    (('l', 'o'), 5)
    """
    pairs = count_pairs(word_counts)
    if not pairs:
        raise ValueError("no pair left to merge: every word is a single symbol")
    best = min(pairs, key=lambda pair: (-pairs[pair], pair))
    return best, {merge_symbols(symbols, best): count for symbols, count in word_counts.items()}


def learn_merges(word_counts: dict[str, int], vocab_size: int, min_frequency: int = 0,
                 specials: Sequence[str] = ()) -> tuple[list[Pair], dict[str, int]]:
    """The merges and the vocabulary (token -> id) that BPE learns from word counts (chapter 9).

    The same loop as repeated :func:`one_merge`, made fast: words are lists of token ids,
    ``pair_counts`` is updated only for the words that hold the merged pair, and a heap gives
    the most frequent pair (smallest ids first on ties), skipping entries whose count is stale.
    """
    tokens = list(specials) + sorted({char for word in word_counts for char in word})
    vocab = {token: i for i, token in enumerate(tokens)}
    words = [[vocab[char] for char in word] for word in word_counts]
    counts = list(word_counts.values())
    pair_counts: Counter[tuple[int, int]] = Counter()
    where: defaultdict[tuple[int, int], set[int]] = defaultdict(set)   # pair -> indices of words holding it
    for i, word in enumerate(words):
        for pair in zip(word, word[1:]):
            pair_counts[pair] += counts[i]
            where[pair].add(i)
    heap = [(-count, pair) for pair, count in pair_counts.items()]
    heapq.heapify(heap)
    merges: list[Pair] = []
    while len(vocab) < vocab_size and heap:
        minus_count, pair = heapq.heappop(heap)
        if -minus_count != pair_counts[pair]:       # stale entry: the count changed since
            if pair_counts[pair] > 0:
                heapq.heappush(heap, (-pair_counts[pair], pair))
            continue
        if -minus_count < max(min_frequency, 1):
            break
        new_token = tokens[pair[0]] + tokens[pair[1]]
        if new_token not in vocab:                  # the same string can come from two pairs
            vocab[new_token] = len(tokens)
            tokens.append(new_token)
        merges.append((tokens[pair[0]], tokens[pair[1]]))
        changed = set()
        for i in where.pop(pair):
            changed |= _merge_in_word(words, i, counts[i], pair, vocab[new_token], pair_counts, where)
        del pair_counts[pair]
        for other in changed:
            if pair_counts[other] > 0:
                heapq.heappush(heap, (-pair_counts[other], other))
    return merges, vocab


def _merge_in_word(words: list[list[int]], i: int, count: int, pair: tuple[int, int], new_id: int,
                   pair_counts: Counter, where: defaultdict) -> set[tuple[int, int]]:
    """Merge ``pair`` in ``words[i]`` and move its pair counts; the pairs the word now holds."""
    old = words[i]
    new = _replace_pair(old, pair, new_id)
    if new == old:                                  # a stale index: the pair left this word earlier
        return set()
    for old_pair in zip(old, old[1:]):
        pair_counts[old_pair] -= count
    for new_pair in zip(new, new[1:]):
        pair_counts[new_pair] += count
        where[new_pair].add(i)
    words[i] = new
    return set(zip(new, new[1:]))


def apply_merges(word: str, ranks: dict[Pair, int], vocab: dict[str, int], unk_token: str | None = None) -> list[str]:
    """Segment one word: characters, then merge the pair of lowest rank until none applies (chapter 9).

    A character outside ``vocab`` becomes ``unk_token``, or is dropped when it is None,
    as the ``tokenizers`` BPE model does.
    """
    known = [char if char in vocab else unk_token for char in word]
    symbols = tuple(symbol for symbol in known if symbol is not None)   # no unk_token: unknowns vanish
    while len(symbols) > 1:
        pair = min(zip(symbols, symbols[1:]), key=lambda p: ranks.get(p, len(ranks)))
        if pair not in ranks:
            break
        symbols = merge_symbols(symbols, pair)
    return list(symbols)


class BPETokenizer:
    """Byte-pair encoding learned from texts, equal merge for merge to the ``tokenizers`` trainer (chapter 9).

    ``fit(texts)`` learns ``merges_`` (pairs, in the order learned) and ``vocab_``
    (token -> id); ``encode`` splits a text with :func:`pretokenize` and segments each word.
    Characters never seen in training become ``unk_token``, or are dropped if it is None.

    >>> bpe = BPETokenizer(vocab_size=14).fit(["low low lower newest newest widest"])
    >>> bpe.merges_
    [('e', 's'), ('l', 'o'), ('es', 't'), ('lo', 'w')]
    >>> bpe.encode("lowest newer")
    ['low', 'est', 'n', 'e', 'w', 'e', 'r']
    """

    def __init__(self, vocab_size: int, min_frequency: int = 0, unk_token: str | None = None) -> None:
        self.vocab_size = vocab_size
        self.min_frequency = min_frequency
        self.unk_token = unk_token

    def fit(self, texts: Iterable[str]) -> BPETokenizer:
        """Learn the merges from ``texts`` (lower-case them first if you want); returns self."""
        check_int("vocab_size", self.vocab_size, minimum=1)
        check_int("min_frequency", self.min_frequency, minimum=0)
        word_counts = count_words(texts)
        if not word_counts:
            raise ValueError("texts hold no words to learn from: pass a non-empty list of non-blank texts")
        specials = [] if self.unk_token is None else [self.unk_token]
        alphabet_size = len(specials) + len({char for word in word_counts for char in word})
        if self.vocab_size < alphabet_size:
            raise ValueError(f"vocab_size={self.vocab_size} is smaller than the {alphabet_size} single "
                             f"characters (and unk_token) of the texts: choose vocab_size >= {alphabet_size}")
        self.merges_, self.vocab_ = learn_merges(word_counts, self.vocab_size, self.min_frequency, specials)
        self.ranks_ = {pair: rank for rank, pair in enumerate(self.merges_)}
        self._cache: dict[str, list[str]] = {}
        return self

    def encode(self, text: str) -> list[str]:
        """The subword tokens of ``text``."""
        if not hasattr(self, "merges_"):
            raise ValueError("this BPETokenizer is not fitted yet: call fit(texts) first")
        tokens = []
        for word in pretokenize(text):
            if word not in self._cache:
                self._cache[word] = apply_merges(word, self.ranks_, self.vocab_, self.unk_token)
            tokens.extend(self._cache[word])
        return tokens

    def encode_ids(self, text: str) -> list[int]:
        """The ids of :meth:`encode`'s tokens."""
        return [self.vocab_[token] for token in self.encode(text)]

    def __repr__(self) -> str:
        learned = f", {len(self.merges_)} merges" if hasattr(self, "merges_") else ""
        return f"BPETokenizer(vocab_size={self.vocab_size}{learned})"


def train_library_bpe(texts: Iterable[str], vocab_size: int, min_frequency: int = 0, unk_token: str | None = None):
    """The ``tokenizers`` equivalent of :class:`BPETokenizer`: a trained ``Tokenizer`` (chapter 9)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    tokenizer = Tokenizer(models.BPE(unk_token=unk_token))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, show_progress=False,
                                  special_tokens=[] if unk_token is None else [unk_token])
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


def library_merges(tokenizer) -> list[Pair]:
    """The merges of a ``tokenizers`` BPE ``Tokenizer``, in rank order (chapter 9)."""
    merges = json.loads(tokenizer.to_str())["model"]["merges"]
    return [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in merges]


def compare_merges(ours: BPETokenizer, theirs, texts: Iterable[str] = ()) -> dict:
    """How far our merges agree with a ``tokenizers`` BPE, and how many words split the same (chapter 9).

    Returns ``equal_in_order`` (merges equal from the first one on), ``first_difference``
    (None, or the index and both merges there), and ``same_segmentation``: the share of the
    word occurrences of ``texts`` that both split into the same tokens (None without texts).
    """
    mine, other = ours.merges_, library_merges(theirs)
    equal = next((i for i, (a, b) in enumerate(zip(mine, other)) if a != b), min(len(mine), len(other)))
    difference = None
    if equal < max(len(mine), len(other)):
        difference = {"index": equal, "ours": mine[equal] if equal < len(mine) else None,
                      "theirs": other[equal] if equal < len(other) else None}
    words = count_words(texts)
    same = sum(n for word, n in words.items()
               if ours.encode(word) == [t.value for t in theirs.model.tokenize(word)])
    return {"merges_ours": len(mine), "merges_theirs": len(other), "equal_in_order": equal,
            "first_difference": difference,
            "same_segmentation": same / sum(words.values()) if words else None}
