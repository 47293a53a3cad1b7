"""Chapter 9's small BERT, pretrained and fine-tuned one way for the chapter and the benchmark.

- :func:`small_bert_config` gives the profile's sizes (ALBERT's options as keywords);
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
from nlpcourse.config import TrainRecipe

MLM_METRICS = ["token_accuracy", "perplexity"]


def small_bert_config(cfg: RunConfig, vocab_size: int, **variant: Any):
    """The profile's small BERT (chapter 9): quick 2 layers of 64, full 4 layers of 192 (3.4 M parameters with
    an 8,192-piece vocabulary). ``variant`` overrides fields, e.g. ALBERT's ``embedding_size=64, share_layers=True``."""
    from nlpcourse.models.bert_mini import BertConfig
    sizes = cfg.choose(quick=dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=256),
                       full=dict(hidden_size=192, num_hidden_layers=4, num_attention_heads=4, intermediate_size=768))
    return BertConfig(vocab_size=vocab_size, max_position_embeddings=cfg.choose(quick=128, full=256),
                      **(sizes | variant))


def mlm_recipe(cfg: RunConfig) -> TrainRecipe:
    """Masked-LM pretraining: AdamW with warm-up then linear decay, one pass over the unlabelled reviews."""
    return cfg.choose(
        quick=TrainRecipe(batch_size=32, epochs=1, lr=2e-3, weight_decay=0.01, schedule="linear", warmup=0.1,
                          patience=None),
        full=TrainRecipe(batch_size=32, epochs=1, lr=7e-4, weight_decay=0.01, schedule="linear", warmup=0.06,
                         patience=None))


def bert_classifier_recipe(cfg: RunConfig) -> TrainRecipe:
    """Fine-tuning on labelled reviews, the same for a pretrained and a fresh encoder."""
    return cfg.choose(
        quick=TrainRecipe(batch_size=32, epochs=5, lr=1e-3, weight_decay=0.01, schedule="linear", warmup=0.1,
                          patience=None),
        full=TrainRecipe(batch_size=32, epochs=2, lr=2e-4, weight_decay=0.01, schedule="linear", warmup=0.1,
                         patience=None))


def mlm_loaders(data: PretrainingData, cfg: RunConfig, whole_word: bool = False, rows: int | None = None):
    """Training (masked afresh each epoch) and held-out (fixed masks) masked-LM loaders."""
    from nlpcourse.data.pretraining import continuation_ids
    recipe = mlm_recipe(cfg)
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
    model = BertForMaskedLM(small_bert_config(cfg, data.vocab_size, **variant))
    train_loader, held_out = mlm_loaders(data, cfg, whole_word, rows)
    recipe = mlm_recipe(cfg)
    history = fit(model, train_loader, held_out, cfg, recipe, metrics=MLM_METRICS, progress=progress)
    return model, history


def finetune_classifier(cfg: RunConfig, data: PretrainingData, bert=None, freeze: bool = False,
                        progress: bool | None = None, epochs: int | None = None, **variant: Any):
    """``(classifier, history)``: ``bert`` (a pretrained encoder, or ``None`` for a fresh one of the same sizes,
    seeded) with a linear head on the mean of its outputs, trained with :func:`bert_classifier_recipe`
    (``epochs`` caps its epochs); the best validation epoch is kept."""
    import torch

    from nlpcourse.models.bert_mini import BertClassifier, BertModel
    from nlpcourse.train import fit
    torch.manual_seed(cfg.seed)
    if bert is None:
        bert = BertModel(small_bert_config(cfg, data.vocab_size, **variant))
    model = BertClassifier(bert, num_classes=2, pooling="mean", freeze=freeze)
    recipe = bert_classifier_recipe(cfg)
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

def lm_recipe(cfg: RunConfig) -> TrainRecipe:
    """Language-model training of the biLM and of GPT: AdamW, warm-up, linear decay, one pass."""
    return cfg.choose(
        quick=TrainRecipe(batch_size=16, epochs=1, lr=3e-3, weight_decay=0.01, schedule="linear", warmup=0.05,
                          patience=None),
        full=TrainRecipe(batch_size=32, epochs=1, lr=1e-3, weight_decay=0.01, schedule="linear", warmup=0.05,
                         patience=None))


def lm_window(cfg: RunConfig) -> int:
    """Tokens a language model reads at once."""
    return cfg.choose(quick=64, full=128)


def lm_windows_of(data: PretrainingData, cfg: RunConfig, windows: int | None = None):
    """``(train (N, w + 1), held_out (M, w + 1))`` token windows of the pretraining and held-out reviews."""
    from nlpcourse.data.pretraining import lm_windows
    train = lm_windows(data.X_pretrain, lm_window(cfg))
    return (train if windows is None else train[:windows]), lm_windows(data.X_held_out, lm_window(cfg))


def elmo_config(cfg: RunConfig, vocab_size: int):
    """The profile's biLM: quick 64-dimensional embeddings and 128 LSTM cells per direction, full 128 and 256."""
    from nlpcourse.models.elmo import ELMoConfig
    return ELMoConfig(vocab_size, **cfg.choose(quick=dict(embed_dim=64, hidden_size=128),
                                               full=dict(embed_dim=128, hidden_size=256)))


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
    model = BiLM(elmo_config(cfg, data.vocab_size))
    history = fit(model, loader(train, True), loader(held_out, False), cfg, recipe, progress=progress)
    return model, history


def elmo_recipe(cfg: RunConfig) -> TrainRecipe:
    """Training of the classifier on the frozen biLM's features (its mix and one linear layer only)."""
    return cfg.choose(quick=TrainRecipe(batch_size=32, epochs=4, lr=3e-3, schedule="linear", warmup=0.1, patience=None),
                      full=TrainRecipe(batch_size=32, epochs=2, lr=2e-3, schedule="linear", warmup=0.1, patience=None))


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
    recipe = elmo_recipe(cfg)
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


def gpt_config(cfg: RunConfig, vocab_size: int):
    """The profile's GPT: quick 2 layers of 64, full 4 layers of 192, a context of one window."""
    from nlpcourse.models.gpt_mini import GPTConfig
    sizes = cfg.choose(quick=dict(n_embd=64, n_layer=2, n_head=2), full=dict(n_embd=192, n_layer=4, n_head=4))
    return GPTConfig(vocab_size=vocab_size, n_positions=cfg.choose(quick=128, full=256), **sizes)


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
    model = GPT(gpt_config(cfg, data.vocab_size))
    history = fit(model, make_loader(train[:, :-1], train[:, 1:], recipe.batch_size, shuffle=True, seed=cfg.seed),
                  make_loader(held_out[:, :-1], held_out[:, 1:], 64), cfg, recipe, progress=progress)
    return model, history
