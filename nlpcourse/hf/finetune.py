"""Fine-tuning a pretrained Transformer on IMDB, one way for the chapter, the benchmark and the tests (chapter 10).

- :func:`finetune_recipe` gives the profile's settings (BERT's recipe: AdamW, weight decay 0.01,
  10 % warm-up then linear decay, a few epochs at a small learning rate);
- :class:`IMDBForTransformers` holds the reviews encoded with the model's own tokenizer, validation
  taken from the train split;
- :func:`finetune` trains with the course's :func:`~nlpcourse.train.fit` (dict batches, mixed
  precision on a GPU), :func:`finetune_with_trainer` the same model with the same settings
  through ``transformers.Trainer`` (what takes a run to several GPUs with ``torchrun``/``accelerate``);
- :func:`freeze_encoder` turns fine-tuning into a linear probe of the frozen encoder.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from nlpcourse.config import RunConfig
from nlpcourse.hf.data import TRUNCATIONS, ReviewBatches, check_max_length, check_tokenizer, encode_reviews


@dataclasses.dataclass(frozen=True)
class FinetuneRecipe:
    """How a pretrained encoder is fine-tuned on IMDB in one profile."""

    checkpoint: str
    max_length: int
    batch_size: int
    epochs: int
    lr: float
    truncation: str = "head+tail"
    weight_decay: float = 0.01
    warmup: float = 0.1
    eval_batch_size: int = 64
    probe_lr: float = 1e-2              # a linear probe: one layer from scratch on a frozen encoder
    train_reviews: int | None = None    # fine-tune on the first N of the training reviews given (None: all)

    def __post_init__(self) -> None:
        if self.truncation not in TRUNCATIONS:
            raise ValueError(f"truncation must be one of {', '.join(TRUNCATIONS)}, got {self.truncation!r}")
        for name in ("max_length", "batch_size", "epochs", "eval_batch_size"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {getattr(self, name)!r}")
        if self.train_reviews is not None and (not isinstance(self.train_reviews, int) or self.train_reviews < 2):
            raise ValueError(f"train_reviews must be None (all) or an integer >= 2 (validation takes a share), "
                             f"got {self.train_reviews!r}")
        if self.lr <= 0 or self.probe_lr <= 0:
            raise ValueError(f"lr and probe_lr must be > 0, got {self.lr} and {self.probe_lr}")

    def replace(self, **changes: Any) -> "FinetuneRecipe":
        return dataclasses.replace(self, **changes)


def finetune_recipe(cfg: RunConfig, checkpoint: str | None = None) -> FinetuneRecipe:
    """The profile's fine-tuning settings.

    - quick (CPU): the offline MiniLM, one epoch at 1e-4 (chosen on the validation reviews: 0.84 against
      0.79 at 5e-5) over the first 1,000 training reviews, 128 tokens (head+tail) of each. Chosen on 1,000
      held-out reviews of the train split (outside the quick subset), one run each: 2,000 reviews x 128
      tokens 0.846, 1,000 x 128 0.832, 1,200 x 96 0.813, 2,000 x 64 0.809, 1,000 x 96 0.797; 1,000 x 128
      with the embeddings and the first two layers frozen 0.799. Half the tokens of 2,000 x 128, so half
      the time, for about a point and a half;
    - full (one GPU): 512 tokens, two epochs at 2e-5, batch 16 (fits 16 GB with mixed precision
      for the base models); ``checkpoint`` defaults to DistilBERT.
    """
    return cfg.choose(
        quick=FinetuneRecipe(checkpoint=checkpoint or "minilm", max_length=128, batch_size=16, epochs=1, lr=1e-4,
                             train_reviews=1000),
        full=FinetuneRecipe(checkpoint=checkpoint or "distilbert-base-uncased", max_length=512, batch_size=16,
                            epochs=2, lr=2e-5))


@dataclasses.dataclass
class IMDBForTransformers:
    """Train (validation held out), validation and test reviews encoded with one model's tokenizer."""

    train: ReviewBatches
    val: ReviewBatches
    test: ReviewBatches
    max_length: int
    truncation: str

    @property
    def sizes(self) -> dict[str, int]:
        return {"n_train": len(self.train.y), "n_val": len(self.val.y), "n_test": len(self.test.y)}


def tokenize_imdb(model: Any, tokenizer: Any, train, test, recipe: FinetuneRecipe, seed: int = 0,
                val_share: float = 0.1, shuffle: bool = True) -> IMDBForTransformers:
    """Encode :class:`~nlpcourse.data.imdb.Reviews` for ``model``; the first ``val_share`` of the (shuffled)
    training reviews is the validation set, the test reviews are only scored. ``recipe.train_reviews``
    keeps only the first N training reviews. ``shuffle=False``: the training batches come in a fixed order
    (shortest first), to compare two training loops step by step."""
    check_tokenizer(model, tokenizer)
    check_max_length(model, recipe.max_length)
    if not 0 < val_share < 1:
        raise ValueError(f"val_share must be in (0, 1), got {val_share}")
    if recipe.train_reviews is not None and recipe.train_reviews < len(train):
        train = train.take(range(recipe.train_reviews))
    n_val = max(1, int(len(train) * val_share))
    num_labels = model.config.num_labels
    encode = lambda texts: encode_reviews(tokenizer, texts, recipe.max_length, recipe.truncation)  # noqa: E731
    train_ids, test_ids = encode(train.texts), encode(test.texts)
    pad = tokenizer.pad_token_id
    return IMDBForTransformers(
        train=ReviewBatches(train_ids[n_val:], train.labels[n_val:], pad, recipe.batch_size, shuffle=shuffle, seed=seed,
                            num_labels=num_labels),
        val=ReviewBatches(train_ids[:n_val], train.labels[:n_val], pad, recipe.eval_batch_size, num_labels=num_labels),
        test=ReviewBatches(test_ids, test.labels, pad, recipe.eval_batch_size, num_labels=num_labels),
        max_length=recipe.max_length, truncation=recipe.truncation)


def freeze_encoder(model: Any) -> Any:
    """Freeze everything but the classification head: fine-tuning becomes a linear probe of the encoder.

    The head is what ``AutoModelForSequenceClassification`` adds on top of the checkpoint: the
    modules named ``classifier``, one linear layer for BERT and ALBERT (their pooler is pretrained
    and stays frozen); DistilBERT's (``pre_classifier`` + ``classifier``) and RoBERTa's
    (``classifier.dense`` + ``classifier.out_proj``) have two layers, both trained.
    """
    head = ("classifier.", "pre_classifier.")
    for name, param in model.named_parameters():
        param.requires_grad = name.startswith(head)
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError(f"{type(model).__name__} has no parameter named classifier.*: not a sequence classifier")
    return model


def finetune(model: Any, data: IMDBForTransformers, recipe: FinetuneRecipe, cfg: RunConfig, lr: float | None = None,
             device: Any = None, progress: bool | None = None):
    """Fine-tune with the course's ``fit``: linear warm-up and decay, weight decay, mixed precision on a GPU;
    validation accuracy after each epoch (the best epoch's weights are kept)."""
    from nlpcourse.train import fit
    return fit(model, data.train, data.val, cfg, epochs=recipe.epochs, lr=lr or recipe.lr,
               weight_decay=recipe.weight_decay, schedule="linear", warmup=recipe.warmup, clip_grad_norm=1.0,
               monitor="accuracy", device=device, progress=progress)


def scores(model: Any, loader: ReviewBatches, device: Any = None) -> dict[str, float]:
    """Loss, accuracy and F1 of a classifier on encoded reviews."""
    from nlpcourse.train import evaluate
    return evaluate(model, loader, device)


class _Rows:
    """Encoded reviews as the items ``Trainer`` wants: one dict per review, padded by its collator."""

    def __init__(self, batches: ReviewBatches):
        self.batches = batches

    def __len__(self) -> int:
        return len(self.batches.y)

    def __getitem__(self, i: int) -> dict[str, Any]:
        n = int(self.batches.lengths[i])
        return {"input_ids": self.batches.X[i, :n].tolist(), "attention_mask": [1] * n,
                "labels": int(self.batches.y[i])}


def trainer_arguments(recipe: FinetuneRecipe, cfg: RunConfig, output_dir: str, steps_per_epoch: int,
                      lr: float | None = None, use_cpu: bool | None = None, shuffle: bool = True) -> Any:
    """``TrainingArguments`` with the settings :func:`finetune` uses (AdamW, the same weight decay,
    warm-up, linear decay, gradient clipping, seed; bfloat16 on a GPU that has it); ``shuffle=False``
    reads the reviews in their order."""
    import torch
    from transformers import TrainingArguments
    cuda = torch.cuda.is_available() and not use_cpu
    total = steps_per_epoch * recipe.epochs
    return TrainingArguments(
        output_dir=output_dir, learning_rate=lr or recipe.lr, per_device_train_batch_size=recipe.batch_size,
        per_device_eval_batch_size=recipe.eval_batch_size, num_train_epochs=recipe.epochs,
        weight_decay=recipe.weight_decay, lr_scheduler_type="linear", warmup_steps=round(recipe.warmup * total),
        max_grad_norm=1.0, seed=cfg.seed, data_seed=cfg.seed, bf16=cuda and torch.cuda.is_bf16_supported(),
        use_cpu=not cuda, eval_strategy="no", save_strategy="no", logging_strategy="no", report_to="none",
        disable_tqdm=True, dataloader_num_workers=0, train_sampling_strategy="random" if shuffle else "sequential")


def finetune_with_trainer(model: Any, tokenizer: Any, data: IMDBForTransformers, recipe: FinetuneRecipe,
                          cfg: RunConfig, output_dir: str | None = None, lr: float | None = None,
                          use_cpu: bool | None = None) -> dict[str, float]:
    """Fine-tune the same way through ``transformers.Trainer``; returns its training metrics
    (``train_runtime`` seconds, ``train_loss``...). Score the model afterwards with :func:`scores`.

    Batches are drawn at random unless ``data`` was encoded with ``shuffle=False``: then Trainer
    reads the reviews in order, and where they all have one length its batches are :func:`finetune`'s.
    One difference stays: over several epochs :func:`finetune` keeps the epoch with the best validation
    accuracy, Trainer (evaluating nothing here) the last one."""
    import contextlib
    import io
    import tempfile

    from transformers import DataCollatorWithPadding, Trainer

    from nlpcourse.hf.checkpoints import quiet_transformers
    with tempfile.TemporaryDirectory() as scratch, quiet_transformers():
        args = trainer_arguments(recipe, cfg, output_dir or scratch, len(data.train), lr, use_cpu,
                                 shuffle=data.train.shuffle)
        trainer = Trainer(model=model, args=args, train_dataset=_Rows(data.train),
                          data_collator=DataCollatorWithPadding(tokenizer))
        with contextlib.redirect_stdout(io.StringIO()):      # Trainer prints its final metrics dict
            result = trainer.train()
    return dict(result.metrics)

