"""Chapter 9's small BERT, pretrained and fine-tuned one way for the chapter and the benchmark.

- :meth:`BertConfig.preset <nlpcourse.models.bert_mini.BertConfig.preset>` gives the profile's sizes (ALBERT's
  options as keywords), its ``recipe`` and ``classifier_recipe`` the training;
- :func:`pretrain_mlm` trains :class:`~nlpcourse.models.bert_mini.BertForMaskedLM` on the unlabelled
  reviews with :func:`nlpcourse.train.fit`, perplexity measured on held-out unlabelled reviews;
- :func:`finetune_classifier` puts a classifier on an encoder (pretrained, or fresh for the baseline)
  and trains it on the labelled train split with the same recipe either way, validation from that
  split; the test split is scored once, at the end.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any

from nlpcourse.config import RunConfig
from nlpcourse.data.pretraining import MLMLoader, PretrainingData
from nlpcourse.models.bert_mini import BertConfig
from nlpcourse.models.elmo import ELMoConfig, lm_recipe, lm_window
from nlpcourse.models.gpt_mini import GPTConfig

MLM_METRICS = ["token_accuracy", "perplexity"]


def mlm_loaders(data: PretrainingData, cfg: RunConfig, whole_word: bool = False, rows: int | None = None):
    """Training (masked afresh each epoch) and held-out (fixed masks) masked-LM loaders."""
    from nlpcourse.data.pretraining import continuation_ids
    recipe = BertConfig.recipe(cfg)
    continuation = continuation_ids(data.tokenizer) if whole_word else None
    X = data.X_pretrain if rows is None else data.X_pretrain[:rows]
    return (MLMLoader(X, data.vocab_size, recipe.batch_size, shuffle=True, seed=cfg.seed, continuation=continuation),
            MLMLoader(data.X_held_out, data.vocab_size, 64, shuffle=False, seed=cfg.seed + 1))


def pretrain_mlm(cfg: RunConfig, data: PretrainingData, whole_word: bool = False, rows: int | None = None,
                 progress: bool | None = None, **variant: Any):
    """``(model, history)``: a small BERT trained by masked language modelling on the unlabelled reviews (the
    first ``rows`` of them when given); ``history.val_perplexity`` is measured on held-out reviews."""
    import torch

    from nlpcourse.models.bert_mini import BertForMaskedLM
    from nlpcourse.train import fit
    torch.manual_seed(cfg.seed)
    model = BertForMaskedLM(BertConfig.preset(cfg, data.vocab_size, **variant))
    train_loader, held_out = mlm_loaders(data, cfg, whole_word, rows)
    recipe = BertConfig.recipe(cfg)
    history = fit(model, train_loader, held_out, cfg, recipe, metrics=MLM_METRICS, progress=progress)
    return model, history


def finetune_classifier(cfg: RunConfig, data: PretrainingData, bert=None, freeze: bool = False,
                        progress: bool | None = None, epochs: int | None = None, **variant: Any):
    """``(classifier, history)``: ``bert`` (a pretrained encoder, or ``None`` for a fresh one of the same sizes,
    seeded) with a linear head on the mean of its outputs, trained with :meth:`BertConfig.classifier_recipe`
    (``epochs`` caps its epochs); the best validation epoch is kept."""
    import torch

    from nlpcourse.models.bert_mini import BertClassifier, BertModel
    from nlpcourse.train import fit
    torch.manual_seed(cfg.seed)
    if bert is None:
        bert = BertModel(BertConfig.preset(cfg, data.vocab_size, **variant))
    model = BertClassifier(bert, num_classes=2, pooling="mean", freeze=freeze)
    recipe = BertConfig.classifier_recipe(cfg)
    train_loader, val_loader, _ = data.classifier_loaders(recipe.batch_size, cfg.seed)
    settings = {} if epochs is None else {"epochs": min(epochs, recipe.epochs)}
    history = fit(model, train_loader, val_loader, cfg, recipe, monitor="accuracy", progress=progress, **settings)
    return model, history


def test_scores(model, data: PretrainingData) -> dict[str, float]:
    """Accuracy and F1 on the test reviews (scored once, after training)."""
    from nlpcourse.train import evaluate
    return evaluate(model, data.classifier_loaders(32)[2])


@dataclasses.dataclass
class Timed:
    """A result and the seconds it took."""

    value: Any
    seconds: float


def timed(fn, *args, **kwargs) -> Timed:
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return Timed(value, time.perf_counter() - start)


# ---- language models: ELMo's biLM and GPT, on windows of the unlabelled reviews' token stream ----


def lm_windows_of(data: PretrainingData, cfg: RunConfig, windows: int | None = None):
    """``(train (N, w + 1), held_out (M, w + 1))`` token windows of the pretraining and held-out reviews."""
    from nlpcourse.data.pretraining import lm_windows
    train = lm_windows(data.X_pretrain, lm_window(cfg))
    return (train if windows is None else train[:windows]), lm_windows(data.X_held_out, lm_window(cfg))


def pretrain_bilm(cfg: RunConfig, data: PretrainingData, windows: int | None = None, progress: bool | None = None):
    """``(bilm, history)``: ELMo's forward and backward language models trained on the unlabelled reviews."""
    import torch

    from nlpcourse.data.loaders import make_loader
    from nlpcourse.models.elmo import BiLM, bilm_targets
    from nlpcourse.train import fit
    torch.manual_seed(cfg.seed)
    train, held_out = lm_windows_of(data, cfg, windows)
    recipe = lm_recipe(cfg)

    def loader(rows, shuffle):
        idx = torch.as_tensor(rows[:, :-1])
        return make_loader(idx.numpy(), bilm_targets(idx).numpy(), recipe.batch_size if shuffle else 64,
                           shuffle=shuffle, seed=cfg.seed)
    model = BiLM(ELMoConfig.preset(cfg, data.vocab_size))
    history = fit(model, loader(train, True), loader(held_out, False), cfg, recipe, progress=progress)
    return model, history


def train_elmo_classifier(cfg: RunConfig, data: PretrainingData, bilm, layers: str = "all",
                          progress: bool | None = None, epochs: int | None = None):
    """``(classifier, history)``: ELMo features (``layers="all"``) or the static layer 0 alone (``"static"``)
    of a frozen biLM, with the same classifier on top. Reviews are read without ``[CLS]``, which the
    language models never saw."""
    import torch

    from nlpcourse.data.loaders import BucketedLoader, make_loader
    from nlpcourse.models.elmo import ELMoClassifier
    from nlpcourse.train import fit
    torch.manual_seed(cfg.seed)
    model = ELMoClassifier(bilm, layers=layers)
    recipe = ELMoConfig.classifier_recipe(cfg)
    # random batches, not length buckets: the classifier standardises its features with batch statistics,
    # which batches of reviews of one length would skew (a pooled maximum grows with the length)
    train = make_loader(data.X_train[:, 1:], data.y_train, recipe.batch_size, shuffle=True, seed=cfg.seed)
    val = BucketedLoader(data.X_val[:, 1:], data.y_val, 128)
    settings = {} if epochs is None else {"epochs": min(epochs, recipe.epochs)}
    history = fit(model, train, val, cfg, recipe, monitor="accuracy", progress=progress, **settings)
    return model, history


def elmo_test_scores(model, data: PretrainingData) -> dict[str, float]:
    from nlpcourse.data.loaders import BucketedLoader
    from nlpcourse.train import evaluate
    return evaluate(model, BucketedLoader(data.X_test[:, 1:], data.y_test, 128))


def train_gpt(cfg: RunConfig, data: PretrainingData, windows: int | None = None, progress: bool | None = None):
    """``(gpt, history)``: GPT trained to predict the next token of the unlabelled reviews; the held-out
    reviews give the validation perplexity."""
    import torch

    from nlpcourse.data.loaders import make_loader
    from nlpcourse.models.gpt_mini import GPT
    from nlpcourse.train import fit
    torch.manual_seed(cfg.seed)
    train, held_out = lm_windows_of(data, cfg, windows)
    recipe = lm_recipe(cfg)
    model = GPT(GPTConfig.preset(cfg, data.vocab_size))
    history = fit(model, make_loader(train[:, :-1], train[:, 1:], recipe.batch_size, shuffle=True, seed=cfg.seed),
                  make_loader(held_out[:, :-1], held_out[:, 1:], 64), cfg, recipe, progress=progress)
    return model, history
