"""Keras 3 (functional API) versions of the course's IMDB models (chapter 4 onwards).

The settings every Keras model of the course needs live here, once, and apply before Keras
is first imported: the TensorFlow backend unless ``KERAS_BACKEND`` says otherwise, TensorFlow's
own log lines down to errors, and no oneDNN reordering of floating-point sums (it makes
results vary slightly with the machine, and announces itself on stderr). ``fit_classifier``
trains a model as :func:`nlpcourse.train.fit` does, from the same recipe.
"""
from __future__ import annotations

import math
import os
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def seed_keras(seed: int) -> None:
    """Seed Keras (Python, NumPy, backend) and make TensorFlow's kernels deterministic (chapter 4)."""
    import keras
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()


def learning_rate_schedule(lr: float, schedule: str, warmup: int | float, total_steps: int) -> Any:
    """The schedule of :func:`nlpcourse.optim.lr_factor` as a Keras ``LearningRateSchedule`` (chapter 4).

    Keras asks for the rate inside its compiled training step, where Python cannot run: the rate of
    every step is computed beforehand by the same function PyTorch's scheduler calls, and looked up.
    """
    import keras
    import numpy as np
    from keras import ops

    from nlpcourse.optim import lr_factors
    rates = np.array([lr * factor for factor in lr_factors(schedule, warmup, total_steps)], dtype=np.float32)

    class WarmupDecay(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            return ops.take(rates, ops.minimum(ops.cast(step, "int32"), len(rates) - 1))   # the last rate holds

        def get_config(self):
            return {"lr": lr, "schedule": schedule, "warmup": warmup, "total_steps": total_steps}

    return WarmupDecay()


LOSSES = ("cross_entropy", "margin")


def compile_classifier(model: Any, recipe: Any, steps_per_epoch: int, loss: str = "cross_entropy") -> Any:
    """Compile as ``fit`` trains: Adam(W) with weight decay on matrices only, the recipe's rate schedule,
    gradient clipping, accuracy; the loss is cross-entropy on logits, or the capsules' margin loss on
    their lengths (``loss="margin"``, chapter 6) (chapter 4)."""
    import keras
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    if loss == "margin":
        from nlpcourse.keras.capsnet import margin_loss
        loss_fn = margin_loss
    else:
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    rate = learning_rate_schedule(recipe.lr, recipe.schedule, recipe.warmup, steps_per_epoch * recipe.epochs)
    optimizer = keras.optimizers.AdamW(rate, weight_decay=recipe.weight_decay, epsilon=1e-8,
                                       clipnorm=recipe.clip_grad_norm)
    optimizer.exclude_from_weight_decay(var_list=[v for v in model.trainable_variables if len(v.shape) < 2])
    model.compile(optimizer=optimizer, loss=loss_fn, metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    return model


def fit_classifier(model: Any, data: Any, recipe: Any, verbose: int = 2, loss: str = "cross_entropy") -> Any:
    """``model.fit`` on an :class:`~nlpcourse.data.loaders.IMDBData` with a recipe's optimizer, batch size,
    epochs and early stopping (best weights restored), as :func:`nlpcourse.train.fit` does (chapter 4)."""
    import keras
    if recipe.accumulate != 1:
        raise ValueError(f"recipe.accumulate={recipe.accumulate}: Keras' model.fit takes one optimizer step per batch; "
                         "use a batch_size of batch_size * accumulate instead")
    compile_classifier(model, recipe, steps_per_epoch=math.ceil(len(data.y_train) / recipe.batch_size), loss=loss)
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=recipe.patience,
                                               restore_best_weights=True)] if recipe.patience else []
    return model.fit(data.X_train, data.y_train, validation_data=(data.X_val, data.y_val),
                     batch_size=recipe.batch_size, epochs=recipe.epochs, callbacks=callbacks, verbose=verbose)


def keras_history(fitted: Any) -> Any:
    """Keras' ``History`` (what ``model.fit`` returns) as the course's :class:`~nlpcourse.train.History`:
    ``loss`` and metrics per epoch, train and validation (``val_*``), so both frameworks plot and compare alike."""
    from nlpcourse.train import History
    history = History()
    for key, values in fitted.history.items():
        split, name = ("val", key[4:]) if key.startswith("val_") else ("train", key)
        getattr(history, split)[name] = [float(v) for v in values]
    return history


def keras_scores(model: Any, X: Any, y: Any, batch_size: int = 256) -> dict[str, float]:
    """Accuracy and F1 of a Keras classifier on ``(X, y)``: the class with the highest output wins."""
    from nlpcourse.metrics import classification_scores
    outputs = model.predict(X, batch_size=batch_size, verbose=0)
    return classification_scores(y, outputs.argmax(axis=1))
