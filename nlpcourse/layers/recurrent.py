"""Recurrent layers from scratch: the vanilla RNN, LSTM and GRU cells, unrolled over time (chapter 5).

Each cell is one time step, its gates written as in their equations, with PyTorch's weight
layout: ``weight_ih`` stacks the gates' input weights (LSTM: input, forget, cell, output;
GRU: reset, update, new), ``weight_hh`` their recurrent weights. :class:`Recurrent` unrolls a
cell over time, layer after layer, in one or both directions, with the parameter names of
``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``, so either module's weights load into the other.

Variable lengths: given each sequence's length, steps past it leave the state unchanged and
output zeros, which is what ``pack_padded_sequence`` computes. The final state is then the
state at each sequence's last real step, and the backward direction starts there.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import Tensor, nn

from nlpcourse.utils import check_int

MODES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}   # mode: number of gates stacked in the weights


def rnn_cell(x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor, bias_hh: Tensor,
             nonlinearity: str = "tanh") -> Tensor:
    """One step of an Elman RNN: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``, as ``nn.RNNCell``."""
    return rnn_step(x @ weight_ih.T + bias_ih, h, weight_hh, bias_hh, nonlinearity)


def lstm_cell(x: Tensor, state: tuple[Tensor, Tensor], weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor,
              bias_hh: Tensor) -> tuple[Tensor, Tensor]:
    """One LSTM step (Hochreiter & Schmidhuber 1997, with a forget gate), as ``nn.LSTMCell``: ``(h', c')``."""
    return lstm_step(x @ weight_ih.T + bias_ih, state, weight_hh, bias_hh)


def gru_cell(x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor, bias_hh: Tensor) -> Tensor:
    """One GRU step (Cho et al. 2014), as ``nn.GRUCell`` (Keras' ``reset_after=True``)."""
    return gru_step(x @ weight_ih.T + bias_ih, h, weight_hh, bias_hh)


# The steps below take the input's share of the gates, ``W_ih x + b_ih``, already computed: it does
# not depend on the state, so Recurrent computes it for every time step in one matrix product.

def rnn_step(gi: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor, nonlinearity: str = "tanh") -> Tensor:
    pre = gi + h @ weight_hh.T + bias_hh
    return torch.tanh(pre) if nonlinearity == "tanh" else torch.relu(pre)


def lstm_step(gi: Tensor, state: tuple[Tensor, Tensor], weight_hh: Tensor, bias_hh: Tensor) -> tuple[Tensor, Tensor]:
    h, c = state
    gates = gi + h @ weight_hh.T + bias_hh     # (B, 4H): the pre-activations of the four gates
    i, f, g, o = gates.chunk(4, dim=-1)        # each (B, H)
    i = torch.sigmoid(i)            # input gate:  how much of the candidate to write
    f = torch.sigmoid(f)            # forget gate: how much of the old cell to keep
    g = torch.tanh(g)               # candidate cell values
    o = torch.sigmoid(o)            # output gate: how much of the cell to show
    c = f * c + i * g               # the cell: an additive memory, the gradient's highway
    h = o * torch.tanh(c)
    return h, c


def gru_step(gi: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor) -> Tensor:
    gh = h @ weight_hh.T + bias_hh             # (B, 3H)
    i_r, i_z, i_n = gi.chunk(3, dim=-1)
    h_r, h_z, h_n = gh.chunk(3, dim=-1)
    r = torch.sigmoid(i_r + h_r)    # reset gate:  how much of the old state the candidate sees
    z = torch.sigmoid(i_z + h_z)    # update gate: how much of the old state to keep
    n = torch.tanh(i_n + r * h_n)   # candidate state
    return (1 - z) * n + z * h


class Recurrent(nn.Module):
    """A multi-layer, optionally bidirectional RNN, LSTM or GRU, written with the cells above (chapter 5).

    Same constructor, parameter names and outputs as ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``
    (``bias=True``): ``forward(x, state=None, lengths=None)`` returns ``(output, h_n)``, or
    ``(output, (h_n, c_n))`` for an LSTM. ``lengths`` makes it behave as on a packed sequence.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, batch_first: bool = True, dropout: float = 0.0):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.mode = mode
        self.input_size = check_int("input_size", input_size, minimum=1)
        self.hidden_size = check_int("hidden_size", hidden_size, minimum=1)
        self.num_layers = check_int("num_layers", num_layers, minimum=1)
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.bidirectional, self.batch_first, self.dropout = bool(bidirectional), bool(batch_first), dropout
        self.num_directions = 2 if bidirectional else 1
        gates, H = MODES[mode], hidden_size
        bound = 1 / hidden_size ** 0.5          # PyTorch's default initialisation: U(-1/sqrt(H), 1/sqrt(H))
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else H * self.num_directions
            for suffix in self._suffixes():
                shapes = {"weight_ih": (gates * H, layer_input), "weight_hh": (gates * H, H),
                          "bias_ih": (gates * H,), "bias_hh": (gates * H,)}
                for kind, shape in shapes.items():
                    self.register_parameter(f"{kind}_l{layer}{suffix}",
                                            nn.Parameter(torch.empty(shape).uniform_(-bound, bound)))

    def _suffixes(self) -> list[str]:
        return ["", "_reverse"][:self.num_directions]

    def weights(self, layer: int, suffix: str = "") -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """``(weight_ih, weight_hh, bias_ih, bias_hh)`` of one layer and direction."""
        return tuple(getattr(self, f"{kind}_l{layer}{suffix}") for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    @torch.no_grad()
    def copy_weights_from(self, source: nn.Module | Mapping[str, Tensor]) -> "Recurrent":
        """Load the weights of an ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (or a state dict with its names), checked."""
        weights = source.state_dict() if isinstance(source, nn.Module) else dict(source)
        for name, parameter in self.named_parameters():
            if name not in weights:
                raise ValueError(f"weights has no {name!r}: copy from a module with the same mode, "
                                 f"num_layers and bidirectional setting")
            value = torch.as_tensor(weights[name])
            if tuple(value.shape) != tuple(parameter.shape):
                raise ValueError(f"weights[{name!r}] has shape {tuple(value.shape)}, expected "
                                 f"{tuple(parameter.shape)} ({self.mode}, input_size={self.input_size}, "
                                 f"hidden_size={self.hidden_size})")
            parameter.copy_(value)
        return self

    def forward(self, x: Tensor, state: Tensor | tuple[Tensor, Tensor] | None = None,
                lengths: Tensor | None = None):
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"x must have shape (batch, time, {self.input_size}) (batch_first) or "
                             f"(time, batch, {self.input_size}), got {tuple(x.shape)}")
        if not self.batch_first:
            x = x.transpose(0, 1)
        batch, steps, _ = x.shape
        lengths = check_lengths(lengths, batch, steps, x.device)
        L, D, H = self.num_layers, self.num_directions, self.hidden_size
        h0, c0 = self._initial_state(state, batch, x)
        finals_h, finals_c = [], []
        for layer in range(L):
            outputs = []
            for d, suffix in enumerate(self._suffixes()):
                k = layer * D + d
                out, (h, c) = self._run_direction(x, h0[k], c0[k], self.weights(layer, suffix), lengths,
                                                  reverse=d == 1)
                outputs.append(out)
                finals_h.append(h)
                finals_c.append(c)
            x = torch.cat(outputs, dim=-1)                                         # (B, T, D * H)
            if self.dropout and self.training and layer < L - 1:
                x = nn.functional.dropout(x, self.dropout, training=True)
        output = x if self.batch_first else x.transpose(0, 1)
        h_n = torch.stack(finals_h)                                                # (L * D, B, H)
        if self.mode == "lstm":
            return output, (h_n, torch.stack(finals_c))
        return output, h_n

    def _initial_state(self, state, batch: int, x: Tensor) -> tuple[Tensor, Tensor]:
        shape = (self.num_layers * self.num_directions, batch, self.hidden_size)
        zeros = x.new_zeros(shape)
        if state is None:
            return zeros, zeros
        lstm = self.mode == "lstm"
        expected = "a tuple (h_0, c_0) of two tensors" if lstm else "one tensor h_0"
        well_formed = (isinstance(state, tuple) and len(state) == 2 and all(isinstance(t, Tensor) for t in state)
                       if lstm else isinstance(state, Tensor))
        if not well_formed:
            got = (f"a tuple of {len(state)}" if isinstance(state, tuple) else
                   f"a tensor of shape {tuple(state.shape)}" if isinstance(state, Tensor) else type(state).__name__)
            layer = {"lstm": "an LSTM", "gru": "a GRU"}.get(self.mode, "an RNN")
            raise ValueError(f"state of {layer} must be {expected}, each of "
                             f"shape {shape} (layers * directions, batch, hidden_size), got {got}")
        h0, c0 = state if lstm else (state, zeros)
        for name, value in (("state h_0", h0), ("state c_0", c0)):
            if tuple(value.shape) != shape:
                raise ValueError(f"{name} must have shape {shape} (layers * directions, batch, hidden_size), "
                                 f"got {tuple(value.shape)}")
        return h0, c0

    def _run_direction(self, x: Tensor, h: Tensor, c: Tensor, weights, lengths: Tensor | None,
                       reverse: bool) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        weight_ih, weight_hh, bias_ih, bias_hh = weights
        steps = x.shape[1]
        projected = x @ weight_ih.T + bias_ih                # (B, T, G * H): the input's share, all steps at once
        outputs = [None] * steps
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            gi = projected[:, t]
            if self.mode == "lstm":
                h_new, c_new = lstm_step(gi, (h, c), weight_hh, bias_hh)
            elif self.mode == "gru":
                h_new, c_new = gru_step(gi, h, weight_hh, bias_hh), c
            else:
                h_new, c_new = rnn_step(gi, h, weight_hh, bias_hh, self.mode.removeprefix("rnn_")), c
            if lengths is None:
                h, c, outputs[t] = h_new, c_new, h_new
            else:  # past a sequence's end: keep its state, output zeros (as on a packed sequence)
                real = (t < lengths).unsqueeze(1)            # (B, 1)
                h, c = torch.where(real, h_new, h), torch.where(real, c_new, c)
                outputs[t] = torch.where(real, h_new, torch.zeros_like(h_new))
        return torch.stack(outputs, dim=1), (h, c)


def check_lengths(lengths, batch: int, steps: int, device=None) -> Tensor | None:
    """``lengths`` as a 1-D int64 tensor, or a ValueError: one length per sequence, each in [1, steps]."""
    if lengths is None:
        return None
    lengths = torch.as_tensor(lengths, device=device)
    if lengths.dim() != 1 or lengths.shape[0] != batch:
        raise ValueError(f"lengths must hold one length per sequence ({batch}), got shape {tuple(lengths.shape)}")
    if lengths.dtype.is_floating_point:
        raise ValueError("lengths must be whole numbers (an integer tensor or array)")
    lengths = lengths.long()
    if batch and int(lengths.min()) < 1:
        raise ValueError(f"lengths: sequence {int(lengths.argmin())} has length {int(lengths.min())}; every sequence "
                         f"needs at least one step (drop empty sequences, or give them one padding token)")
    if batch and int(lengths.max()) > steps:
        raise ValueError(f"lengths: sequence {int(lengths.argmax())} has length {int(lengths.max())}, longer than "
                         f"the padded batch ({steps} steps); lengths count real tokens, at most the padded length")
    return lengths


def LSTM(input_size: int, hidden_size: int, **kwargs) -> Recurrent:
    """A scratch LSTM with ``nn.LSTM``'s arguments and parameter names."""
    return Recurrent("lstm", input_size, hidden_size, **kwargs)


def GRU(input_size: int, hidden_size: int, **kwargs) -> Recurrent:
    """A scratch GRU with ``nn.GRU``'s arguments and parameter names."""
    return Recurrent("gru", input_size, hidden_size, **kwargs)


def RNN(input_size: int, hidden_size: int, nonlinearity: str = "tanh", **kwargs) -> Recurrent:
    """A scratch Elman RNN with ``nn.RNN``'s arguments and parameter names."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return Recurrent(f"rnn_{nonlinearity}", input_size, hidden_size, **kwargs)


def keras_lstm_weights(weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor, bias_hh: Tensor) -> list[np.ndarray]:
    """PyTorch LSTM weights as Keras ``LSTM.set_weights`` takes them: ``[kernel, recurrent_kernel, bias]``.

    Both order the gates input, forget, cell, output; Keras stores matrices transposed and has
    one bias, the sum of PyTorch's two (only the sum ever matters).
    """
    return [_numpy(weight_ih).T, _numpy(weight_hh).T, _numpy(bias_ih) + _numpy(bias_hh)]


def keras_gru_weights(weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor, bias_hh: Tensor) -> list[np.ndarray]:
    """PyTorch GRU weights for Keras ``GRU(reset_after=True)``: ``[kernel, recurrent_kernel, bias (2, 3H)]``.

    PyTorch stacks the gates reset, update, new; Keras update, reset, new: the blocks are reordered.
    """
    def reorder(w: np.ndarray) -> np.ndarray:
        r, z, n = np.split(w, 3, axis=0)
        return np.concatenate([z, r, n], axis=0)
    return [reorder(_numpy(weight_ih)).T, reorder(_numpy(weight_hh)).T,
            np.stack([reorder(_numpy(bias_ih)), reorder(_numpy(bias_hh))])]


def _numpy(t: Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()
