"""Keras models train as ``fit`` does: the same learning-rate schedule, decay spared on biases, a model that learns."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from nlpcourse.config import get_config  # noqa: E402
from nlpcourse.data.loaders import IMDBData  # noqa: E402
from nlpcourse.keras import compile_classifier, fit_classifier, learning_rate_schedule  # noqa: E402
from nlpcourse.config import TrainRecipe  # noqa: E402
from nlpcourse.pipelines.zoo import build_model  # noqa: E402
from nlpcourse.optim import lr_factor  # noqa: E402


@pytest.mark.parametrize("schedule", ["constant", "linear", "cosine"])
@pytest.mark.parametrize("warmup", [0, 4])
def test_the_keras_schedule_equals_ours(schedule, warmup):
    rate = learning_rate_schedule(0.01, schedule, warmup, 30)
    theirs = [float(rate(step)) for step in range(35)]
    ours = [0.01 * lr_factor(step, schedule, warmup, 30) for step in range(35)]
    assert theirs == pytest.approx(ours, abs=1e-8)
    with pytest.raises(ValueError, match="schedule"):
        learning_rate_schedule(0.01, "step", 0, 10)


@pytest.mark.parametrize("schedule", ["constant", "linear", "cosine"])
@pytest.mark.parametrize("warmup, total_steps", [(0, 30), (4, 30), (0.1, 50), (7, 7), (9, 5), (0, 1)])
def test_pytorch_and_keras_give_every_step_the_same_rate(schedule, warmup, total_steps):
    torch = pytest.importorskip("torch")
    from nlpcourse.optim import make_scheduler
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.01)
    scheduler = make_scheduler(optimizer, schedule, warmup, total_steps)
    rate = learning_rate_schedule(0.01, schedule, warmup, total_steps)
    for step in range(total_steps + 12):
        pytorchs = optimizer.param_groups[0]["lr"]
        assert float(rate(step)) == pytest.approx(pytorchs, rel=1e-6, abs=1e-12), step
        optimizer.step()
        scheduler.step()


def test_weight_decay_spares_biases_as_in_torch():
    model = build_model("mlp_tfidf", 20, get_config("quick"), framework="keras")
    recipe = TrainRecipe(batch_size=8, epochs=1, lr=1e-3, weight_decay=0.1)
    optimizer = compile_classifier(model, recipe, steps_per_epoch=5).optimizer
    decayed = {v.path for v in model.trainable_variables if optimizer._use_weight_decay(v)}
    assert decayed == {v.path for v in model.trainable_variables if len(v.shape) == 2} and decayed


def test_fit_classifier_learns_and_stops_early():
    rng = np.random.default_rng(0)
    X = rng.random((400, 20)).astype(np.float32)
    y = (X[:, 0] > X[:, 1]).astype(np.int64)
    data = IMDBData(X[:300], y[:300], X[300:350], y[300:350], X[350:], y[350:])
    recipe = TrainRecipe(batch_size=16, epochs=40, lr=1e-2, schedule="linear", patience=3)
    model = build_model("mlp_tfidf", 20, get_config("quick"), framework="keras")
    history = fit_classifier(model, data, recipe, verbose=0).history
    accuracy = float((model.predict(X[350:], verbose=0).argmax(1) == y[350:]).mean())
    assert accuracy >= 0.85 and len(history["loss"]) <= 40
