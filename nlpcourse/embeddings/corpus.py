"""The corpus side of word2vec: vocabulary, subsampling, noise words and window pairs (chapter 2).

Everything here is vectorized NumPy over a whole chunk of the corpus at once: no Python
loop runs per word or per pair, so building training pairs keeps up with the model.
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

import numpy as np


def build_vocab(sentences: Iterable[Sequence[str]], min_count: int = 5,
                max_vocab: int | None = None) -> tuple[list[str], np.ndarray]:
    """Words seen at least ``min_count`` times, most frequent first, and their counts (chapter 2).

    Ties keep the order of first appearance.
    """
    if min_count < 1:
        raise ValueError(f"min_count must be >= 1, got {min_count}")
    counts = Counter()
    for sentence in sentences:
        if isinstance(sentence, str):
            raise TypeError("sentences must be lists of tokens, not strings: tokenize them first")
        counts.update(sentence)
    kept = [(w, c) for w, c in counts.items() if c >= min_count]
    kept.sort(key=lambda wc: -wc[1])  # stable: ties stay in order of first appearance
    if max_vocab is not None:
        kept = kept[:max_vocab]
    if not kept:
        raise ValueError(f"no word occurs {min_count} or more times: lower min_count or use a larger corpus")
    words = [w for w, _ in kept]
    return words, np.array([c for _, c in kept], dtype=np.int64)


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """Probability of keeping each occurrence of a word under subsampling (chapter 2).

    gensim's formula: with t = sample * total, a word seen c times is kept with probability
    min(1, (sqrt(c / t) + 1) * t / c). Frequent words ("the") are dropped most of the time,
    rare words always kept. ``sample=0`` keeps everything.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.ones_like(counts)
    threshold = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / threshold) + 1) * threshold / counts)


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """The negative-sampling distribution: unigram counts raised to ``power``, normalised (chapter 2)."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


class NoiseSampler:
    """Draws negative words from :func:`noise_distribution` (chapter 2).

    Like the original C code it fills a table in which each word takes a share of the
    slots equal to its probability; a draw is one random slot, so sampling costs O(1).
    """

    def __init__(self, counts: np.ndarray, power: float = 0.75, table_size: int | None = None) -> None:
        probabilities = noise_distribution(counts, power)
        size = table_size or int(min(1e8, max(1e6, 100 * len(probabilities))))
        cumulative = np.cumsum(probabilities)
        cumulative[-1] = 1.0
        slots = (np.arange(size) + 0.5) / size
        self.table = np.searchsorted(cumulative, slots, side="right").astype(np.int32)

    def __call__(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        """Word ids of ``shape`` drawn independently from the noise distribution."""
        return self.table[rng.integers(0, len(self.table), size=shape)].astype(np.int64)


@dataclasses.dataclass
class Corpus:
    """A tokenized corpus as word ids: one flat array plus sentence boundaries (chapter 2).

    Words outside the vocabulary are dropped before windows are formed, as in gensim.
    """

    ids: np.ndarray        # (n_tokens,) int32 word ids
    offsets: np.ndarray    # (n_sentences + 1,) start of each sentence in ``ids``

    @classmethod
    def encode(cls, sentences: Iterable[Sequence[str]], key_to_index: dict[str, int]) -> "Corpus":
        lookup = key_to_index.get
        ids: list[int] = []
        offsets = [0]
        for sentence in sentences:
            ids.extend(i for i in map(lookup, sentence) if i is not None)
            offsets.append(len(ids))
        return cls(np.array(ids, dtype=np.int32), np.array(offsets, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.ids)

    def chunks(self, chunk_tokens: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, sentence index of each token) in pieces of about ``chunk_tokens``, cut between sentences."""
        n_sentences = len(self.offsets) - 1
        start = 0
        while start < n_sentences:
            stop = int(np.searchsorted(self.offsets, self.offsets[start] + chunk_tokens, side="right"))
            stop = min(max(stop - 1, start + 1), n_sentences)
            a, b = self.offsets[start], self.offsets[stop]
            lengths = np.diff(self.offsets[start:stop + 1])
            yield self.ids[a:b], np.repeat(np.arange(start, stop), lengths)
            start = stop


def subsample(ids: np.ndarray, sentence_of: np.ndarray, keep: np.ndarray,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Drop each token with probability ``1 - keep[word]`` (chapter 2)."""
    mask = rng.random(len(ids)) < keep[ids]
    return ids[mask], sentence_of[mask]


def window_pairs(sentence_of: np.ndarray, window: int, rng: np.random.Generator,
                 sort: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Positions (centre, context) of every pair inside a dynamic window (chapter 2).

    Each centre draws its own window size uniformly from 1..``window`` (word2vec's "dynamic
    window", which weighs near words more); pairs never cross a sentence boundary. With ``sort``
    the pairs come sorted by centre position (CBOW needs them grouped by centre).
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    n = len(sentence_of)
    reach = rng.integers(1, window + 1, size=n)  # effective window of each centre
    centres, contexts = [], []
    for d in range(1, window + 1):
        i = np.arange(n - d)
        same = sentence_of[:-d] == sentence_of[d:]
        right = i[same & (reach[:-d] >= d)]       # centre i, context i + d
        left = i[same & (reach[d:] >= d)] + d     # centre i + d, context i
        centres += [right, left]
        contexts += [right + d, left - d]
    centres, contexts = np.concatenate(centres), np.concatenate(contexts)
    if not sort:
        return centres, contexts
    order = np.argsort(centres, kind="stable")
    return centres[order], contexts[order]


def negative_targets(word: np.ndarray, noise: NoiseSampler, negative: int,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each true ``word`` followed by ``negative`` noise words, and the weight of each (chapter 2).

    Weights are 1, except 0 for a noise word that happens to be the true word itself.
    """
    word = np.asarray(word, dtype=np.int64)
    negatives = noise(rng, (len(word), negative))
    weights = np.ones((len(word), 1 + negative), dtype=np.float32)
    weights[:, 1:] = negatives != word[:, None]
    return np.concatenate([word[:, None], negatives], axis=1), weights


def skipgram_examples(kept: np.ndarray, centres: np.ndarray, contexts: np.ndarray, noise: NoiseSampler,
                      negative: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Skip-gram's examples for a chunk: (input words, targets, weights) (chapter 2).

    ``kept`` holds the chunk's word ids after subsampling, ``centres``/``contexts`` positions in
    it. Row i is one pair: the centre word is the input, the context word and ``negative`` noise
    words the targets (see :func:`negative_targets`).
    """
    return (kept[centres].astype(np.int64), *negative_targets(kept[contexts], noise, negative, rng))


def cbow_examples(kept: np.ndarray, centres: np.ndarray, contexts: np.ndarray, window: int, noise: NoiseSampler,
                  negative: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """CBOW's examples for a chunk: (context words, context weights, targets, weights) (chapter 2).

    Pairs must come sorted by centre. Row i is one centre: its context words padded to
    ``2 * window`` columns (weight 1 for a real context word, 0 for padding), and as targets the
    centre word and ``negative`` noise words (see :func:`negative_targets`).
    """
    first = np.r_[True, centres[1:] != centres[:-1]] if len(centres) else np.zeros(0, bool)
    row = np.cumsum(first) - 1                          # which centre each pair belongs to
    column = np.arange(len(centres)) - np.flatnonzero(first)[row]
    n_rows = int(first.sum())
    context_words = np.zeros((n_rows, 2 * window), dtype=np.int64)
    context_weights = np.zeros((n_rows, 2 * window), dtype=np.float32)
    context_words[row, column] = kept[contexts]
    context_weights[row, column] = 1.0
    return (context_words, context_weights, *negative_targets(kept[centres[first]], noise, negative, rng))


def pad_rows(arrays: Sequence[np.ndarray], multiple: int) -> list[np.ndarray]:
    """Zero rows appended to each array so that their length is a multiple of ``multiple`` (chapter 2).

    Padding rows have weight 0, so they change nothing: every batch then has the same shape.
    """
    n = len(arrays[0])
    extra = -n % multiple
    return [np.concatenate([a, np.zeros((extra, *a.shape[1:]), dtype=a.dtype)]) for a in arrays]
