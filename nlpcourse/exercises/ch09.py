"""Checkers for chapter 9 (pretrained language models: BERT's masking, BPE, nucleus sampling)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np

from nlpcourse.exercises import Case, compare_arrays, compare_values, exercise
from nlpcourse.tokens import IGNORE_INDEX


def _pair_of_results(description: str, got, what: str) -> Case | None:
    """A failed :class:`Case` unless ``got`` is a pair (tuple or list of two)."""
    if isinstance(got, (tuple, list)) and len(got) == 2:
        return None
    return compare_values(description, type(got).__name__, f"tuple {what}", f"return {what}")


# Exercise 2 -----------------------------------------------------------------------------------
def bert_mask_reference(ids: np.ndarray, chosen: np.ndarray, action: np.ndarray, random_ids: np.ndarray,
                        mask_id: int) -> tuple[np.ndarray, np.ndarray]:
    """BERT's 80/10/10 rule: at chosen positions ``mask_id`` (action < 0.8), the random id (0.8 <= action < 0.9)
    or the token itself; targets the original id at chosen positions, -100 elsewhere."""
    inputs = np.where(chosen & (action < 0.8), mask_id, ids)
    inputs = np.where(chosen & (action >= 0.8) & (action < 0.9), random_ids, inputs)
    return inputs, np.where(chosen, ids, IGNORE_INDEX)


def _masking_mistakes(got_inputs, got_targets, ids, chosen, action, random_ids, mask_id) -> str:
    """What the wrong positions of a ``bert_mask`` answer have in common, in words."""
    try:
        inputs, targets = np.asarray(got_inputs), np.asarray(got_targets)
        if inputs.shape != ids.shape or targets.shape != ids.shape:
            return "return two arrays of the same shape (T,) as ids: the inputs and the targets"
    except (TypeError, ValueError):
        return "return two arrays: the inputs and the targets"
    hints = []
    if np.any(~chosen & (inputs != ids)):
        hints.append("only chosen positions change: every other token stays as it is")
    if np.any(chosen & (action < 0.8) & (inputs != mask_id)):
        hints.append("action < 0.8 gives mask_id")
    if np.any(chosen & (action >= 0.8) & (action < 0.9) & (inputs != random_ids)):
        hints.append("0.8 <= action < 0.9 gives the random id (action exactly 0.8 included)")
    if np.any(chosen & (action >= 0.9) & (inputs != ids)):
        hints.append("action >= 0.9 keeps the token itself, not a random id or mask_id (action exactly 0.9 "
                     "included)")
    if np.any(~chosen & (targets != IGNORE_INDEX)):
        hints.append("targets are -100 at the positions not chosen: the loss ignores them")
    if np.any(chosen & (targets != ids)):
        hints.append("targets at chosen positions are the original ids, not the inputs after masking (did you "
                     "change ids in place?)")
    return "; ".join(hints)


def _masking_cases() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]]:
    """``(description, ids, chosen, action, random_ids, mask_id)``; random ids never equal the token."""
    cases = [
        ("each branch once: [MASK], random id, itself, and unchosen tokens",
         [7, 8, 9, 10, 11, 12], [True, True, True, False, True, False],
         [0.1, 0.85, 0.95, 0.1, 0.5, 0.85], [20, 21, 22, 23, 24, 25], 3),
        ("the boundaries: action exactly 0.8 and exactly 0.9",
         [7, 8, 9, 10, 11], [True, True, True, True, False],
         [0.8, 0.9, 0.7999, 0.8999, 0.8], [30, 31, 32, 33, 34], 3),
        ("nothing chosen: the inputs are the ids, every target -100",
         [5, 6, 7, 8], [False] * 4, [0.1, 0.85, 0.95, 0.5], [40, 41, 42, 43], 1),
        ("everything chosen", [5, 6, 7, 8, 9, 10], [True] * 6,
         [0.0, 0.79, 0.8, 0.89, 0.9, 0.99], [50, 51, 52, 53, 54, 55], 2),
    ]
    out = [(d, np.array(i), np.array(c), np.array(a), np.array(r), m) for d, i, c, a, r, m in cases]
    rng = np.random.default_rng(9)
    ids = rng.integers(5, 1000, size=300)
    random_ids = rng.integers(5, 1000, size=300)
    random_ids = np.where(random_ids == ids, random_ids + 1, random_ids)
    out.append(("300 random tokens, 15 % chosen", ids, rng.random(300) < 0.15, rng.random(300), random_ids, 4))
    return out


@exercise("ch09.ex2", "BERT's masking rule")
def _bert_mask(bert_mask):
    """``bert_mask(ids, chosen, action, random_ids, mask_id)`` -> ``(inputs, targets)``, BERT's 80/10/10 rule."""
    for description, ids, chosen, action, random_ids, mask_id in _masking_cases():
        inputs, targets = bert_mask_reference(ids, chosen, action, random_ids, mask_id)
        got = bert_mask(ids.copy(), chosen.copy(), action.copy(), random_ids.copy(), mask_id)
        if (failed := _pair_of_results(description, got, "(inputs, targets)")) is not None:
            yield failed
            continue
        hint = _masking_mistakes(*got, ids, chosen, action, random_ids, mask_id)
        yield compare_arrays(f"{description}: inputs", got[0], inputs, hint=hint)
        yield compare_arrays(f"{description}: targets", got[1], targets, hint=hint)


# Exercise 3 -----------------------------------------------------------------------------------
def _bpe_cases() -> list[tuple[str, dict[tuple[str, ...], int]]]:
    """``(description, word_counts)``; no two words merge into the same one."""
    sennrich = {tuple("low") + ("</w>",): 5, tuple("lower") + ("</w>",): 2,
                tuple("newest") + ("</w>",): 6, tuple("widest") + ("</w>",): 3}
    from nlpcourse.text.bpe import one_merge
    return [
        ("Sennrich's low, lower, newest, widest (three pairs tie at 9)", sennrich),
        ("the same, second merge: merged symbols pair up too", one_merge(sennrich)[1]),
        ("a tie: the alphabetically first pair wins, whatever the order of the words",
         {("c", "d"): 2, ("a", "b"): 2, ("e", "f"): 2, ("g",): 5}),
        ("overlapping pairs merge left to right: ('a','a','a') -> ('aa','a')",
         {("a", "a", "a"): 4, ("a", "a", "a", "a"): 1, ("b", "a", "a"): 1}),
        ("counts weigh the pairs: a frequent word beats many rare ones",
         {("h", "e"): 10, ("a", "b", "c", "d"): 3, ("b", "c", "z"): 4}),
        ("words of one symbol stay as they are", {("a",): 7, ("a", "b"): 2, ("b",): 1, ("b", "a", "b"): 1}),
    ]


def _pair_counts(word_counts, weighted: bool = True) -> Counter:
    counts: Counter = Counter()
    for symbols, n in word_counts.items():
        for pair in zip(symbols, symbols[1:]):
            counts[pair] += n if weighted else 1
    return counts


def _pair_hint(got, expected, word_counts) -> str:
    counts = _pair_counts(word_counts)
    if got not in counts:
        return "return a pair (a, b) of adjacent symbols, as a tuple"
    if counts[got] == counts[expected]:
        return (f"{got} and {expected} both occur {counts[expected]} times: a tie goes to the alphabetically "
                "first pair, e.g. min(counts, key=lambda ab: (-counts[ab], ab))")
    unweighted = _pair_counts(word_counts, weighted=False)
    if unweighted[got] > unweighted[expected]:
        return "each pair counts as often as its word occurs: add the word's count, not 1"
    return "count every adjacent pair of every word, weighted by the word's count, and take the most frequent"


def _words_hint(got, expected, word_counts, pair) -> str:
    if not isinstance(got, Mapping):
        return "return a dict from words (tuples of symbols) to counts"
    if len(got) < len(expected):
        return "keep every word, with its count, also those without the pair and those of a single symbol"
    if pair[0] == pair[1] and any(word[i:i + 3] == pair + pair[:1] for word in word_counts
                                  for i in range(len(word))):
        return ("merge left to right without overlap: after merging a pair, go on after its second symbol, so "
                "('a','a','a') becomes ('aa','a'), not ('aa','aa')")
    return "replace each occurrence of the pair by one symbol, the two joined, scanning each word left to right"


@exercise("ch09.ex3", "one BPE merge")
def _bpe_merge(bpe_merge):
    """``bpe_merge(word_counts)`` -> ``(pair, new_word_counts)``: one step of byte-pair encoding."""
    from nlpcourse.text.bpe import one_merge
    for description, word_counts in _bpe_cases():
        pair, merged = one_merge(dict(word_counts))
        got = bpe_merge(dict(word_counts))
        if not (isinstance(got, (tuple, list)) and len(got) == 2 and isinstance(got[1], Mapping)):
            yield Case(description, False, f"expected a tuple (pair, new_word_counts), the second a dict, got "
                                           f"{got!r:.80}: return the pair and the new word counts")
            continue
        got_pair = tuple(got[0]) if isinstance(got[0], (tuple, list)) else got[0]
        yield compare_values(f"{description}: the pair", got_pair, pair, _pair_hint(got_pair, pair, word_counts))
        got_words = dict(got[1]) if isinstance(got[1], Mapping) else got[1]
        yield compare_values(f"{description}: the new word counts", got_words, merged,
                             _words_hint(got_words, merged, word_counts, pair) if got_pair == pair else
                             "merge the most frequent pair (see the pair's feedback)")


# Exercise 4 -----------------------------------------------------------------------------------
def top_p_reference(logits: np.ndarray, p: float) -> np.ndarray:
    """``logits`` with -inf outside the nucleus: the most likely tokens whose probabilities, summed in decreasing
    order, first reach ``p``; the most likely token always stays (as :func:`nlpcourse.models.gpt_mini.filter_logits`
    with ``top_p``)."""
    probs = np.exp(logits - logits.max())
    probs = probs / probs.sum()
    order = np.argsort(-probs, kind="stable")
    mass_before = np.cumsum(probs[order]) - probs[order]      # of the tokens more likely than this one
    kept = np.full(logits.shape, -np.inf)
    keep = order[mass_before < p] if p < 1 else order
    kept[keep] = logits[keep]
    return kept


def _top_p_cases() -> list[tuple[str, np.ndarray, float]]:
    """``(description, logits, p)``: no ties, and p is never within 1e-5 of a cumulative probability (far
    beyond rounding errors, so that < and <= agree)."""
    rng = np.random.default_rng(4)
    flat = np.log(np.array([0.2, 0.09, 0.32, 0.13, 0.26]))             # sorted: .32 .58 .78 .91 1
    return [
        ("a peaked distribution, p = 0.5: the most likely token alone", np.array([0.5, 4.0, 1.0, -1.0, 0.0]), 0.5),
        ("a flatter one, unsorted, p = 0.9", flat, 0.9),
        ("the same, p = 0.6", flat, 0.6),
        ("p smaller than the top probability still keeps one token", np.array([1.0, 2.0, 0.5]), 0.05),
        ("p = 1.0 keeps every token", rng.normal(size=6), 1.0),
        ("large logits (subtract the maximum before exp)", np.array([1000.0, 998.5, 999.3, 990.0, 997.0]), 0.8),
        ("50 random logits, p = 0.7", 2 * rng.normal(size=50), 0.7),
        ("50 random logits, p = 0.95", 2 * rng.normal(size=50), 0.95),
    ]


def _tokens(kept: np.ndarray, shown: int = 10) -> str:
    """``kept`` (a boolean mask) in words: how many tokens, and which."""
    where = np.flatnonzero(kept).tolist()
    listed = ", ".join(map(str, where[:shown])) + (", ..." if len(where) > shown else "")
    return f"{len(where)} token{'s' * (len(where) != 1)} [{listed}]"


def _nucleus_case(description: str, got, logits: np.ndarray, p: float) -> Case:
    expected = top_p_reference(logits, p)
    try:
        got_arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return Case(description, False, f"expected an array, got {type(got).__name__}")
    if got_arr.shape != logits.shape:
        return Case(description, False, f"expected shape {logits.shape}, got {got_arr.shape}: return the "
                                        "logits, one per token, with -inf outside the nucleus")
    kept, want = np.isfinite(got_arr), np.isfinite(expected)
    if not np.array_equal(kept, want):
        n_got, n_want = int(kept.sum()), int(want.sum())
        where = f"you keep {_tokens(kept)}, the nucleus is {_tokens(want)}"
        overflow = ("; note that exp() of logits this large overflows: subtract the largest logit first"
                    if logits.max() > 700 else "")
        probs = np.exp(logits - logits.max())
        if n_got > n_want and np.all(got_arr[~want] == 0):
            hint = "set the logits outside the nucleus to -inf, not 0"
        elif n_got and n_got < len(logits) and probs[kept].min() < probs[~kept].max():
            hint = "keep the most likely tokens: sort the probabilities in decreasing order first"
        elif n_got > n_want:
            hint = ("stop at the first token at which the running sum of probabilities reaches p (that token "
                    "included), and set the logits of all the others to -inf")
        else:
            hint = "include the token at which the running sum reaches p; the most likely token always stays"
        return Case(description, False, f"{where}: {hint}{overflow}")
    return compare_arrays(description, got_arr[want], expected[want],
                          hint="the kept logits stay as they were: return logits, not probabilities")


@exercise("ch09.ex4", "nucleus (top-p) filtering")
def _top_p_filter(top_p_filter):
    """``top_p_filter(logits, p)`` -> ``logits`` ``(V,)`` with -inf outside the nucleus."""
    for description, logits, p in _top_p_cases():
        with np.errstate(all="ignore"):
            got = top_p_filter(logits.copy(), p)
        yield _nucleus_case(description, got, logits, p)
