"""One training loop for every PyTorch model of the course: ``fit``, ``evaluate``, ``History`` (chapter 3).

The loop knows nothing about the model: a model maps a batch of inputs to logits, a
loader yields ``(inputs, labels)``. Data order comes from the loader (see
:func:`nlpcourse.data.loaders.make_loader`, seeded), dropout from ``torch.manual_seed``.
"""
from __future__ import annotations

import copy
import dataclasses
import time
from typing import Any

import numpy as np

from nlpcourse.config import RunConfig


@dataclasses.dataclass
class History:
    """Per-epoch losses and accuracies of one :func:`fit` run (chapter 3)."""

    train_loss: list[float] = dataclasses.field(default_factory=list)
    train_accuracy: list[float] = dataclasses.field(default_factory=list)
    val_loss: list[float] = dataclasses.field(default_factory=list)
    val_accuracy: list[float] = dataclasses.field(default_factory=list)
    val_f1: list[float] = dataclasses.field(default_factory=list)
    epoch_seconds: list[float] = dataclasses.field(default_factory=list)
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    @property
    def best_epoch(self) -> int:
        """The epoch (1-based) with the lowest validation loss, else the last one."""
        if not self.val_loss:
            return self.epochs
        return int(np.argmin(self.val_loss)) + 1

    def plot(self, title: str = "Training curves"):
        """Loss and accuracy per epoch, train and validation; returns the figure."""
        from nlpcourse.viz import plot_history
        return plot_history(self, title=title)

    def __repr__(self) -> str:
        if not self.train_loss:
            return "History(epochs=0)"
        last = f"val_accuracy={self.val_accuracy[-1]:.4f}" if self.val_accuracy else f"train_loss={self.train_loss[-1]:.4f}"
        return f"History(epochs={self.epochs}, best_epoch={self.best_epoch}, {last})"


def _amp_context(device: Any):
    """Mixed precision on CUDA only (float16 with loss scaling, or bfloat16 where supported)."""
    import contextlib

    import torch
    if device.type != "cuda":
        return contextlib.nullcontext(), None
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
    return torch.autocast("cuda", dtype=dtype), scaler


def _progress(iterable, total: int, desc: str, enabled: bool):
    if not enabled:
        return iterable
    try:
        import ipywidgets  # noqa: F401  the notebook bar needs it; the text bar does not
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm import tqdm
    return tqdm(iterable, total=total, desc=desc, leave=False, mininterval=1.0)


def evaluate(model, loader, device: Any = None, loss_fn=None) -> dict[str, float]:
    """Accuracy, F1 (class 1) and mean loss of a classifier on a loader (chapter 3)."""
    import torch

    from nlpcourse.metrics import classification_scores
    device = _device_of(model) if device is None else torch.device(device)
    loss_fn = loss_fn or torch.nn.CrossEntropyLoss()
    was_training = model.training
    model.eval()
    total_loss, count, labels, predictions = 0.0, 0, [], []
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            logits = model(inputs)
            total_loss += float(loss_fn(logits.float(), targets)) * len(targets)
            count += len(targets)
            labels.append(targets.cpu().numpy())
            predictions.append(logits.argmax(dim=-1).cpu().numpy())
    model.train(was_training)
    if count == 0:
        raise ValueError("evaluate() got an empty loader: it needs at least one batch")
    scores = classification_scores(np.concatenate(labels), np.concatenate(predictions))
    return {"accuracy": scores["accuracy"], "f1": scores["f1"], "loss": total_loss / count}


def _device_of(model) -> Any:
    import torch
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def _train_epoch(model, loader, optimizer, loss_fn, device, clip_grad_norm, amp, progress, desc):
    import torch
    autocast, scaler = amp
    model.train()
    total_loss, correct, count = 0.0, 0, 0
    for inputs, targets in _progress(loader, len(loader), desc, progress):
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad(set_to_none=True)
        with autocast:
            logits = model(inputs)
            loss = loss_fn(logits.float(), targets)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"the loss became {loss.item()}: lower the learning rate or clip gradients")
        if scaler is None:
            loss.backward()
        else:  # float16 on a GPU: scale the loss so small gradients do not underflow
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
        if clip_grad_norm:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
        if scaler is None:
            optimizer.step()
        else:
            scaler.step(optimizer)
            scaler.update()
        total_loss += loss.item() * len(targets)
        correct += int((logits.argmax(dim=-1) == targets).sum())
        count += len(targets)
    return total_loss / count, correct / count


def _check_fit_arguments(train_loader, val_loader, epochs: int, patience: int | None) -> None:
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if patience is not None and val_loader is None:
        raise ValueError("early stopping (patience) needs a val_loader to watch")
    if len(train_loader) == 0:
        raise ValueError("the train_loader is empty: check the data set and batch_size")


def _validate(model, val_loader, device, loss_fn, history: History) -> str:
    """Score the model on the validation loader, append to ``history``; returns a log fragment."""
    scores = evaluate(model, val_loader, device, loss_fn)
    history.val_loss.append(scores["loss"])
    history.val_accuracy.append(scores["accuracy"])
    history.val_f1.append(scores["f1"])
    return f" | val loss {scores['loss']:.4f} acc {scores['accuracy']:.4f}"


def fit(model, train_loader, val_loader=None, cfg: RunConfig | None = None, *, epochs: int | None = None,
        lr: float = 1e-3, optimizer=None, loss_fn=None, clip_grad_norm: float | None = 1.0,
        patience: int | None = None, device: Any = None, progress: bool = True) -> History:
    """Train a classifier that returns logits; returns its :class:`History` (chapter 3).

    ``epochs`` defaults to ``cfg.epochs``; the optimizer to Adam(``lr``); the loss to
    cross-entropy. With ``patience``, training stops once the validation loss has not
    improved for that many epochs, and the weights of the best epoch are restored.
    """
    import torch
    epochs = epochs if epochs is not None else (cfg.epochs if cfg is not None else 1)
    _check_fit_arguments(train_loader, val_loader, epochs, patience)
    if cfg is not None:
        torch.manual_seed(cfg.seed)  # dropout and any other randomness inside the model
    device = torch.device(device) if device is not None else _device_of(model)
    model.to(device)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = loss_fn or torch.nn.CrossEntropyLoss()
    amp = _amp_context(device)
    history, best_state, waited = History(), None, 0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        loss, accuracy = _train_epoch(model, train_loader, optimizer, loss_fn, device, clip_grad_norm,
                                      amp, progress, f"epoch {epoch}/{epochs}")
        history.train_loss.append(loss)
        history.train_accuracy.append(accuracy)
        line = f"epoch {epoch}/{epochs}: train loss {loss:.4f} acc {accuracy:.4f}"
        if val_loader is not None:
            line += _validate(model, val_loader, device, loss_fn, history)
            improved = history.best_epoch == epoch
            best_state = copy.deepcopy(model.state_dict()) if improved else best_state
            waited = 0 if improved else waited + 1
        history.epoch_seconds.append(time.perf_counter() - start)
        if progress:
            print(f"{line} ({history.epoch_seconds[-1]:.1f}s)")
        if patience is not None and waited >= patience:
            history.stopped_early = epoch < epochs
            break
    if patience is not None and best_state is not None:
        model.load_state_dict(best_state)
    return history
