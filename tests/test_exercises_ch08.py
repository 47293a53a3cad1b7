"""Chapter 8 self-checks accept right answers and reject typical wrong ones with feedback."""
from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from nlpcourse.exercises import check
from nlpcourse.exercises.ch08 import additive_attention_reference
from nlpcourse.text.bleu import brevity_penalty, closest_reference_length, modified_precision

pytestmark = pytest.mark.usefixtures("lenient")      # wrong answers print feedback instead of raising


def _unclipped(hypothesis, references, n):
    grams = [tuple(hypothesis[i:i + n]) for i in range(len(hypothesis) - n + 1)]
    seen = {tuple(r[i:i + n]) for r in references for i in range(len(r) - n + 1)}
    return sum(g in seen for g in grams), len(grams)


def _clipped_by_the_sum(hypothesis, references, n):
    grams = Counter(tuple(hypothesis[i:i + n]) for i in range(len(hypothesis) - n + 1))
    total = Counter()
    for r in references:
        total.update(tuple(r[i:i + n]) for i in range(len(r) - n + 1))
    return sum(min(c, total[g]) for g, c in grams.items()), sum(grams.values())


def test_ch08_ex2_right_and_wrong(capsys):
    assert check("ch08.ex2", modified_precision)
    assert not check("ch08.ex2", _unclipped)
    assert "clip" in capsys.readouterr().out
    assert not check("ch08.ex2", _clipped_by_the_sum)


def test_ch08_ex3_right_and_wrong(capsys):
    assert check("ch08.ex3", lambda c, refs: brevity_penalty(c, closest_reference_length(c, refs)))
    assert not check("ch08.ex3", lambda c, refs: brevity_penalty(c, min(refs)))           # the shortest reference
    assert "closest" in capsys.readouterr().out
    assert not check("ch08.ex3", lambda c, refs: math.exp(min(0.0, 1 - closest_reference_length(c, refs) / max(c, 1))))


def _no_mask(s, H, W_q, W_k, v, mask):
    return additive_attention_reference(s, H, W_q, W_k, v, np.ones_like(mask))


def _naive_softmax(s, H, W_q, W_k, v, mask):
    scores = np.where(mask, np.tanh(H @ W_k.T + W_q @ s) @ v, -np.inf)
    weights = np.exp(scores) / np.exp(scores).sum()
    return weights @ H, weights


def test_ch08_ex4_right_and_wrong(capsys):
    assert check("ch08.ex4", additive_attention_reference)
    assert not check("ch08.ex4", _no_mask)
    assert "padding" in capsys.readouterr().out
    assert not check("ch08.ex4", _naive_softmax)
    assert not check("ch08.ex4", lambda *args: additive_attention_reference(*args)[1])


def test_the_reference_step_is_the_package_layer():
    torch = pytest.importorskip("torch")
    from nlpcourse.layers.attention import AdditiveAttention
    torch.manual_seed(0)
    layer = AdditiveAttention(3, 4, 5).double()
    s, H = torch.randn(3, dtype=torch.float64), torch.randn(6, 4, dtype=torch.float64)
    mask = torch.tensor([True] * 4 + [False] * 2)
    with torch.no_grad():
        layer.key.bias.zero_()
        context, weights = layer(s[None], layer.project_keys(H[None]), H[None], mask[None])
        ours = additive_attention_reference(s.numpy(), H.numpy(), layer.query.weight.numpy(), layer.key.weight.numpy(),
                                            layer.score.weight[0].numpy(), mask.numpy())
    assert np.allclose(ours[1], weights[0].numpy()) and np.allclose(ours[0], context[0].numpy())
