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
    """The schedule of :func:`nlpcourse.optim.lr_factor` as a Keras ``LearningRateSchedule``."""
    import keras
    from keras import ops

    from nlpcourse.optim import SCHEDULES, warmup_steps_of
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    warmup_steps = warmup_steps_of(warmup, total_steps)

    class WarmupDecay(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            step = ops.cast(step, "float32")
            progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
            decay = {"constant": ops.ones_like(step), "linear": ops.maximum(0.0, 1.0 - progress),
                     "cosine": ops.maximum(0.0, 0.5 * (1.0 + ops.cos(math.pi * progress)))}[schedule]
            return lr * ops.where(step < warmup_steps, step / max(1, warmup_steps), decay)

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
    compile_classifier(model, recipe, steps_per_epoch=math.ceil(len(data.y_train) / recipe.batch_size), loss=loss)
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=recipe.patience,
                                               restore_best_weights=True)] if recipe.patience else []
    return model.fit(data.X_train, data.y_train, validation_data=(data.X_val, data.y_val),
                     batch_size=recipe.batch_size, epochs=recipe.epochs, callbacks=callbacks, verbose=verbose)
