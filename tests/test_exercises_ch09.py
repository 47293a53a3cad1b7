"""Chapter 9 self-checks accept right answers and reject typical wrong ones with feedback."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from nlpcourse.exercises import check
from nlpcourse.exercises.ch09 import _bpe_cases, _top_p_cases, bert_mask_reference, top_p_reference
from nlpcourse.text.bpe import one_merge

pytestmark = pytest.mark.usefixtures("lenient")      # wrong answers print feedback instead of raising


# the solutions of notebooks/09_pretrained.md, as they stand there ----------------------------
def bert_mask(ids, chosen, action, random_ids, mask_id):
    inputs = np.where(chosen & (action < 0.8), mask_id, ids)
    inputs = np.where(chosen & (action >= 0.8) & (action < 0.9), random_ids, inputs)
    targets = np.where(chosen, ids, -100)
    return inputs, targets


def bpe_merge(word_counts):
    counts = Counter()
    for word, n in word_counts.items():
        for a, b in zip(word, word[1:]):
            counts[a, b] += n
    top = min(counts, key=lambda ab: (-counts[ab], ab))
    result = {}
    for word, n in word_counts.items():
        symbols, k = [], 0
        while k < len(word):
            if k + 1 < len(word) and (word[k], word[k + 1]) == top:
                symbols.append(word[k] + word[k + 1])
                k += 2
            else:
                symbols.append(word[k])
                k += 1
        result[tuple(symbols)] = n
    return top, result


def top_p_filter(logits, p):
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    order = np.argsort(-probs, kind="stable")
    cumulative = np.cumsum(probs[order])
    n_keep = int(np.searchsorted(cumulative, p) + 1)
    kept = np.full_like(logits, -np.inf)
    kept[order[:n_keep]] = logits[order[:n_keep]]
    return kept


# Exercise 2 -----------------------------------------------------------------------------------
def _random_above_09(ids, chosen, action, random_ids, mask_id):
    inputs = np.where(chosen & (action < 0.8), mask_id, ids)
    inputs = np.where(chosen & (action >= 0.9), random_ids, inputs)     # the 0.8/0.9 branches swapped
    return inputs, np.where(chosen, ids, -100)


def _inclusive_08(ids, chosen, action, random_ids, mask_id):
    inputs = np.where(chosen & (action <= 0.8), mask_id, ids)
    inputs = np.where(chosen & (action > 0.8) & (action <= 0.9), random_ids, inputs)
    return inputs, np.where(chosen, ids, -100)


def _unchosen_masked_too(ids, chosen, action, random_ids, mask_id):
    inputs = np.where(action < 0.8, mask_id, ids)
    inputs = np.where(chosen & (action >= 0.8) & (action < 0.9), random_ids, inputs)
    return inputs, np.where(chosen, ids, -100)


def _in_place(ids, chosen, action, random_ids, mask_id):
    ids[chosen & (action >= 0.8) & (action < 0.9)] = random_ids[chosen & (action >= 0.8) & (action < 0.9)]
    ids[chosen & (action < 0.8)] = mask_id
    return ids, np.where(chosen, ids, -100)


def test_ch09_ex2_right_and_wrong(capsys):
    assert check("ch09.ex2", bert_mask)
    assert check("ch09.ex2", bert_mask_reference)
    assert "Well done" in capsys.readouterr().out
    assert not check("ch09.ex2", _random_above_09)
    out = capsys.readouterr().out
    assert "action >= 0.9 keeps the token itself" in out and "0.8 <= action < 0.9 gives the random id" in out
    assert not check("ch09.ex2", lambda ids, *rest: (bert_mask(ids, *rest)[0], ids.copy()))   # targets everywhere
    assert "-100 at the positions not chosen" in capsys.readouterr().out
    assert not check("ch09.ex2", _inclusive_08)
    assert "action exactly 0.8 included" in capsys.readouterr().out
    assert not check("ch09.ex2", _unchosen_masked_too)
    assert "only chosen positions change" in capsys.readouterr().out
    assert not check("ch09.ex2", _in_place)
    assert "original ids" in capsys.readouterr().out
    assert not check("ch09.ex2", lambda *args: bert_mask(*args)[0])
    assert "(inputs, targets)" in capsys.readouterr().out


# Exercise 3 -----------------------------------------------------------------------------------
def _merge_all(word_counts, pair, overlapping=False):
    result = {}
    for word, n in word_counts.items():
        symbols, k = [], 0
        while k < len(word):
            if k + 1 < len(word) and (word[k], word[k + 1]) == pair:
                symbols.append(word[k] + word[k + 1])
                k += 1 if overlapping else 2
            elif overlapping and k > 0 and (word[k - 1], word[k]) == pair:
                k += 1                              # the second symbol of a pair just merged
            else:
                symbols.append(word[k])
                k += 1
        result[tuple(symbols)] = n
    return result


def _pairs(word_counts, weighted=True):
    counts = Counter()
    for word, n in word_counts.items():
        for pair in zip(word, word[1:]):
            counts[pair] += n if weighted else 1
    return counts


def _last_pair_on_ties(word_counts):
    counts = _pairs(word_counts)
    top = max(counts, key=lambda ab: (counts[ab], ab))
    return top, _merge_all(word_counts, top)


def _first_seen_on_ties(word_counts):
    top = _pairs(word_counts).most_common(1)[0][0]
    return top, _merge_all(word_counts, top)


def _unweighted(word_counts):
    counts = _pairs(word_counts, weighted=False)
    top = min(counts, key=lambda ab: (-counts[ab], ab))
    return top, _merge_all(word_counts, top)


def _overlapping(word_counts):
    top = one_merge(word_counts)[0]
    return top, _merge_all(word_counts, top, overlapping=True)


def _drops_short_words(word_counts):
    top, merged = one_merge(word_counts)
    return top, {word: n for word, n in merged.items() if len(word) > 1}


def test_overlapping_merge_is_the_mistake_meant():
    assert _merge_all({("a", "a", "a"): 1}, ("a", "a"), overlapping=True) == {("aa", "aa"): 1}
    assert _merge_all({("a", "a", "a"): 1}, ("a", "a")) == {("aa", "a"): 1}


def test_ch09_ex3_right_and_wrong(capsys):
    assert check("ch09.ex3", bpe_merge)
    assert check("ch09.ex3", one_merge)
    assert "Well done" in capsys.readouterr().out
    assert not check("ch09.ex3", _last_pair_on_ties)
    assert "alphabetically first" in capsys.readouterr().out
    assert not check("ch09.ex3", _first_seen_on_ties)
    assert "alphabetically first" in capsys.readouterr().out
    assert not check("ch09.ex3", _unweighted)
    assert "add the word's count" in capsys.readouterr().out
    assert not check("ch09.ex3", _overlapping)
    assert "('aa','a'), not ('aa','aa')" in capsys.readouterr().out
    assert not check("ch09.ex3", _drops_short_words)
    assert "single symbol" in capsys.readouterr().out
    assert not check("ch09.ex3", lambda word_counts: one_merge(word_counts)[0])
    assert "(pair, new_word_counts)" in capsys.readouterr().out


def test_bpe_cases_have_no_colliding_words():
    for _, word_counts in _bpe_cases():
        pair = one_merge(word_counts)[0]
        assert len(_merge_all(word_counts, pair)) == len(word_counts)


# Exercise 4 -----------------------------------------------------------------------------------
def _one_too_many(logits, p):                           # until the sum exceeds p strictly, and one more
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    order = np.argsort(-probs)
    n_keep = int(np.searchsorted(np.cumsum(probs[order]), p, side="right") + 2)
    kept = np.full_like(logits, -np.inf)
    kept[order[:n_keep]] = logits[order[:n_keep]]
    return kept


def _below_p_only(logits, p):                           # drops the token that reaches p: none when it is the first
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    order = np.argsort(-probs)
    keep = order[np.cumsum(probs[order]) < p]
    kept = np.full_like(logits, -np.inf)
    kept[keep] = logits[keep]
    return kept


def _unsorted(logits, p):
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    n_keep = int(np.searchsorted(np.cumsum(probs), p) + 1)
    kept = np.full_like(logits, -np.inf)
    kept[:n_keep] = logits[:n_keep]
    return kept


def _probabilities(logits, p):
    kept = top_p_filter(logits, p)
    probs = np.exp(kept - kept.max())
    return np.where(np.isfinite(kept), probs / probs.sum(), -np.inf)


def _naive_softmax(logits, p):
    probs = np.exp(logits) / np.exp(logits).sum()
    order = np.argsort(-probs)
    n_keep = int(np.searchsorted(np.cumsum(probs[order]), p) + 1)
    kept = np.full_like(logits, -np.inf)
    kept[order[:n_keep]] = logits[order[:n_keep]]
    return kept


def test_ch09_ex4_right_and_wrong(capsys):
    assert check("ch09.ex4", top_p_filter)
    assert check("ch09.ex4", top_p_reference)
    assert "Well done" in capsys.readouterr().out
    assert not check("ch09.ex4", _one_too_many)
    assert "stop at the first token" in capsys.readouterr().out
    assert not check("ch09.ex4", _below_p_only)
    assert "always stays" in capsys.readouterr().out
    assert not check("ch09.ex4", _unsorted)
    assert "decreasing order" in capsys.readouterr().out
    assert not check("ch09.ex4", _probabilities)
    assert "not probabilities" in capsys.readouterr().out
    assert not check("ch09.ex4", lambda logits, p: np.where(np.isfinite(top_p_filter(logits, p)), logits, 0.0))
    assert "-inf, not 0" in capsys.readouterr().out
    assert not check("ch09.ex4", _naive_softmax)
    assert "large logits" in capsys.readouterr().out


def test_top_p_cases_stay_clear_of_the_boundaries():
    for _, logits, p in _top_p_cases():
        probs = np.exp(logits - logits.max())
        probs = np.sort(probs / probs.sum())[::-1]
        assert np.all(np.diff(probs) < -1e-9), "no ties"
        assert p >= 1 or np.min(np.abs(np.cumsum(probs) - p)) > 1e-5


def test_top_p_reference_is_the_package_filter():
    torch = pytest.importorskip("torch")
    from nlpcourse.models.gpt_mini import filter_logits
    rng = np.random.default_rng(1)
    cases = [(logits, p) for _, logits, p in _top_p_cases()] + [(2 * rng.normal(size=30), 0.83) for _ in range(5)]
    for logits, p in cases:
        ours = top_p_reference(logits, p)
        theirs = filter_logits(torch.as_tensor(logits)[None], top_p=p)[0].numpy()
        assert np.array_equal(np.isfinite(ours), np.isfinite(theirs))
        assert np.allclose(ours[np.isfinite(ours)], theirs[np.isfinite(theirs)])
