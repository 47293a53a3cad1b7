"""The one training loop: it learns classifiers and language models, takes any batch form, repeats
exactly when seeded, follows its schedule, accumulates exactly, stops early, saves checkpoints."""
from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from nlpcourse.config import get_config  # noqa: E402
from nlpcourse.data.loaders import encode_texts, make_loader  # noqa: E402
from nlpcourse.models.contract import WithLoss  # noqa: E402
from nlpcourse.text import Vocab  # noqa: E402
from nlpcourse.train import History, evaluate, fit  # noqa: E402

CFG = get_config("quick", seed=0)


def _data(n=96, d=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    return X, y


def _model(d=10, seed=0, classes=2):
    torch.manual_seed(seed)
    return WithLoss(nn.Sequential(nn.Linear(d, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, classes)))


def test_overfits_one_batch():
    X, y = _data(n=16)
    loader = make_loader(X, y, batch_size=16)
    history = fit(_model(), loader, None, CFG, epochs=150, lr=1e-2, progress=False)
    assert history.train_loss[-1] < 0.05 < history.train_loss[0]
    assert history.train_accuracy[-1] == 1.0


def test_a_three_class_classifier_learns_and_is_scored_with_macro_f1():
    from sklearn.metrics import f1_score
    rng = np.random.default_rng(1)
    centres = np.array([[3, 0], [-3, 0], [0, 3]], dtype=np.float32)
    y = rng.integers(0, 3, size=600)
    X = (centres[y] + rng.normal(size=(600, 2))).astype(np.float32)
    train, val = make_loader(X[:450], y[:450], 32, shuffle=True), make_loader(X[450:], y[450:], 64)
    model = _model(d=2, classes=3)
    history = fit(model, train, val, CFG, epochs=15, lr=1e-2, progress=False)
    scores = evaluate(model, val, metrics=["accuracy", "f1", "macro_f1"])
    with torch.no_grad():
        predicted = model.eval()(torch.as_tensor(X[450:]))[0].argmax(1).numpy()
    assert scores["accuracy"] >= 0.9 and history.val_accuracy[0] < history.val_accuracy[-1] + 1e-9
    assert scores["f1"] == scores["macro_f1"] == pytest.approx(f1_score(y[450:], predicted, average="macro"))


class BigramLM(nn.Module):
    """A language model with makemore's contract: ``forward(idx, targets=None) -> (logits, loss)``."""

    def __init__(self, vocab_size: int):
        super().__init__()
        self.table = nn.Embedding(vocab_size, vocab_size)
        self.calls_with_targets = 0

    def forward(self, idx, targets=None):
        logits = self.table(idx)                                            # (B, T, V)
        if targets is None:
            return logits
        self.calls_with_targets += 1
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-100)
        return logits, loss


def _counting_sequences(n, vocab_size=12, length=9, seed=0):
    """Each token is the previous one plus 1 (mod V); the last 3 targets of odd rows are padding."""
    start = np.random.default_rng(seed).integers(0, vocab_size, size=(n, 1))
    seq = (start + np.arange(length + 1)) % vocab_size
    idx, targets = seq[:, :-1].copy(), seq[:, 1:].copy()
    targets[1::2, -3:] = -100
    return torch.as_tensor(idx), torch.as_tensor(targets)


def test_a_language_model_returning_its_loss_learns():
    idx, targets = _counting_sequences(256)
    val_idx, val_targets = _counting_sequences(64, seed=1)
    loader = DataLoader(TensorDataset(idx, targets), batch_size=32, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    val = DataLoader(TensorDataset(val_idx, val_targets), batch_size=32)
    torch.manual_seed(0)
    model = BigramLM(12)
    before = evaluate(model, val)
    history = fit(model, loader, val, CFG, epochs=30, lr=0.1, progress=False)
    after = evaluate(model, val)
    assert model.calls_with_targets == 2 + 30 * (8 + 2) + 2, "fit and evaluate use the model's own loss"
    assert set(after) == {"loss", "token_accuracy", "perplexity"}
    assert before["perplexity"] > 8 and after["perplexity"] < 1.3 and after["token_accuracy"] == 1.0
    assert history.val["perplexity"][-1] == pytest.approx(math.exp(history.val_loss[-1]))
    with torch.no_grad():   # the loss is the mean over the tokens that count, padding left out
        logits = model(val_idx)
        mask = val_targets != -100
        reference = nn.functional.cross_entropy(logits[mask], val_targets[mask])
    assert after["loss"] == pytest.approx(reference.item(), rel=1e-5)


class PackedLSTM(nn.Module):
    """Classifies ``(ids, lengths)`` batches from the LSTM state at each sequence's last real token."""

    def __init__(self, vocab_size=10, hidden=16):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, 8, padding_idx=0)
        self.lstm = nn.LSTM(8, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 2)

    def forward(self, ids, lengths, targets=None):
        packed = nn.utils.rnn.pack_padded_sequence(self.embed(ids), lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        _, (h, _) = self.lstm(packed)
        logits = self.out(h[-1])
        return logits, None if targets is None else nn.functional.cross_entropy(logits, targets)


def _length_task(n, seed=0):
    """Label 1 when a sequence is longer than 5 real tokens: only the lengths can tell."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 11, size=n)
    ids = np.zeros((n, 10), dtype=np.int64)
    for row, length in enumerate(lengths):
        ids[row, :length] = rng.integers(1, 10, size=length)
    return torch.as_tensor(ids), torch.as_tensor(lengths), torch.as_tensor((lengths > 5).astype(np.int64))


def test_ids_and_lengths_batches_train_a_packed_lstm():
    ids, lengths, y = _length_task(512)
    loader = DataLoader(TensorDataset(ids, lengths, y), batch_size=32, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    val = DataLoader(TensorDataset(*_length_task(128, seed=1)), batch_size=64)
    torch.manual_seed(0)
    model = PackedLSTM()
    fit(model, loader, val, CFG, epochs=12, lr=1e-2, progress=False)
    assert evaluate(model, val)["accuracy"] >= 0.95
    nested = [((ids[:8], lengths[:8]), y[:8])]   # ((ids, lengths), y) is read the same way
    assert evaluate(model, nested)["accuracy"] == evaluate(model, [(ids[:8], lengths[:8], y[:8])])["accuracy"]


def test_dict_batches_train_a_hugging_face_model():
    transformers = pytest.importorskip("transformers")
    config = transformers.BertConfig(vocab_size=20, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=32, max_position_embeddings=16, num_labels=2)
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config)
    rng = np.random.default_rng(0)
    ids = torch.as_tensor(rng.integers(3, 20, size=(256, 6)))
    labels = (ids[:, 0] >= 12).long()                              # the first token decides
    batches = [{"input_ids": ids[i:i + 32], "attention_mask": torch.ones_like(ids[i:i + 32]),
                "labels": labels[i:i + 32]} for i in range(0, 192, 32)]
    val = [{"input_ids": ids[192:], "attention_mask": torch.ones_like(ids[192:]), "labels": labels[192:]}]
    fit(model, batches, val, CFG, epochs=15, lr=3e-3, progress=False)
    assert evaluate(model, val)["accuracy"] >= 0.9
    inputs_then_labels = [({"input_ids": ids[192:], "attention_mask": torch.ones_like(ids[192:])}, labels[192:])]
    assert evaluate(model, inputs_then_labels)["accuracy"] == evaluate(model, val)["accuracy"]


@pytest.mark.parametrize("schedule", ["constant", "linear", "cosine"])
def test_the_schedule_gives_the_hand_computed_rates(schedule):
    X, y = _data(n=40)
    loader = make_loader(X, y, batch_size=4)            # 10 batches, 5 optimizer steps per epoch
    history = fit(_model(), loader, None, CFG, epochs=2, lr=0.5, schedule=schedule, warmup=3, accumulate=2,
                  progress=False)
    total, warm = 10, 3
    expected = []
    for step in range(total):
        if step < warm:
            expected.append(0.5 * step / warm)
        elif schedule == "constant":
            expected.append(0.5)
        elif schedule == "linear":
            expected.append(0.5 * (total - step) / (total - warm))
        else:
            expected.append(0.5 * 0.5 * (1 + math.cos(math.pi * (step - warm) / (total - warm))))
    assert history.learning_rates == pytest.approx(expected, abs=1e-12)


def test_the_schedules_equal_hugging_face_ones():
    transformers = pytest.importorskip("transformers")
    from nlpcourse.optim import lr_factor
    makers = {"constant": transformers.get_constant_schedule_with_warmup,
              "linear": transformers.get_linear_schedule_with_warmup,
              "cosine": transformers.get_cosine_schedule_with_warmup}
    for name, make in makers.items():
        optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
        scheduler = make(optimizer, 7) if name == "constant" else make(optimizer, 7, 50)
        theirs = []
        for _ in range(50):
            theirs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        assert [lr_factor(s, name, 7, 50) for s in range(50)] == pytest.approx(theirs, abs=1e-12), name


def test_a_warmup_share_and_bad_schedules_are_explained():
    from nlpcourse.optim import warmup_steps_of
    assert warmup_steps_of(0.1, 200) == 20 and warmup_steps_of(20, 200) == 20
    X, y = _data(n=8)
    with pytest.raises(ValueError, match="schedule"):
        fit(_model(), make_loader(X, y, 4), schedule="step", progress=False)
    with pytest.raises(ValueError, match="warmup"):
        fit(_model(), make_loader(X, y, 4), warmup=1.5, progress=False)


def test_accumulating_four_batches_of_8_gives_the_gradient_of_one_batch_of_32():
    X, y = _data(n=32)

    def one_step(batch_size, accumulate):
        model = _model().double()
        optimizer = torch.optim.SGD(model.parameters(), lr=1.0)   # new weights = old - gradient
        before = [p.detach().clone() for p in model.parameters()]
        loader = [(torch.as_tensor(X[i:i + batch_size]).double(), torch.as_tensor(y[i:i + batch_size]))
                  for i in range(0, 32, batch_size)]
        model.module[2].p = 0.0                                           # no dropout: the same function twice
        fit(model, loader, None, None, epochs=1, optimizer=optimizer, accumulate=accumulate, clip_grad_norm=None,
            progress=False)
        return [b - p.detach() for b, p in zip(before, model.parameters())]

    whole, accumulated = one_step(32, 1), one_step(8, 4)
    assert all(torch.allclose(a, b, rtol=1e-12, atol=1e-14) for a, b in zip(whole, accumulated))
    assert not all(torch.allclose(a, b) for a, b in zip(whole, one_step(8, 1))), "four steps differ from one"


def test_fit_moves_a_cpu_model_to_the_best_device(monkeypatch):
    import nlpcourse.utils
    X, y = _data(n=8)
    chosen, moved = [], []
    real_get_device = nlpcourse.utils.get_device
    monkeypatch.setattr(nlpcourse.utils, "get_device", lambda prefer=None: chosen.append(prefer) or real_get_device(prefer))
    model = _model()
    real_to = model.to
    monkeypatch.setattr(model, "to", lambda device: moved.append(device) or real_to(device))
    fit(model, make_loader(X, y, 4), None, CFG, epochs=1, progress=False)
    assert chosen == [None], "device=None asks for the best device"
    assert moved == [real_get_device()], "and the model is moved there"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_cuda_the_model_moves_and_mixed_precision_learns():
    X, y = _data(n=256)
    model = _model()
    history = fit(model, make_loader(X, y, 32, shuffle=True), make_loader(X, y, 64), CFG, epochs=20, lr=1e-2,
                  progress=False)
    assert next(model.parameters()).device.type == "cuda"
    assert history.val_accuracy[-1] >= 0.9
    assert evaluate(model, make_loader(X, y, 64))["accuracy"] >= 0.9


def test_weight_decay_spares_biases_and_norms():
    from nlpcourse.optim import make_optimizer
    model = nn.Sequential(nn.Embedding(5, 4), nn.LayerNorm(4), nn.Linear(4, 2))
    optimizer = make_optimizer(model, lr=1e-3, weight_decay=0.1)
    decayed = {id(p) for g in optimizer.param_groups if g["weight_decay"] > 0 for p in g["params"]}
    assert decayed == {id(model[0].weight), id(model[2].weight)}
    with pytest.raises(ValueError, match="weight_decay"):
        make_optimizer(model, weight_decay=-1)


def test_seeded_run_repeats_exactly_on_cpu():
    X, y = _data()
    runs = []
    for _ in range(2):
        model = _model()
        train = make_loader(X, y, batch_size=8, shuffle=True, seed=3)
        val = make_loader(X[:32], y[:32], batch_size=16)
        history = fit(model, train, val, CFG, epochs=3, weight_decay=0.01, schedule="cosine", warmup=0.1,
                      progress=False)
        runs.append((history.train_loss, history.val_loss, [p.detach().clone() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][2], runs[1][2]))
    other = fit(_model(), make_loader(X, y, batch_size=8, shuffle=True, seed=4), None, CFG, epochs=3, progress=False)
    assert other.train_loss != runs[0][0], "another data order gives another run"


def test_a_progress_bar_changes_nothing_of_the_run(capsys):
    """A bar that held the loader called ``iter`` on it once more than the loop, so a shuffling loader's seeded
    generator served another order: the same run gave other figures with a bar than without."""
    X, y = _data()
    runs = {}
    for progress in (False, True):
        model = _model()
        history = fit(model, make_loader(X, y, batch_size=8, shuffle=True, seed=3),
                      make_loader(X[:32], y[:32], batch_size=16), CFG, epochs=2, progress=progress)
        runs[progress] = (history.train_loss, history.val_loss, [p.detach().clone() for p in model.parameters()])
    assert runs[True][:2] == runs[False][:2]
    assert all(torch.equal(a, b) for a, b in zip(runs[True][2], runs[False][2]))


def test_early_stopping_restores_the_best_weights_and_checkpoints_them(tmp_path):
    from nlpcourse.checkpoint import load_weights
    X, y = _data(n=64)
    X_val, y_val = X[:32], 1 - y[:32]   # validation labels flipped: val loss rises as the model learns
    model = _model()
    history = fit(model, make_loader(X, y, 16, shuffle=True), make_loader(X_val, y_val, 32), CFG,
                  epochs=30, lr=1e-2, patience=2, checkpoint=tmp_path / "best.safetensors", progress=False)
    assert history.stopped_early and history.epochs < 30
    assert history.epochs - history.best_epoch == 2
    restored = evaluate(model, make_loader(X_val, y_val, 32))["loss"]
    assert restored == pytest.approx(min(history.val_loss), rel=1e-6)
    fresh = load_weights(_model(seed=5), tmp_path / "best.safetensors")
    assert all(torch.equal(a, b) for a, b in zip(fresh.state_dict().values(), model.state_dict().values()))
    with pytest.raises(FileNotFoundError, match="checkpoint"):
        load_weights(_model(), tmp_path / "missing.safetensors")


def test_monitoring_a_metric_keeps_the_epoch_with_the_highest_value():
    X, y = _data(n=64)
    history = fit(_model(), make_loader(X, y, 16, shuffle=True), make_loader(X[:32], y[:32], 32), CFG, epochs=4,
                  monitor="accuracy", progress=False)
    assert history.best_epoch == int(np.argmax(history.val_accuracy)) + 1 and history.higher_is_better
    with pytest.raises(ValueError, match="monitor"):
        fit(_model(), make_loader(X, y, 16), make_loader(X, y, 16), CFG, monitor="bleu", progress=False)


def test_evaluate_equals_sklearn():
    from sklearn.metrics import accuracy_score, f1_score, log_loss
    X, y = _data(n=50, seed=5)
    model = _model()
    scores = evaluate(model, make_loader(X, y, batch_size=7))
    with torch.no_grad():
        logits, _ = model.eval()(torch.as_tensor(X))
    probs = torch.softmax(logits, dim=1).numpy()
    assert scores["accuracy"] == accuracy_score(y, probs.argmax(1))
    assert scores["f1"] == f1_score(y, probs.argmax(1))
    assert scores["loss"] == pytest.approx(log_loss(y, probs), rel=1e-5)


def test_history_plot_and_best_epoch():
    import matplotlib
    matplotlib.use("Agg")
    history = History(train={"loss": [1.0, 0.8, 0.7], "accuracy": [0.5, 0.6, 0.7]},
                      val={"loss": [0.9, 0.7, 0.75], "accuracy": [0.5, 0.65, 0.6]}, epoch_seconds=[1, 1, 1])
    assert history.best_epoch == 2 and history.epochs == 3 and history.val_accuracy == [0.5, 0.65, 0.6]
    assert "best_epoch=2" in repr(history) and repr(History()) == "History(epochs=0)"
    fig = history.plot()
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 2


def test_bad_input_is_explained():
    X, y = _data(n=8)
    loader = make_loader(X, y, 4)
    with pytest.raises(ValueError, match="val_loader"):
        fit(_model(), loader, None, CFG, patience=1, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        fit(_model(), loader, None, CFG, epochs=0, progress=False)
    with pytest.raises(ValueError, match="accumulate"):
        fit(_model(), loader, None, CFG, accumulate=0, progress=False)
    with pytest.raises(ValueError, match="val_loader is empty"):      # before a whole epoch of training
        fit(_model(), loader, make_loader(X[:0], y[:0], 4), CFG, progress=False)
    with pytest.raises(ValueError, match="rows"):
        make_loader(X, y[:3])
    with pytest.raises(ValueError, match="empty"):
        evaluate(_model(), make_loader(X[:0], y[:0], 4))
    with pytest.raises(ValueError, match="labels"):
        evaluate(_model(), [{"x": torch.zeros(2, 10)}])
    with pytest.raises(ValueError, match="unknown metric"):
        evaluate(_model(), loader, metrics=["bleu"])
    with pytest.raises(ValueError, match="do not fit targets"):
        evaluate(_model(), [(torch.zeros(2, 10), torch.zeros(2, 3, dtype=torch.long))])


def test_encode_texts_pads_and_maps_unknown_words():
    vocab = Vocab([["good", "movie"], ["bad", "movie"]])
    X = encode_texts(["A good movie!", "Bad <br /> bad, unseen words here"], vocab, max_len=4)
    assert X.shape == (2, 4) and X.dtype == np.int64
    assert X[0, :3].tolist() == [vocab.unk_index, vocab["good"], vocab["movie"]] and X[0, 3] == vocab.pad_index
    with pytest.raises(TypeError, match="list of texts"):
        encode_texts("one string", vocab, 4)


def test_a_model_outside_the_contract_is_told_how_to_join_it():
    """The loop takes (logits, loss) from forward(..., targets); it never guesses what a model returned."""
    X, y = _data(n=16)
    loader = make_loader(X, y, batch_size=8)
    bare = nn.Sequential(nn.Linear(10, 2))
    with pytest.raises(TypeError, match="takes no targets.*WithLoss"):
        fit(bare, loader, progress=False)

    class LogitsOnly(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(10, 2)

        def forward(self, x, targets=None):
            return self.linear(x)
    with pytest.raises(TypeError, match="returned Tensor.*returns \\(logits, loss\\)"):
        evaluate(LogitsOnly(), loader)

    class ForgetsTheLoss(LogitsOnly):
        def forward(self, x, targets=None):
            return self.linear(x), None
    with pytest.raises(ValueError, match="returned no loss although it was given targets"):
        fit(ForgetsTheLoss(), loader, progress=False)
    # with a loss_fn, the model is called without targets and the loop computes the loss
    scores = evaluate(ForgetsTheLoss(), loader, loss_fn=nn.functional.cross_entropy)
    assert np.isfinite(scores["loss"])


def test_fit_takes_a_recipe_whole_and_overrides_by_name():
    from nlpcourse.config import TrainRecipe
    X, y = _data(n=32)
    loader = make_loader(X, y, batch_size=8)
    recipe = TrainRecipe(epochs=3, lr=1e-2, schedule="linear", warmup=2)
    assert fit(_model(), loader, None, CFG, recipe, progress=False).epochs == 3
    assert fit(_model(), loader, None, CFG, recipe, epochs=1, progress=False).epochs == 1
    with pytest.raises(TypeError, match="'max_epochs'.*may override its epochs, lr"):
        fit(_model(), loader, None, CFG, recipe, max_epochs=1)
    with pytest.raises(TypeError, match="'batch_size'"):
        fit(_model(), loader, None, CFG, recipe, batch_size=4)     # the loader's, not fit's
    with pytest.raises(ValueError, match="patience.*val_loader"):
        fit(_model(), loader, None, CFG, recipe.replace(patience=2), progress=False)
