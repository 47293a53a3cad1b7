"""Checkers for chapter 4 (CNNs for text)."""
from __future__ import annotations

import numpy as np

from nlpcourse.exercises import compare_arrays, compare_values, exercise


@exercise("ch04.ex2", "length of a convolution's output")
def _output_length(conv_output_length):
    """``conv_output_length(length, kernel_size, stride, padding, dilation)`` -> output positions."""
    cases = [(10, 3, 1, 0, 1, 8), (10, 3, 1, 1, 1, 10), (10, 3, 2, 0, 1, 4), (10, 3, 1, 0, 2, 6),
             (7, 5, 3, 2, 1, 3), (200, 5, 1, 0, 1, 196), (9, 2, 2, 1, 3, 4)]
    for length, k, s, p, d, expected in cases:
        got = conv_output_length(length, k, s, p, d)
        hint = ""
        if d > 1:
            hint = "a dilated kernel spans d * (k - 1) + 1 positions"
        elif s > 1:
            hint = "with a stride, count how many steps of s fit: floor division, then + 1"
        elif p:
            hint = "padding adds p positions at each end"
        yield compare_values(f"length={length}, k={k}, stride={s}, padding={p}, dilation={d}", got, expected, hint)


@exercise("ch04.ex3", "max over time that ignores padding")
def _masked_max(masked_max_over_time):
    """``masked_max_over_time(fmap, lengths)`` -> (B, F): max over the first lengths[b] positions only."""
    rng = np.random.default_rng(7)
    for batch, filters, time, lengths in [(2, 3, 5, [5, 2]), (3, 1, 4, [1, 4, 3]), (2, 4, 6, [6, 6])]:
        fmap = rng.normal(size=(batch, filters, time)) - 1.0   # negative scores: padding's 0 would win
        expected = np.stack([fmap[b, :, :n].max(axis=1) for b, n in enumerate(lengths)])
        got = masked_max_over_time(fmap.copy(), np.array(lengths))
        yield compare_arrays(f"feature maps {fmap.shape}, lengths {lengths}", np.asarray(got), expected,
                             hint="set positions t >= length to -inf before taking the max over time")
