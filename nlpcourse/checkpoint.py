"""Model weights to and from safetensors files, never pickle (chapter 3)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def save_weights(model: Any, path: str | Path) -> Path:
    """Write the model's weights to ``path`` (safetensors), atomically: a crash leaves the old file."""
    from safetensors.torch import save_model
    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"checkpoint path must end in .safetensors, got {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    save_model(model, str(tmp))
    os.replace(tmp, path)
    return path


def load_weights(model: Any, path: str | Path, strict: bool = True) -> Any:
    """Load weights written by :func:`save_weights` into ``model`` (on its device); returns the model."""
    from safetensors.torch import load_model
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path.resolve()}: train with fit(..., checkpoint=...) first")
    first = next(model.parameters(), None)
    device = str(first.device) if first is not None else "cpu"
    load_model(model, str(path), strict=strict, device=device)
    return model


def load_state_exactly(model: Any, state: dict[str, Any], source: str = "the checkpoint") -> Any:
    """Copy ``state`` (name -> tensor) into ``model``, or raise one ValueError that lists every
    missing name, every unexpected name and every shape mismatch: never a silent partial load
    (chapter 9). ``source`` names where the tensors came from, for the message."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(f"{name}: {tuple(state[name].shape)} in {source}, {tuple(own[name].shape)} in the model"
                    for name in set(own) & set(state) if tuple(own[name].shape) != tuple(state[name].shape))
    problems = ([f"missing from {source}: {', '.join(missing)}"] if missing else []) + \
               ([f"not in the model: {', '.join(unexpected)}"] if unexpected else []) + \
               ([f"shape mismatch: {'; '.join(shapes)}"] if shapes else [])
    if problems:
        raise ValueError(f"{source} does not match {type(model).__name__} ({len(missing)} missing, "
                         f"{len(unexpected)} unexpected, {len(shapes)} of another shape):\n  " + "\n  ".join(problems)
                         + "\nbuild the model with the checkpoint's config")
    model.load_state_dict(state, strict=True)
    return model
