"""One training loop for every PyTorch model of the course: ``fit``, ``evaluate``, ``History`` (chapter 3).

The loop knows nothing about the model. A batch is a tensor tuple ``(inputs..., targets)``
or a dict with ``"labels"`` (see :mod:`nlpcourse.batches`); every course model's
``forward(*inputs, targets=None)`` returns ``(logits, loss)``, and that loss is what is
minimised. How to train comes whole in a :class:`~nlpcourse.config.TrainRecipe`. Data order
comes from the loader (see :func:`nlpcourse.data.loaders.make_loader`, seeded), dropout from
``torch.manual_seed``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from nlpcourse.batches import forward_batch, to_device
from nlpcourse.config import RunConfig, TrainRecipe
from nlpcourse.losses import count_targets, cross_entropy
from nlpcourse.metrics import Metric, make_metrics
from nlpcourse.tokens import IGNORE_INDEX
from nlpcourse.utils import eval_mode


@dataclasses.dataclass
class History:
    """Per-epoch loss and metrics of one :func:`fit` run, train and validation (chapter 3).

    ``train["loss"]``, ``val["accuracy"]``...; the usual ones also as attributes
    (``train_loss``, ``val_accuracy``); ``learning_rates`` holds one value per optimizer step.
    """

    train: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    val: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    epoch_seconds: list[float] = dataclasses.field(default_factory=list)
    learning_rates: list[float] = dataclasses.field(default_factory=list)
    monitor: str = "loss"
    higher_is_better: bool = False
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        return len(self.train.get("loss", []))

    @property
    def best_epoch(self) -> int:
        """The epoch (1-based) with the best validation ``monitor`` (lowest loss), else the last one."""
        watched = self.val.get(self.monitor)
        if not watched:
            return self.epochs
        return int(np.argmax(watched) if self.higher_is_better else np.argmin(watched)) + 1

    train_loss = property(lambda self: self.train.get("loss", []))
    train_accuracy = property(lambda self: self.train.get("accuracy", []))
    val_loss = property(lambda self: self.val.get("loss", []))
    val_accuracy = property(lambda self: self.val.get("accuracy", []))
    val_f1 = property(lambda self: self.val.get("f1", []))

    def record(self, split: str, scores: dict[str, float]) -> None:
        for name, value in scores.items():
            getattr(self, split).setdefault(name, []).append(value)

    def plot(self, title: str = "Training curves"):
        """Loss and the first metric per epoch, train and validation; returns the figure."""
        from nlpcourse.viz import plot_history
        return plot_history(self, title=title)

    def __repr__(self) -> str:
        if not self.epochs:
            return "History(epochs=0)"
        name, values = next(((k, v) for k, v in self.val.items() if k != "loss"), ("loss", self.train_loss))
        where = "val" if name != "loss" else "train"
        return f"History(epochs={self.epochs}, best_epoch={self.best_epoch}, {where}_{name}={values[-1]:.4f})"


def _default_metrics(targets) -> list[str]:
    """Accuracy and F1 for one label per example; token accuracy and perplexity for sequences."""
    return ["accuracy", "f1"] if targets.dim() <= 1 else ["token_accuracy", "perplexity"]


class _Scores:
    """Loss and metrics accumulated over the batches of one pass."""

    def __init__(self, metrics: Iterable[str | Metric] | None, ignore_index: int) -> None:
        self.requested, self.ignore_index = metrics, ignore_index
        self.metrics: list[Metric] | None = None
        self.loss_sum, self.count = 0.0, 0

    def update(self, logits, targets, loss: float) -> None:
        if self.metrics is None:
            self.metrics = make_metrics(self.requested or _default_metrics(targets), self.ignore_index)
        count = count_targets(targets, self.ignore_index)
        self.loss_sum += loss * count
        self.count += count
        for metric in self.metrics:
            metric.update(logits, targets, loss, count)

    def compute(self) -> dict[str, float]:
        scores = {"loss": self.loss_sum / self.count if self.count else float("nan")}
        return scores | {m.name: m.compute() for m in self.metrics or []}


def _device_of(model) -> Any:
    import torch
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def evaluate(model, loader, device: Any = None, loss_fn: Callable | None = None,
             metrics: Iterable[str | Metric] | None = None, ignore_index: int = IGNORE_INDEX) -> dict[str, float]:
    """Mean loss and metrics of a model on a loader, in eval mode (chapter 3): the model's own loss,
    or ``loss_fn(logits, targets)`` when given.

    Default metrics: accuracy and F1 (binary for two classes, macro otherwise) for
    classifiers; token accuracy and perplexity when the targets are sequences.
    """
    import torch
    device = _device_of(model) if device is None else torch.device(device)
    scores = _Scores(metrics, ignore_index)
    with eval_mode(model), torch.no_grad():
        for batch in loader:
            logits, loss, targets = forward_batch(model, to_device(batch, device), loss_fn)
            scores.update(logits, targets, float(loss))
    if scores.count == 0:
        raise ValueError("evaluate() got an empty loader: it needs at least one batch")
    return scores.compute()


@dataclasses.dataclass
class _Step:
    """What one optimizer step needs: the model, the optimizer and its schedule, the loss, AMP."""

    model: Any
    optimizer: Any
    scheduler: Any
    loss_fn: Callable | None
    device: Any
    clip_grad_norm: float | None
    accumulate: int
    autocast: Any
    scaler: Any


def _amp(device: Any, enabled: bool) -> tuple[Any, Any]:
    """Mixed precision on CUDA only: bfloat16 where supported, else float16 with loss scaling."""
    import torch
    if device.type != "cuda" or not enabled:
        return contextlib.nullcontext(), None
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
    return torch.autocast("cuda", dtype=dtype), scaler


def _optimizer_step(step: _Step, history: History) -> None:
    import torch
    if step.scaler is not None:   # float16: gradients were scaled up so that small ones do not underflow
        step.scaler.unscale_(step.optimizer)
    if step.clip_grad_norm:
        torch.nn.utils.clip_grad_norm_(step.model.parameters(), step.clip_grad_norm)
    history.learning_rates.append(step.optimizer.param_groups[0]["lr"])
    if step.scaler is None:
        step.optimizer.step()
    else:
        step.scaler.step(step.optimizer)
        step.scaler.update()
    step.scheduler.step()
    step.optimizer.zero_grad(set_to_none=True)


def _train_epoch(step: _Step, loader, scores: _Scores, history: History, bar) -> dict[str, float]:
    """One pass over the loader: forward, loss, backward; an optimizer step every ``accumulate`` batches."""
    import torch
    step.model.train()
    n_batches = len(loader)
    for i, batch in enumerate(bar(loader)):
        group_start = i - i % step.accumulate                   # batches of one accumulated step
        group_size = min(step.accumulate, n_batches - group_start)
        with step.autocast:
            logits, loss, targets = forward_batch(step.model, to_device(batch, step.device), step.loss_fn)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"the loss became {loss.item()}: lower the learning rate or clip gradients")
        scaled = loss / group_size                              # the mean over the accumulated batches
        (scaled if step.scaler is None else step.scaler.scale(scaled)).backward()
        if i + 1 == group_start + group_size:
            _optimizer_step(step, history)
        scores.update(logits.detach(), targets, loss.item())
    return scores.compute()


def _progress_bar(enabled: bool, desc: str) -> Callable:
    """A tqdm bar that disappears when done; none on the website, where it would be frozen.

    The bar counts the batches; it never holds the loader itself: ``tqdm.auto``'s bar calls ``iter`` on an
    iterable it is given, and every ``iter`` of a shuffling ``DataLoader`` draws from its seeded generator,
    so a wrapped loader served another order than an unwrapped one (a run with a bar differed from the
    same run without)."""
    if not enabled:
        return lambda loader: loader
    from tqdm.auto import tqdm

    def counted(loader):
        with tqdm(total=len(loader), desc=desc, leave=False, mininterval=1.0) as bar:
            for batch in loader:
                yield batch
                bar.update(1)
    return counted


def _check_fit_arguments(train_loader, val_loader, recipe: TrainRecipe, monitor: str) -> None:
    if recipe.patience is not None and val_loader is None:
        raise ValueError("early stopping (patience) needs a val_loader to watch: pass one, or patience=None")
    if monitor != "loss" and val_loader is None:
        raise ValueError(f"monitor={monitor!r} watches the validation set: pass a val_loader")
    if len(train_loader) == 0:
        raise ValueError("the train_loader is empty: check the data set and batch_size")
    if val_loader is not None and len(val_loader) == 0:
        raise ValueError("the val_loader is empty: give it at least one batch, or pass val_loader=None")


def fit_recipe(recipe: TrainRecipe | None = None, **overrides: Any) -> TrainRecipe:
    """``recipe`` (``fit``'s defaults when None) with the :attr:`TrainRecipe.FIT_FIELDS` in ``overrides``."""
    not_fit = sorted(set(overrides) - set(TrainRecipe.FIT_FIELDS))
    if not_fit:
        raise TypeError(f"fit() got unexpected keyword argument(s) {', '.join(map(repr, not_fit))}: it takes a "
                        f"recipe and may override its {', '.join(TrainRecipe.FIT_FIELDS)}")
    return (recipe or TrainRecipe()).replace(**overrides)


def fit(model, train_loader, val_loader=None, cfg: RunConfig | None = None, recipe: TrainRecipe | None = None, *,
        optimizer=None, loss_fn: Callable | None = None, metrics: Iterable[str | Metric] | None = None,
        monitor: str = "loss", restore_best: bool = True, checkpoint: str | Path | None = None, device: Any = None,
        mixed_precision: bool = True, ignore_index: int = IGNORE_INDEX, progress: bool | None = None,
        **overrides: Any) -> History:
    """Train a model as ``recipe`` says and return its :class:`History` (chapter 3).

    ``recipe`` (a :class:`~nlpcourse.config.TrainRecipe`, e.g. ``zoo.recipe(name, cfg)``) gives the
    epochs, learning rate and schedule, weight decay, accumulation, clipping and patience; any of
    them can be overridden by keyword (``fit(..., recipe, epochs=1)``); without a recipe, one epoch
    at a constant 1e-3. ``cfg`` seeds dropout.

    - ``device=None``: the best device there is (CUDA, then MPS, then CPU); the model is moved there.
    - Optimizer: AdamW(``lr``, ``weight_decay`` on matrices only), unless ``optimizer`` is given;
      the learning rate follows ``schedule`` (constant, linear or cosine decay) per optimizer step,
      after a linear ``warmup`` (steps, or a share of all steps when a float).
    - ``accumulate`` batches per optimizer step; gradients clipped to ``clip_grad_norm``.
    - The loss is the model's own (``forward(..., targets)`` returns ``(logits, loss)``), or
      ``loss_fn(logits, targets)`` when given.
    - With a ``val_loader``: validation after each epoch; ``patience`` epochs without a better
      ``monitor`` (validation loss by default) stop training; the best epoch's weights are put
      back (``restore_best``) and written to ``checkpoint`` (safetensors) when given.
    - ``progress=None``: a line per epoch, and a bar except on the website.
    """
    import torch

    from nlpcourse.checkpoint import save_weights
    from nlpcourse.optim import make_optimizer, make_scheduler
    from nlpcourse.utils import get_device, show_progress
    recipe = fit_recipe(recipe, **overrides)
    _check_fit_arguments(train_loader, val_loader, recipe, monitor)
    epochs, patience, accumulate = recipe.epochs, recipe.patience, recipe.accumulate
    if cfg is not None:
        torch.manual_seed(cfg.seed)                             # dropout and any other randomness inside the model
    device = get_device(device)
    model.to(device)
    optimizer = optimizer or make_optimizer(model, recipe.lr, recipe.weight_decay)
    total_steps = math.ceil(len(train_loader) / accumulate) * epochs
    autocast, scaler = _amp(device, mixed_precision)
    if loss_fn is None and ignore_index != IGNORE_INDEX:
        loss_fn = lambda logits, targets: cross_entropy(logits, targets, ignore_index)  # noqa: E731
    step = _Step(model, optimizer, make_scheduler(optimizer, recipe.schedule, recipe.warmup, total_steps),
                 loss_fn, device, recipe.clip_grad_norm, accumulate, autocast, scaler)
    show_bar = progress if progress is not None else show_progress()
    history, best_state, waited = History(monitor=monitor), None, 0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        train_scores = _train_epoch(step, train_loader, _Scores(metrics, ignore_index), history,
                                    _progress_bar(show_bar, f"epoch {epoch}/{epochs}"))
        history.record("train", train_scores)
        line = f"epoch {epoch}/{epochs}: train {_format(train_scores)}"
        if val_loader is not None:
            val_scores = evaluate(model, val_loader, device, loss_fn, metrics, ignore_index)
            history.higher_is_better = _higher_is_better(monitor, val_scores, metrics)
            history.record("val", val_scores)
            line += f" | val {_format(val_scores)}"
            if history.best_epoch == epoch:
                waited = 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                if checkpoint is not None:
                    save_weights(model, checkpoint)
            else:
                waited += 1
        history.epoch_seconds.append(time.perf_counter() - start)
        if progress is not False:
            print(f"{line} ({history.epoch_seconds[-1]:.1f}s)", flush=True)
        if patience is not None and waited >= patience:
            history.stopped_early = epoch < epochs
            break
    if best_state is not None and restore_best:
        model.load_state_dict(best_state)
    if checkpoint is not None and val_loader is None:
        save_weights(model, checkpoint)
    return history


def _higher_is_better(monitor: str, scores: dict[str, float], metrics) -> bool:
    """Whether a larger value of the watched score is better (loss and perplexity: no)."""
    from nlpcourse.metrics import METRICS
    if monitor not in scores:
        raise ValueError(f"monitor={monitor!r} is not among the validation scores {sorted(scores)}")
    if monitor == "loss":
        return False
    named = {m.name: m for m in metrics or [] if isinstance(m, Metric)}
    return (named.get(monitor) or METRICS[monitor]).higher_is_better


def _format(scores: dict[str, float]) -> str:
    short = {"accuracy": "acc", "token_accuracy": "token acc", "perplexity": "ppl"}
    return " ".join(f"{short.get(k, k)} {v:.4f}" for k, v in scores.items())
