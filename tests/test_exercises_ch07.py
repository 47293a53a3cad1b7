"""Chapter 7 self-checks accept right answers and reject typical wrong ones with feedback."""
from __future__ import annotations

import numpy as np
import pytest

from nlpcourse.exercises import check
from nlpcourse.exercises.ch07 import masked_attention_reference

pytestmark = pytest.mark.usefixtures("lenient")      # wrong answers print feedback instead of raising


def test_reference_matches_the_package():
    torch = pytest.importorskip("torch")
    from nlpcourse.layers.attention import scaled_dot_product_attention
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(4, 3)), rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    mask = rng.random((4, 5)) > 0.4
    mask[2] = False
    ours = scaled_dot_product_attention(*(torch.as_tensor(a) for a in (q, k, v)), torch.as_tensor(mask))[0]
    assert np.allclose(masked_attention_reference(q, k, v, mask), ours.numpy())


def _no_scaling(q, k, v, mask):
    return masked_attention_reference(q * np.sqrt(q.shape[-1]), k, v, mask)


def _naive_softmax(q, k, v, mask):
    scores = np.where(mask, q @ k.T / np.sqrt(q.shape[-1]), -np.inf)
    weights = np.exp(scores)
    return weights / weights.sum(axis=-1, keepdims=True) @ v


def test_ch07_right_and_wrong(capsys):
    assert check("ch07.ex2", masked_attention_reference)
    assert not check("ch07.ex2", _no_scaling)
    assert "sqrt(d)" in capsys.readouterr().out
    assert not check("ch07.ex2", _naive_softmax)                       # overflow, and NaN for the empty row
    assert "no allowed key" in capsys.readouterr().out
    assert check("ch07.ex3", lambda d, h: 4 * d * d + 4 * d)
    assert not check("ch07.ex3", lambda d, h: h * (4 * d * d // h + 4 * d))
    assert not check("ch07.ex3", lambda d, h: 4 * d * d)
    assert "bias" in capsys.readouterr().out
