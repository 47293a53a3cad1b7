"""The one training loop: it learns, repeats exactly when seeded, stops early, scores like sklearn."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nlpcourse.config import get_config  # noqa: E402
from nlpcourse.data.loaders import encode_texts, make_loader  # noqa: E402
from nlpcourse.text import Vocab  # noqa: E402
from nlpcourse.train import History, evaluate, fit  # noqa: E402

CFG = get_config("quick", seed=0)


def _data(n=96, d=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    return X, y


def _model(d=10, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(d, 16), torch.nn.ReLU(), torch.nn.Dropout(0.1), torch.nn.Linear(16, 2))


def test_overfits_one_batch():
    X, y = _data(n=16)
    loader = make_loader(X, y, batch_size=16)
    history = fit(_model(), loader, None, CFG, epochs=150, lr=1e-2, progress=False)
    assert history.train_loss[-1] < 0.05 < history.train_loss[0]
    assert history.train_accuracy[-1] == 1.0


def test_seeded_run_repeats_exactly_on_cpu():
    X, y = _data()
    runs = []
    for _ in range(2):
        model = _model()
        train = make_loader(X, y, batch_size=8, shuffle=True, seed=3)
        val = make_loader(X[:32], y[:32], batch_size=16)
        history = fit(model, train, val, CFG, epochs=3, progress=False)
        runs.append((history.train_loss, history.val_loss, [p.detach().clone() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][2], runs[1][2]))
    other = fit(_model(), make_loader(X, y, batch_size=8, shuffle=True, seed=4), None, CFG, epochs=3, progress=False)
    assert other.train_loss != runs[0][0], "another data order gives another run"


def test_early_stopping_restores_the_best_weights():
    X, y = _data(n=64)
    X_val, y_val = X[:32], 1 - y[:32]   # validation labels flipped: val loss rises as the model learns
    model = _model()
    history = fit(model, make_loader(X, y, 16, shuffle=True), make_loader(X_val, y_val, 32), CFG,
                  epochs=30, lr=1e-2, patience=2, progress=False)
    assert history.stopped_early and history.epochs < 30
    assert history.epochs - history.best_epoch == 2
    restored = evaluate(model, make_loader(X_val, y_val, 32))["loss"]
    assert restored == pytest.approx(min(history.val_loss), rel=1e-6)


def test_evaluate_equals_sklearn():
    from sklearn.metrics import accuracy_score, f1_score, log_loss
    X, y = _data(n=50, seed=5)
    model = _model()
    scores = evaluate(model, make_loader(X, y, batch_size=7))
    with torch.no_grad():
        logits = model.eval()(torch.as_tensor(X))
    probs = torch.softmax(logits, dim=1).numpy()
    assert scores["accuracy"] == accuracy_score(y, probs.argmax(1))
    assert scores["f1"] == f1_score(y, probs.argmax(1))
    assert scores["loss"] == pytest.approx(log_loss(y, probs), rel=1e-5)


def test_history_plot_and_best_epoch():
    import matplotlib
    matplotlib.use("Agg")
    history = History(train_loss=[1.0, 0.8, 0.7], train_accuracy=[0.5, 0.6, 0.7], val_loss=[0.9, 0.7, 0.75],
                      val_accuracy=[0.5, 0.65, 0.6], val_f1=[0.5, 0.6, 0.6], epoch_seconds=[1, 1, 1])
    assert history.best_epoch == 2 and history.epochs == 3
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
    with pytest.raises(ValueError, match="rows"):
        make_loader(X, y[:3])
    with pytest.raises(ValueError, match="empty"):
        evaluate(_model(), make_loader(X[:0], y[:0], 4))


def test_encode_texts_pads_and_maps_unknown_words():
    vocab = Vocab([["good", "movie"], ["bad", "movie"]])
    X = encode_texts(["A good movie!", "Bad <br /> bad, unseen words here"], vocab, max_len=4)
    assert X.shape == (2, 4) and X.dtype == np.int64
    assert X[0, :3].tolist() == [vocab.unk_index, vocab["good"], vocab["movie"]] and X[0, 3] == vocab.pad_index
    with pytest.raises(TypeError, match="list of texts"):
        encode_texts("one string", vocab, 4)
