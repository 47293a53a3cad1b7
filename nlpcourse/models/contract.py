"""The contract every course model keeps, and a wrapper that gives it to any other module (chapter 3).

``forward(*inputs, targets=None)`` returns ``(logits, loss)``, with ``loss=None`` when no targets
are given (nanoGPT's contract): one training loop, :func:`nlpcourse.train.fit`, trains them all.
"""
from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn

from nlpcourse.losses import cross_entropy


class WithLoss(nn.Module):
    """``module`` (inputs → logits) under the course's contract: ``forward(*inputs, targets=None)`` returns
    ``(module(*inputs), loss_fn(logits, targets) or None)``; the loss defaults to cross-entropy."""

    def __init__(self, module: nn.Module, loss_fn: Callable[[Tensor, Tensor], Tensor] = cross_entropy):
        super().__init__()
        self.module, self.loss_fn = module, loss_fn

    def forward(self, *inputs: Tensor, targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        logits = self.module(*inputs)
        return logits, None if targets is None else self.loss_fn(logits, targets)
