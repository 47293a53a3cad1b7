"""Checkers for chapter 5 (RNN, LSTM and GRU)."""
from __future__ import annotations

import numpy as np

from nlpcourse.exercises import compare_arrays, compare_values, exercise, hidden_cases


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def gru_step_reference(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """One GRU step in NumPy, PyTorch's equations and weight layout (reset, update, new)."""
    i_r, i_z, i_n = np.split(x @ weight_ih.T + bias_ih, 3, axis=-1)
    h_r, h_z, h_n = np.split(h @ weight_hh.T + bias_hh, 3, axis=-1)
    r, z = _sigmoid(i_r + h_r), _sigmoid(i_z + h_z)
    n = np.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h


@exercise("ch05.ex2", "one GRU step")
def _gru_step(gru_step):
    """``gru_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh)`` -> the next hidden state, as ``nn.GRUCell``."""
    rng = np.random.default_rng(5)
    for batch, inputs, hidden in [(1, 3, 2), (4, 5, 3), (2, 1, 6)]:
        x, h = rng.normal(size=(batch, inputs)), rng.normal(size=(batch, hidden))
        weights = (rng.normal(size=(3 * hidden, inputs)), rng.normal(size=(3 * hidden, hidden)),
                   rng.normal(size=3 * hidden), rng.normal(size=3 * hidden))
        expected = gru_step_reference(x, h, *weights)
        got = gru_step(x.copy(), h.copy(), *(w.copy() for w in weights))
        yield compare_arrays(f"batch {batch}, {inputs} inputs, {hidden} hidden units", got, expected,
                             hint="the reset gate multiplies the recurrent part of the candidate, W_hn h + b_hn, "
                                  "and h' = (1 - z) * n + z * h: z keeps the old state")


@exercise("ch05.ex3", "parameters of an LSTM layer")
def _lstm_parameters(lstm_parameters):
    """``lstm_parameters(input_size, hidden_size, bidirectional)`` -> parameters of ``nn.LSTM`` (two biases)."""
    cases = [(1, 1, False), (128, 128, False), (128, 128, True), (50, 64, False), (300, 100, True), (7, 3, True)]
    for inputs, hidden, bidirectional in cases:
        expected = (2 if bidirectional else 1) * 4 * (hidden * inputs + hidden * hidden + 2 * hidden)
        got = lstm_parameters(inputs, hidden, bidirectional)
        hint = "four gates, each with input weights, recurrent weights and (in PyTorch) two bias vectors"
        if bidirectional:
            hint += "; a bidirectional layer has two independent LSTMs"
        yield compare_values(f"input_size={inputs}, hidden_size={hidden}, bidirectional={bidirectional}", got,
                             expected, hint)


# hidden cases for grading: inputs drawn with the assignment's seed, answers from the chapter's solution
@hidden_cases("ch05.ex2", hint="the reset gate multiplies W_hn h + b_hn; h' = (1 - z) * n + z * h")
def _gru_step_inputs(rng):
    for _ in range(3):
        batch, inputs, hidden = (int(v) for v in rng.integers(1, 7, size=3))
        x, h = rng.normal(size=(batch, inputs)), rng.normal(size=(batch, hidden))
        weights = (rng.normal(size=(3 * hidden, inputs)), rng.normal(size=(3 * hidden, hidden)),
                   rng.normal(size=3 * hidden), rng.normal(size=3 * hidden))
        yield f"batch {batch}, {inputs} inputs, {hidden} hidden units", (x, h, *weights)


@hidden_cases("ch05.ex3", hint="four gates, each with input weights, recurrent weights and two bias vectors")
def _lstm_parameter_inputs(rng):
    for bidirectional in (False, True, bool(rng.integers(0, 2))):
        inputs, hidden = int(rng.integers(1, 400)), int(rng.integers(1, 400))
        yield f"input_size={inputs}, hidden_size={hidden}, bidirectional={bidirectional}", \
            (inputs, hidden, bidirectional)
