"""Chapter 6 self-checks accept right answers and reject typical wrong ones with feedback."""
from __future__ import annotations

import numpy as np
import pytest

from nlpcourse.exercises import check
from nlpcourse.exercises.ch06 import routing_iteration_reference, squash_reference

pytestmark = pytest.mark.usefixtures("lenient")      # wrong answers print feedback instead of raising


def test_references_match_the_package():
    torch = pytest.importorskip("torch")
    from nlpcourse.layers.capsule import dynamic_routing, squash
    s = np.random.default_rng(0).normal(size=(4, 3))
    assert np.allclose(squash_reference(s), squash(torch.as_tensor(s)).numpy())
    u_hat = np.random.default_rng(1).normal(size=(5, 2, 3))
    v, b = routing_iteration_reference(u_hat, np.zeros((5, 2)))
    v2, _ = routing_iteration_reference(u_hat, b)
    assert np.allclose(v2, dynamic_routing(torch.as_tensor(u_hat)[None], iterations=2)[0][0].numpy())


def _unguarded_squash(s):
    squared = (s * s).sum(axis=-1, keepdims=True)
    return s * squared / (1 + squared) / np.sqrt(squared)


def test_ch06_right_and_wrong(capsys):
    assert check("ch06.ex2", squash_reference)
    assert not check("ch06.ex2", _unguarded_squash)                       # NaN for the zero vector
    assert "not NaN" in capsys.readouterr().out
    assert not check("ch06.ex2", lambda s: s / (1 + (s * s).sum(-1, keepdims=True)))
    assert check("ch06.ex3", routing_iteration_reference)
    assert not check("ch06.ex3", lambda u, b: (routing_iteration_reference(u, b)[0], np.einsum("ijd,jd->ij", u,
                                                                       routing_iteration_reference(u, b)[0])))
    assert "added to b" in capsys.readouterr().out
    assert not check("ch06.ex3", _softmax_over_lower_capsules)
    assert "axis 1" in capsys.readouterr().out


def _softmax_over_lower_capsules(u_hat, b):
    c = np.exp(b) / np.exp(b).sum(axis=0, keepdims=True)
    v = squash_reference(np.einsum("ij,ijd->jd", c, u_hat))
    return v, b + np.einsum("ijd,jd->ij", u_hat, v)
