"""What one training step needs from a batch, whatever its form (chapter 3).

A loader may yield
- a tuple ``(inputs..., targets)``: one input tensor, several (``(ids, lengths, y)``), or a
  nested tuple or dict of inputs (``((ids, lengths), y)``, ``({"input_ids": ...}, y)``);
- a dict with a ``"labels"`` entry, as Hugging Face collators make: the model is called with
  every entry as a keyword, labels included, and returns a ``ModelOutput`` with ``.logits``
  and ``.loss``.

Every course model follows one contract, nanoGPT's: ``forward(*inputs, targets=None)``
returns ``(logits, loss)``, with ``loss=None`` when no targets are given. Given a ``loss_fn``,
the loop calls the model without targets and computes the loss itself.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


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
    """``(args, kwargs, targets)``: how to call the model on this batch, and what it should predict.
    Keyword inputs (a dict batch, or a dict of inputs then targets) are Hugging Face's: ``kwargs``
    then carries the targets as ``labels``."""
    if isinstance(batch, Mapping):
        if "labels" not in batch:
            raise ValueError(f"a dict batch needs a 'labels' entry (it has {sorted(batch)})")
        return (), dict(batch), batch["labels"]
    if not isinstance(batch, (list, tuple)) or len(batch) < 2:
        raise TypeError("a batch must be a tuple (inputs..., targets) or a dict with 'labels', "
                        f"got {type(batch).__name__}")
    *inputs, targets = batch
    if len(inputs) == 1 and isinstance(inputs[0], Mapping):
        return (), dict(inputs[0]) | {"labels": targets}, targets
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
        inputs = list(inputs[0])
    return tuple(inputs), {}, targets


def _logits_and_loss(model: Any, output: Any) -> tuple[Any, Any]:
    if isinstance(output, tuple) and len(output) == 2:
        return output
    raise TypeError(f"{type(model).__name__}.forward returned {type(output).__name__}: the training loop takes "
                    "models whose forward(*inputs, targets=None) returns (logits, loss), loss None without "
                    "targets (every model of nlpcourse.models does), or Hugging Face models fed dict batches")


def forward_batch(model: Any, batch: Any, loss_fn: Callable | None = None) -> tuple[Any, Any, Any]:
    """Run the model on a batch: ``(logits, loss, targets)``, the loss the model's own unless ``loss_fn``."""
    args, kwargs, targets = split_batch(batch)
    if "labels" in kwargs:                                     # Hugging Face: a ModelOutput
        output = model(**kwargs)
        if not hasattr(output, "logits"):
            raise TypeError(f"{type(model).__name__} was fed a dict batch but returned {type(output).__name__}: "
                            "dict batches are for Hugging Face models, which return an output with .logits")
        return output.logits, (output.loss if loss_fn is None else loss_fn(output.logits, targets)), targets
    if loss_fn is not None:
        logits, _ = _logits_and_loss(model, model(*args))
        return logits, loss_fn(logits, targets), targets
    try:
        output = model(*args, targets=targets)
    except TypeError as error:
        if "targets" not in str(error):
            raise
        raise TypeError(f"{type(model).__name__}.forward takes no targets: the training loop takes models whose "
                        "forward(*inputs, targets=None) returns (logits, loss); wrap a module that returns logits "
                        "in nlpcourse.models.contract.WithLoss, or pass loss_fn=") from error
    logits, loss = _logits_and_loss(model, output)
    if loss is None:
        raise ValueError(f"{type(model).__name__} returned no loss although it was given targets")
    return logits, loss, targets
