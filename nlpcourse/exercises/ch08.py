"""Checkers for chapter 8 (seq2seq with attention)."""
from __future__ import annotations

import numpy as np

from nlpcourse.exercises import compare_arrays, compare_values, exercise

PAPINENI_REFS = [["the", "cat", "is", "on", "the", "mat"], ["there", "is", "a", "cat", "on", "the", "mat"]]


@exercise("ch08.ex2", "modified n-gram precision")
def _modified_precision(modified_precision):
    """``modified_precision(hypothesis, references, n)`` -> ``(clipped matches, hypothesis n-grams)``."""
    from nlpcourse.text.bleu import modified_precision as reference
    cases = [
        ("Papineni's 'the the the the the the the', unigrams", ["the"] * 7, PAPINENI_REFS, 1),
        ("the same, bigrams", ["the"] * 7, PAPINENI_REFS, 2),
        ("a good hypothesis, bigrams", "the cat is on the mat".split(), PAPINENI_REFS, 2),
        ("clip by the best single reference, not the sum", "the the cat".split(),
         [["the", "cat"], ["the", "dog"]], 1),
        ("a hypothesis shorter than n", ["cat"], PAPINENI_REFS, 2),
        ("French with elisions, trigrams", "je l' ai vu hier .".split(),
         [["je", "l'", "ai", "vu", "hier", "."], ["je", "l'", "ai", "vue", "hier", "."]], 3),
    ]
    for description, hypothesis, references, n in cases:
        got = modified_precision(list(hypothesis), [list(r) for r in references], n)
        got = tuple(int(x) for x in got) if isinstance(got, (tuple, list)) and len(got) == 2 else got
        yield compare_values(description, got, reference(hypothesis, references, n),
                             "count each n-gram of the hypothesis, clip the count by the most times it occurs in "
                             "any one reference, and return (sum of clipped counts, number of hypothesis n-grams)")


@exercise("ch08.ex3", "brevity penalty against the closest reference")
def _brevity_penalty(sentence_brevity_penalty):
    """``sentence_brevity_penalty(hyp_len, ref_lens)`` -> BLEU's brevity penalty of one sentence."""
    import math
    cases = [("longer than every reference", 9, [6, 7], 1.0), ("as long as the closest reference", 7, [6, 7, 9], 1.0),
             ("shorter: exp(1 - r/c)", 4, [6, 8], math.exp(1 - 6 / 4)),
             ("a tie between references goes to the shorter one", 5, [4, 6], 1.0),
             ("the closest, not the shortest, reference", 8, [3, 9], math.exp(1 - 9 / 8)),
             ("an empty hypothesis", 0, [5], 0.0)]
    for description, hyp_len, ref_lens, expected in cases:
        got = sentence_brevity_penalty(hyp_len, list(ref_lens))
        got = round(float(got), 12) if isinstance(got, (int, float, np.floating)) else got
        yield compare_values(description, got, round(expected, 12),
                             "r is the reference length closest to c (ties: the shorter one); the penalty is 1 "
                             "when c >= r, exp(1 - r / c) when c < r, and 0 for an empty hypothesis")


def additive_attention_reference(s: np.ndarray, H: np.ndarray, W_q: np.ndarray, W_k: np.ndarray, v: np.ndarray,
                                 mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One step of Bahdanau attention: ``e_j = vᵀ tanh(W_q s + W_k h_j)``, softmax over the real words, context."""
    scores = np.tanh(H @ W_k.T + W_q @ s) @ v
    scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores[mask].max())
    weights = weights / weights.sum()
    return weights @ H, weights


@exercise("ch08.ex4", "one step of additive attention")
def _attention_step(attention_step):
    """``attention_step(s, H, W_q, W_k, v, mask)`` -> ``(context, weights)`` for one decoder state."""
    rng = np.random.default_rng(8)
    cases = [("3 source words", 3, np.array([True, True, True])),
             ("padding at the end gets no weight", 5, np.array([True, True, True, False, False])),
             ("one source word: all the weight", 1, np.array([True])),
             ("large scores (subtract the maximum)", 4, np.array([True] * 4))]
    for description, words, mask in cases:
        s, H = rng.normal(size=3), rng.normal(size=(words, 4))
        W_q, W_k, v = rng.normal(size=(5, 3)), rng.normal(size=(5, 4)), rng.normal(size=5)
        if "large" in description:              # every score near 400 · 5: exp() overflows without the shift
            s, W_q, v = np.abs(s), 3 * np.abs(W_q), 400 + np.abs(v)
        context, weights = additive_attention_reference(s, H, W_q, W_k, v, mask)
        with np.errstate(all="ignore"):
            got = attention_step(s.copy(), H.copy(), W_q.copy(), W_k.copy(), v.copy(), mask.copy())
        if not (isinstance(got, tuple) and len(got) == 2):
            yield compare_values(description, type(got).__name__, "tuple (context, weights)",
                                 "return the context vector and the weights")
            continue
        hint = ("scores e_j = v · tanh(W_q s + W_k h_j), -inf at padding, a softmax over the source words "
                "(subtract the maximum), context = Σ_j a_j h_j")
        yield compare_arrays(f"{description}: weights", got[1], weights, hint=hint)
        yield compare_arrays(f"{description}: context", got[0], context, hint=hint)
