"""Chapter 3 and 4 self-checks accept right answers and reject typical wrong ones with feedback."""
from __future__ import annotations

import numpy as np
import pytest

from nlpcourse.autograd import unbroadcast
from nlpcourse.exercises import check

pytestmark = pytest.mark.usefixtures("lenient")      # wrong answers print feedback instead of raising


def _ce_grad(logits, targets):
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(len(targets)), targets] -= 1
    return p / len(targets)


def test_ch03_right_and_wrong(capsys):
    assert check("ch03.ex2", unbroadcast)
    assert not check("ch03.ex2", lambda g, shape: g.sum(axis=0) if g.ndim > len(shape) else g)
    assert "keepdims" in capsys.readouterr().out
    assert not check("ch03.ex2", _unbroadcast_one_leading_axis)
    assert "every leading axis" in capsys.readouterr().out
    assert check("ch03.ex3", _ce_grad)
    assert not check("ch03.ex3", lambda z, y: _ce_grad(z, y) * len(y))        # forgot the mean
    assert not check("ch03.ex3", _naive)                                       # overflows on large logits
    assert "maximum" in capsys.readouterr().out


def _unbroadcast_one_leading_axis(grad, shape):
    if grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def _naive(z, y):
    with np.errstate(all="ignore"):
        p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


def test_ch04_right_and_wrong(capsys):
    from nlpcourse.layers.conv import conv_output_length
    assert check("ch04.ex2", conv_output_length)
    assert not check("ch04.ex2", lambda n, k, s, p, d: (n + 2 * p - k) // s + 1)   # dilation ignored
    assert "dilated" in capsys.readouterr().out

    def masked(fmap, lengths):
        padding = np.arange(fmap.shape[2])[None, None, :] >= lengths[:, None, None]
        return np.where(padding, -np.inf, fmap).max(axis=2)
    assert check("ch04.ex3", masked)
    assert not check("ch04.ex3", lambda fmap, lengths: fmap.max(axis=2))
    assert "-inf" in capsys.readouterr().out
