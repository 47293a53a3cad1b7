"""Chapter 10 self-checks accept right answers and reject typical wrong ones with feedback."""
from __future__ import annotations

import numpy as np
import pytest

from nlpcourse.exercises import check
from nlpcourse.exercises.ch10 import head_plus_tail_reference, layer_lrs_reference
from nlpcourse.hf.data import truncate

pytestmark = pytest.mark.usefixtures("lenient")      # wrong answers print feedback instead of raising


# the solutions of notebooks/10_finetuning.md, as they stand there ----------------------------
def head_plus_tail(ids, budget, head):
    if len(ids) <= budget:
        return list(ids)
    return list(ids[:head]) + list(ids[len(ids) - (budget - head):])


def layer_lrs(num_layers, base_lr, decay):
    return [base_lr * decay ** (num_layers - k) for k in range(num_layers + 1)]


# Exercise 2 -----------------------------------------------------------------------------------
def test_reference_is_the_package_truncation():
    ids = list(range(700))
    assert head_plus_tail_reference(ids, 510, 128) == truncate(ids, 510, "head+tail")


def test_ch10_ex2_right_and_wrong(capsys):
    assert check("ch10.ex2", head_plus_tail)
    assert "Well done" in capsys.readouterr().out
    assert not check("ch10.ex2", lambda ids, budget, head: ids[:head] + ids[-(budget - head):]
                     if len(ids) > budget else ids)                                  # ids[-0:] is everything
    assert "ids[-0:]" in capsys.readouterr().out
    assert not check("ch10.ex2", lambda ids, budget, head: ids[:budget])
    assert "head only" in capsys.readouterr().out
    assert not check("ch10.ex2", lambda ids, budget, head: ids[-budget:] if ids else [])
    assert "tail only" in capsys.readouterr().out
    assert not check("ch10.ex2", lambda ids, budget, head: ids[:head] + ids[len(ids) - (budget - head):])
    assert "returned whole" in capsys.readouterr().out                                # short reviews duplicated


# Exercise 3 -----------------------------------------------------------------------------------
def test_ch10_ex3_right_and_wrong(capsys):
    assert check("ch10.ex3", layer_lrs)
    assert check("ch10.ex3", layer_lrs_reference)
    assert "Well done" in capsys.readouterr().out
    assert not check("ch10.ex3", lambda n, lr, d: layer_lrs(n, lr, d)[::-1])
    assert "the order is [embeddings" in capsys.readouterr().out
    assert not check("ch10.ex3", lambda n, lr, d: [lr * d ** (n + 1 - k) for k in range(n + 1)])
    assert "undecayed" in capsys.readouterr().out
    assert not check("ch10.ex3", lambda n, lr, d: layer_lrs(n, lr, d)[1:])
    assert "one rate for the embeddings and one per layer" in capsys.readouterr().out
    assert np.allclose(layer_lrs_reference(2, 1.0, 0.5), [0.25, 0.5, 1.0])
