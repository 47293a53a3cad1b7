"""Chapter 5 self-checks accept right answers and reject typical wrong ones with feedback."""
from __future__ import annotations

import numpy as np
import pytest

from nlpcourse.exercises import check
from nlpcourse.exercises.ch05 import _sigmoid, gru_step_reference

pytestmark = pytest.mark.usefixtures("lenient")      # wrong answers print feedback instead of raising


def test_the_reference_gru_step_is_pytorchs():
    torch = pytest.importorskip("torch")
    cell = torch.nn.GRUCell(4, 3).double()
    x, h = torch.randn(2, 4, dtype=torch.float64), torch.randn(2, 3, dtype=torch.float64)
    weights = [w.detach().numpy() for w in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]
    assert np.allclose(gru_step_reference(x.numpy(), h.numpy(), *weights), cell(x, h).detach().numpy())


def _gru_keeping_the_candidate(x, h, w_ih, w_hh, b_ih, b_hh):   # z and 1 - z swapped
    i_r, i_z, i_n = np.split(x @ w_ih.T + b_ih, 3, axis=-1)
    h_r, h_z, h_n = np.split(h @ w_hh.T + b_hh, 3, axis=-1)
    r, z = _sigmoid(i_r + h_r), _sigmoid(i_z + h_z)
    n = np.tanh(i_n + r * h_n)
    return z * n + (1 - z) * h


def test_ch05_right_and_wrong(capsys):
    assert check("ch05.ex2", gru_step_reference)
    assert not check("ch05.ex2", _gru_keeping_the_candidate)
    assert "z keeps the old state" in capsys.readouterr().out
    assert check("ch05.ex3", lambda i, h, bi: (2 if bi else 1) * 4 * (h * (i + h) + 2 * h))
    assert not check("ch05.ex3", lambda i, h, bi: (2 if bi else 1) * 4 * (h * (i + h) + h))   # Keras' one bias
    assert "two bias vectors" in capsys.readouterr().out
    assert not check("ch05.ex3", lambda i, h, bi: 4 * (h * (i + h) + 2 * h))
    assert "two independent LSTMs" in capsys.readouterr().out
