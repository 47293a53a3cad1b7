"""Corpus BLEU: hand-computed cases, exact agreement with sacreBLEU, and bad input."""
from __future__ import annotations

import importlib.util
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlpcourse.text.bleu import (BLEUResult, brevity_penalty, closest_reference_length,
                                 corpus_bleu, modified_precision, ngram_counts,
                                 sacrebleu_score, to_sacrebleu_references)

needs_sacrebleu = pytest.mark.skipif(importlib.util.find_spec("sacrebleu") is None,
                                     reason="sacrebleu is not installed")

PAPINENI_HYP = "the the the the the the the"
PAPINENI_REFS = ["the cat is on the mat", "there is a cat on the mat"]


# -- hand-computed cases ----------------------------------------------------------------------
def test_ngram_counts():
    counts = ngram_counts("a b a b".split(), 2)
    assert counts == {("a", "b"): 2, ("b", "a"): 1}
    assert ngram_counts(["a"], 2) == {}


def test_papineni_modified_unigram_precision_is_2_of_7():
    refs = [r.split() for r in PAPINENI_REFS]
    assert modified_precision(PAPINENI_HYP.split(), refs, 1) == (2, 7)
    assert modified_precision(PAPINENI_HYP.split(), refs, 2) == (0, 6)


def test_clipping_uses_the_best_single_reference_not_the_sum():
    # "a" occurs once in each reference: the clip is 1, not 2
    assert modified_precision("a a a".split(), [["a", "b"], ["a", "c"]], 1) == (1, 3)
    assert modified_precision("a a a".split(), [["a", "a"], ["a"]], 1) == (2, 3)


def test_brevity_penalty_values():
    assert brevity_penalty(10, 10) == 1.0
    assert brevity_penalty(12, 10) == 1.0
    assert brevity_penalty(5, 10) == pytest.approx(math.exp(-1))
    assert brevity_penalty(9, 10) == pytest.approx(math.exp(1 - 10 / 9))
    assert brevity_penalty(0, 3) == 0.0
    assert brevity_penalty(0, 0) == 1.0


def test_closest_reference_length_ties_go_to_the_shorter():
    assert closest_reference_length(5, [3, 7]) == 3
    assert closest_reference_length(5, [7, 3]) == 3
    assert closest_reference_length(5, [2, 6, 9]) == 6
    assert closest_reference_length(0, [4, 1]) == 1


def test_hand_computed_corpus_bleu_and_str():
    # p = 3/4, 2/3, 1/2, and 0/1 smoothed by 'exp' to 1/2
    result = corpus_bleu(["a b c d"], [["a b c e"]])
    expected = (75 * (200 / 3) * 50 * 50) ** 0.25
    assert result.score == pytest.approx(expected)
    assert result.matches == [3, 2, 1, 0] and result.totals == [4, 3, 2, 1]
    assert result.precisions == pytest.approx([75.0, 200 / 3, 50.0, 50.0])
    assert str(result) == "BLEU 59.46 (1-4 gram precision 75.0/66.7/50.0/50.0, BP 1.000, ratio 1.000)"
    assert corpus_bleu(["a b c d"], [["a b c e"]], smooth="none").score == pytest.approx(0.0)
    assert corpus_bleu(["a b c d"], [["a b c d e"]], max_order=1).score == pytest.approx(
        100 * math.exp(1 - 5 / 4))


def test_identical_and_empty_hypotheses():
    # exp(mean of 4 x log(100)) is 100.00000000000004 in floating point, as in sacreBLEU
    same = "the cat sat on the mat"
    assert corpus_bleu([same], [[same]]).score == pytest.approx(100.0)
    empty = corpus_bleu([""], [["a b"]])
    assert (empty.score, empty.brevity_penalty, empty.hyp_len, empty.ref_len) == (0.0, 0.0, 0, 2)


def test_result_is_frozen():
    result = corpus_bleu(["a b"], [["a b"]])
    assert isinstance(result, BLEUResult)
    with pytest.raises(AttributeError):
        result.score = 0.0


# -- a wrong rule gives a different number ----------------------------------------------------
def test_unclipped_precision_would_change_the_papineni_score():
    result = corpus_bleu([PAPINENI_HYP], [PAPINENI_REFS], max_order=1)
    ref_words = {w for r in PAPINENI_REFS for w in r.split()}
    hyp = PAPINENI_HYP.split()
    unclipped = 100 * sum(w in ref_words for w in hyp) / len(hyp) * result.brevity_penalty
    assert result.score == pytest.approx(100 * 2 / 7)
    assert unclipped == pytest.approx(100.0)
    assert abs(result.score - unclipped) > 50


def test_average_reference_length_would_change_the_brevity_penalty():
    hyp = "a b c d e"
    refs = ["a b c d e", "a b c d e f g h i j k"]  # lengths 5 and 11, average 8
    result = corpus_bleu([hyp], [refs])
    assert (result.ref_len, result.brevity_penalty) == (5, 1.0)
    average = sum(len(r.split()) for r in refs) / len(refs)
    assert brevity_penalty(5, average) < 0.9


# -- agreement with sacreBLEU -----------------------------------------------------------------
VOCAB = ["a", "b", "c", "d"]
sentences = st.builds(lambda tokens, sep: sep.join(tokens),
                      st.lists(st.sampled_from(VOCAB), max_size=12),
                      st.sampled_from([" ", "  ", " \t "]))
corpora = st.lists(st.tuples(sentences, st.lists(sentences, min_size=1, max_size=3)),
                   min_size=1, max_size=6)


def _assert_same(ours: BLEUResult, theirs) -> None:
    assert ours.score == pytest.approx(theirs.score, rel=0, abs=1e-9)
    assert ours.precisions == pytest.approx(theirs.precisions, rel=0, abs=1e-9)
    assert ours.brevity_penalty == pytest.approx(theirs.bp, rel=0, abs=1e-9)
    assert (ours.hyp_len, ours.ref_len) == (theirs.sys_len, theirs.ref_len)
    assert (ours.matches, ours.totals) == (list(theirs.counts), list(theirs.totals))


@needs_sacrebleu
@settings(max_examples=200, deadline=None)
@given(corpus=corpora)
def test_matches_sacrebleu_on_random_corpora(corpus):
    import sacrebleu

    hyps = [hyp for hyp, _ in corpus]
    refs = [sentence_refs for _, sentence_refs in corpus]
    streams = to_sacrebleu_references(refs)
    for smooth in ("exp", "none", "floor"):
        theirs = sacrebleu.corpus_bleu(hyps, streams, smooth_method=smooth, tokenize="none")
        _assert_same(corpus_bleu(hyps, refs, smooth=smooth), theirs)


@needs_sacrebleu
@settings(max_examples=50, deadline=None)
@given(corpus=corpora, max_order=st.integers(1, 5))
def test_matches_sacrebleu_for_other_orders(corpus, max_order):
    from sacrebleu.metrics import BLEU

    hyps = [hyp for hyp, _ in corpus]
    refs = [sentence_refs for _, sentence_refs in corpus]
    metric = BLEU(tokenize="none", max_ngram_order=max_order)
    theirs = metric.corpus_score(hyps, to_sacrebleu_references(refs))
    _assert_same(corpus_bleu(hyps, refs, max_order=max_order), theirs)


def test_to_sacrebleu_references_transposes_and_pads_with_none():
    assert to_sacrebleu_references([["a", "b"], ["c"], ["d", "e", "f"]]) == [
        ["a", "c", "d"], ["b", None, "e"], [None, None, "f"]]


@needs_sacrebleu
def test_sacrebleu_score_and_signature():
    hyps = [PAPINENI_HYP, "there is a cat on the mat"]
    refs = [PAPINENI_REFS, ["a cat is on the mat"]]
    score, signature = sacrebleu_score(hyps, refs)
    assert "nrefs:var" in signature and "tok:none" in signature
    assert score.score == pytest.approx(corpus_bleu(hyps, refs).score, abs=1e-9)


# -- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize("hyps, refs, kwargs, error, words", [
    (["a", "b"], [["a"]], {}, ValueError, "different lengths"),
    (["a"], [[]], {}, ValueError, "references[0] is empty"),
    ([], [], {}, ValueError, "hypotheses is empty"),
    (["a", 1], [["a"], ["b"]], {}, TypeError, "hypotheses[1] must be a string"),
    (["a"], [["a", None]], {}, TypeError, "references[0][1] must be a string"),
    (["a"], ["a"], {}, TypeError, "references[0] is a string"),
    ("a b", [["a b"]], {}, TypeError, "hypotheses must be a list of strings"),
    (["a"], [["a"]], {"max_order": 0}, ValueError, "max_order must be at least 1"),
    (["a"], [["a"]], {"max_order": 2.0}, TypeError, "max_order must be an int"),
    (["a"], [["a"]], {"smooth": "add-k"}, ValueError, "unknown smooth 'add-k'"),
])
def test_bad_input_names_the_argument(hyps, refs, kwargs, error, words):
    with pytest.raises(error) as info:
        corpus_bleu(hyps, refs, **kwargs)
    assert words in str(info.value)


def test_bad_input_to_the_sentence_functions():
    with pytest.raises(TypeError, match="hypothesis must be a list of tokens"):
        modified_precision("a b", [["a"]], 1)
    with pytest.raises(ValueError, match="references must be a non-empty list"):
        modified_precision(["a"], [], 1)
    with pytest.raises(ValueError, match="n must be at least 1"):
        ngram_counts(["a"], 0)
    with pytest.raises(ValueError, match="ref_lens is empty"):
        closest_reference_length(3, [])


@needs_sacrebleu
def test_sacrebleu_score_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown tokenize 'nope'"):
        sacrebleu_score(["a"], [["a"]], tokenize="nope")
    with pytest.raises(ValueError, match="different lengths"):
        sacrebleu_score(["a", "b"], [["a"]])
