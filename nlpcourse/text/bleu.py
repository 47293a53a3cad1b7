"""Corpus BLEU from scratch (Papineni et al. 2002), with sacreBLEU's exact numbers (chapter 8).

BLEU compares a system's translations (hypotheses) with one or more human translations
(references) per sentence. Statistics are summed over the whole corpus first::

    p_n  = clipped n-gram matches / hypothesis n-grams     (n = 1..4)
    BP   = 1 if c >= r else exp(1 - r / c)
    BLEU = BP * exp(mean over n of log p_n)                (reported as 0-100)

with c the total hypothesis length and r the sum, over sentences, of the reference length
closest to each hypothesis.

A hypothesis n-gram counts as a match at most as often as it appears in a single reference
("clipping"), so repeating a common word earns nothing. Strings are already tokenised:
they are split on whitespace, which makes :func:`corpus_bleu` agree with
``sacrebleu.corpus_bleu(..., tokenize="none")`` to the last bit.
"""
from __future__ import annotations

import collections
import dataclasses
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sacrebleu.metrics.bleu import BLEUScore

SMOOTH_METHODS = ("exp", "floor", "none")
FLOOR_SMOOTH_VALUE = 0.1  # sacreBLEU's default for smooth="floor"
LOG_OF_ZERO = -9999999999  # sacreBLEU's stand-in for log(0)


# -- one sentence -----------------------------------------------------------------------------
def ngram_counts(tokens: Sequence[str], n: int) -> collections.Counter:
    """How often each n-gram (a tuple of ``n`` tokens) occurs in ``tokens`` (chapter 8)."""
    _check_order(n, "n")
    _check_tokens(tokens, "tokens")
    return collections.Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def modified_precision(hypothesis: Sequence[str], references: Sequence[Sequence[str]],
                       n: int) -> tuple[int, int]:
    """(clipped matches, hypothesis n-grams) of one sentence (chapter 8).

    Each hypothesis n-gram is credited at most as many times as it occurs in any single
    reference: "the the the" against "the cat" has one match out of three unigrams.
    """
    _check_tokens(hypothesis, "hypothesis")
    if isinstance(references, str) or not references:
        raise ValueError("references must be a non-empty list of token lists, "
                         "e.g. [reference.split()]")
    hyp_counts = ngram_counts(hypothesis, n)
    max_ref_counts: collections.Counter = collections.Counter()
    for reference in references:
        max_ref_counts |= ngram_counts(reference, n)  # | keeps the larger count
    clipped = hyp_counts & max_ref_counts  # & keeps the smaller count
    return sum(clipped.values()), sum(hyp_counts.values())


def closest_reference_length(hyp_len: int, ref_lens: Sequence[int]) -> int:
    """The reference length closest to ``hyp_len``; a tie goes to the shorter one (chapter 8)."""
    if not ref_lens:
        raise ValueError("ref_lens is empty: give the length of at least one reference")
    return min(ref_lens, key=lambda ref_len: (abs(hyp_len - ref_len), ref_len))


def brevity_penalty(hyp_len: int, ref_len: int) -> float:
    """1 if the hypothesis is at least as long as the reference, else exp(1 - r/c) (chapter 8).

    An empty hypothesis (c = 0) facing a non-empty reference gets 0.
    """
    if hyp_len >= ref_len:
        return 1.0
    if hyp_len == 0:
        return 0.0
    return math.exp(1 - ref_len / hyp_len)


# -- the corpus -------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class BLEUResult:
    """Corpus BLEU and the statistics it was computed from (chapter 8).

    ``score`` and ``precisions`` are percentages (0-100); ``matches[k]`` and ``totals[k]``
    are the clipped matches and hypothesis n-grams of order k + 1 over the corpus.
    """

    score: float
    precisions: list[float]
    brevity_penalty: float
    hyp_len: int
    ref_len: int
    matches: list[int]
    totals: list[int]

    @property
    def ratio(self) -> float:
        """Hypothesis length / reference length (0 when the references are empty)."""
        return self.hyp_len / self.ref_len if self.ref_len else 0.0

    def __str__(self) -> str:
        precisions = "/".join(f"{p:.1f}" for p in self.precisions)
        return (f"BLEU {self.score:.2f} (1-{len(self.precisions)} gram precision {precisions}, "
                f"BP {self.brevity_penalty:.3f}, ratio {self.ratio:.3f})")


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[Sequence[str]],
                max_order: int = 4, smooth: str = "exp") -> BLEUResult:
    """Corpus BLEU of whitespace-tokenised ``hypotheses`` (chapter 8).

    ``references[i]`` is the list of reference strings of ``hypotheses[i]`` (one or more).
    ``smooth`` handles an order with no match: "exp" (sacreBLEU's default) halves a
    pseudo-precision for each such order, "floor" uses 0.1 matches, "none" gives BLEU 0.
    """
    _check_order(max_order, "max_order")
    if smooth not in SMOOTH_METHODS:
        raise ValueError(f"unknown smooth {smooth!r}: use one of {', '.join(SMOOTH_METHODS)}")
    _check_corpus(hypotheses, references)
    matches, totals = [0] * max_order, [0] * max_order
    hyp_len = ref_len = 0
    for hypothesis, sentence_refs in zip(hypotheses, references):
        hyp_tokens = hypothesis.split()
        ref_tokens = [reference.split() for reference in sentence_refs]
        for k in range(max_order):
            sentence_matches, sentence_total = modified_precision(hyp_tokens, ref_tokens, k + 1)
            matches[k] += sentence_matches
            totals[k] += sentence_total
        hyp_len += len(hyp_tokens)
        ref_len += closest_reference_length(len(hyp_tokens), [len(r) for r in ref_tokens])
    return _combine(matches, totals, hyp_len, ref_len, smooth)


def _combine(matches: list[int], totals: list[int], hyp_len: int, ref_len: int,
             smooth: str) -> BLEUResult:
    """Corpus statistics -> BLEU, in the same floating-point steps as sacreBLEU."""
    bp = brevity_penalty(hyp_len, ref_len)
    if not any(matches):
        precisions = [0.0] * len(matches)
        return BLEUResult(0.0, precisions, bp, hyp_len, ref_len, matches, totals)
    precisions = _smoothed_precisions(matches, totals, smooth)
    log_mean = sum([_log(p) for p in precisions]) / len(precisions)
    return BLEUResult(bp * math.exp(log_mean), precisions, bp, hyp_len, ref_len, matches, totals)


def _smoothed_precisions(matches: list[int], totals: list[int], smooth: str) -> list[float]:
    """Percent precision per order; orders from the first one without n-grams stay 0."""
    precisions = [0.0] * len(matches)
    exp_divisor = 1.0
    for k, (m, total) in enumerate(zip(matches, totals)):
        if total == 0:
            break
        if m > 0:
            precisions[k] = 100.0 * m / total
        elif smooth == "exp":
            exp_divisor *= 2
            precisions[k] = 100.0 / (exp_divisor * total)
        elif smooth == "floor":
            precisions[k] = 100.0 * FLOOR_SMOOTH_VALUE / total
    return precisions


def _log(x: float) -> float:
    return LOG_OF_ZERO if x == 0.0 else math.log(x)


# -- sacreBLEU --------------------------------------------------------------------------------
def to_sacrebleu_references(references: Sequence[Sequence[str]]) -> list[list[str | None]]:
    """Per-sentence reference lists -> sacreBLEU's reference streams (chapter 8).

    ``result[k][i]`` is the k-th reference of sentence i, or None where sentence i has fewer
    than k + 1 references (sacreBLEU skips None).
    """
    _check_references(references)
    n_streams = max((len(refs) for refs in references), default=0)
    return [[refs[k] if k < len(refs) else None for refs in references] for k in range(n_streams)]


def sacrebleu_score(hypotheses: Sequence[str], references: Sequence[Sequence[str]],
                    tokenize: str = "none") -> tuple[BLEUScore, str]:
    """sacreBLEU's corpus BLEU and its signature string, the numbers to report (chapter 8).

    ``references`` is per sentence, as for :func:`corpus_bleu`. ``tokenize="none"`` (the course's
    choice) scores the text as given, already tokenised by the course (French elisions split):
    then sacreBLEU's number equals :func:`corpus_bleu`'s. ``"13a"`` is sacreBLEU's own tokenizer,
    meant for detokenised text.
    """
    try:
        from sacrebleu.metrics import BLEU
    except ImportError:
        raise ImportError("sacrebleu_score needs sacreBLEU: pip install sacrebleu "
                          "(or install the course with its 'nlp' extra)") from None
    if tokenize not in BLEU.TOKENIZERS:
        raise ValueError(f"unknown tokenize {tokenize!r}: use one of {', '.join(BLEU.TOKENIZERS)}")
    _check_corpus(hypotheses, references)
    metric = BLEU(tokenize=tokenize, force=tokenize == "none")   # "none": tokenised on purpose
    score = metric.corpus_score(list(hypotheses), to_sacrebleu_references(references))
    return score, str(metric.get_signature())


# -- input checks -----------------------------------------------------------------------------
def _check_order(n: int, name: str) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name} must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"{name} must be at least 1, got {n}")


def _check_tokens(tokens: Sequence[str], name: str) -> None:
    if isinstance(tokens, str):
        raise TypeError(f"{name} must be a list of tokens, not a string: split it first, "
                        f"e.g. {name}.split()")


def _check_strings(items: Sequence[str], name: str) -> None:
    if isinstance(items, str) or not isinstance(items, Sequence):
        raise TypeError(f"{name} must be a list of strings, got {type(items).__name__}: "
                        f"wrap a single string in a list")
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise TypeError(f"{name}[{i}] must be a string, got {type(item).__name__}")


def _check_references(references: Sequence[Sequence[str]]) -> None:
    if isinstance(references, str) or not isinstance(references, Sequence):
        raise TypeError(f"references must be a list with one list of reference strings per "
                        f"sentence, got {type(references).__name__}")
    for i, refs in enumerate(references):
        if isinstance(refs, str):
            raise TypeError(f"references[{i}] is a string; it must be the list of references of "
                            f"sentence {i}: with one reference each, pass [[r] for r in refs]")
        _check_strings(refs, f"references[{i}]")
        if not refs:
            raise ValueError(f"references[{i}] is empty: give every sentence at least one "
                             f"reference")


def _check_corpus(hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> None:
    _check_strings(hypotheses, "hypotheses")
    if not hypotheses:
        raise ValueError("hypotheses is empty: BLEU needs at least one sentence")
    _check_references(references)
    if len(references) != len(hypotheses):
        raise ValueError(f"hypotheses and references have different lengths "
                         f"({len(hypotheses)} and {len(references)}): references[i] must be the "
                         f"list of references of hypotheses[i] (sacreBLEU's layout, one list "
                         f"per reference stream, is its transpose)")
