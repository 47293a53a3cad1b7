"""What one training step needs from a batch, whatever its form (chapter 3).

A loader may yield
- a tuple ``(inputs..., targets)``: one input tensor, several (``(ids, lengths, y)``), or a
  nested tuple or dict of inputs (``((ids, lengths), y)``, ``({"input_ids": ...}, y)``);
- a dict with a ``"labels"`` entry, as Hugging Face collators make: the model is called with
  every entry as a keyword, labels included.

A model returns logits, or ``(logits, loss)`` when it is given targets (makemore's contract:
its ``forward`` has a ``targets`` parameter), or an object with ``.logits`` and ``.loss``
(Hugging Face).
"""
from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from nlpcourse.metrics import IGNORE_INDEX


def to_device(batch: Any, device: Any) -> Any:
    """The batch with every tensor inside (tuples, lists, dicts, nested) moved to ``device``."""
    if hasattr(batch, "to") and hasattr(batch, "dtype"):      # a tensor
        return batch.to(device, non_blocking=True)
    if isinstance(batch, Mapping):
        return {key: to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(value, device) for value in batch) if not hasattr(batch, "_fields") \
            else type(batch)(*(to_device(value, device) for value in batch))
    return batch


def split_batch(batch: Any) -> tuple[tuple, dict, Any]:
    """``(args, kwargs, targets)``: how to call the model on this batch, and what it should predict."""
    if isinstance(batch, Mapping):
        if "labels" not in batch:
            raise ValueError(f"a dict batch needs a 'labels' entry (it has {sorted(batch)})")
        return (), dict(batch), batch["labels"]
    if not isinstance(batch, (list, tuple)) or len(batch) < 2:
        raise TypeError("a batch must be a tuple (inputs..., targets) or a dict with 'labels', "
                        f"got {type(batch).__name__}")
    *inputs, targets = batch
    if len(inputs) == 1 and isinstance(inputs[0], Mapping):
        return (), dict(inputs[0]), targets
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
        inputs = list(inputs[0])
    return tuple(inputs), {}, targets


def takes_targets(model: Any) -> bool:
    """Whether ``model.forward`` has a ``targets`` parameter (then it returns ``(logits, loss)``)."""
    try:
        return "targets" in inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return False


def forward_batch(model: Any, batch: Any, with_targets: bool) -> tuple[Any, Any, Any]:
    """Run the model on a batch: ``(logits, loss or None, targets)``."""
    args, kwargs, targets = split_batch(batch)
    if with_targets and "labels" not in kwargs:
        kwargs["targets"] = targets
    output = model(*args, **kwargs)
    if hasattr(output, "logits"):                              # a Hugging Face ModelOutput
        return output.logits, getattr(output, "loss", None), targets
    if isinstance(output, (tuple, list)):
        if len(output) != 2:
            raise ValueError(f"a model returns logits or (logits, loss), got a tuple of {len(output)}")
        return output[0], output[1], targets
    return output, None, targets


def cross_entropy(logits: Any, targets: Any, ignore_index: int = IGNORE_INDEX) -> Any:
    """Mean cross-entropy of ``(..., C)`` logits against ``(...)`` targets, padding left out."""
    import torch.nn.functional as F
    if logits.shape[:-1] != targets.shape:
        raise ValueError(f"logits of shape {tuple(logits.shape)} do not fit targets of shape {tuple(targets.shape)}:"
                         " expected (..., classes) and (...)")
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1), ignore_index=ignore_index)


def count_targets(targets: Any, ignore_index: int = IGNORE_INDEX) -> int:
    """How many targets count: all class labels, or the tokens that are not padding."""
    if targets.dtype.is_floating_point:
        return len(targets)
    return int((targets != ignore_index).sum())
