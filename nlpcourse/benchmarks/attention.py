"""Attention, timed (chapter 7).

1. ``heads``: our multi-head attention against ``nn.MultiheadAttention`` (without weights, where
   both hand the attention to PyTorch's fused kernel, and with the weights returned), and our
   scaled dot-product attention against ``F.scaled_dot_product_attention``: forward + backward,
   T = 512, same weights.
2. ``scaling``: softmax attention against linear attention as the sequence grows (T = 128 ... 8192):
   time (forward + backward) and peak memory, ours and PyTorch's fused softmax attention, and the
   length from which linear attention is the faster. Each measurement runs in a fresh process;
   the peak memory is the allocator's on a GPU, on a CPU the resident memory sampled during the
   first run (small allocations come from memory the process already holds: below a few MB the
   figure is 0).

Timed alternately and repeated, best kept, so a noisy machine hits every side.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

from nlpcourse.benchmarks.timing import alternate

KINDS = ("softmax (ours)", "softmax (torch fused)", "linear (ours)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--parts", default="heads,scaling", help="which parts to run")
    parser.add_argument("--max-len", type=int, default=8192, help="the longest sequence of the scaling part")
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--heads", type=int, default=4)


def run(args: argparse.Namespace) -> dict:
    from nlpcourse.utils import describe_hardware
    parts = args.parts.split(",")
    print(f"Attention benchmark, {describe_hardware()}; {args.repeats} runs each, best kept")
    report: dict = {"benchmark": "attention", "hardware": describe_hardware(), "d_model": args.d_model,
                    "heads": args.heads}
    if "heads" in parts:
        report["ours_vs_torch"] = ours_vs_torch(args.d_model, args.heads, args.repeats)
    if "scaling" in parts:
        report["scaling"] = scaling(args.max_len, args.d_model, args.heads, args.repeats)
    return report


def _device():
    import torch
    return "cuda" if torch.cuda.is_available() else "cpu"


def _forward_backward(fn, inputs):
    def go():
        for x in inputs:
            x.grad = None
        fn().sum().backward()
        if inputs[0].is_cuda:
            import torch
            torch.cuda.synchronize()
    return go


def ours_vs_torch(d_model: int, heads: int, repeats: int, batch: int = 8, steps: int = 512) -> dict:
    import torch
    import torch.nn.functional as F
    from torch import nn

    from nlpcourse.layers.attention import MultiHeadAttention, scaled_dot_product_attention
    device = _device()
    torch.manual_seed(0)
    theirs = nn.MultiheadAttention(d_model, heads, batch_first=True).to(device)
    ours = MultiHeadAttention(d_model, heads).to(device)
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(batch, steps, d_model, device=device, requires_grad=True)
    padding = torch.arange(steps, device=device)[None] >= torch.randint(steps // 2, steps + 1, (batch, 1), device=device)
    q, k, v = (torch.randn(batch, heads, steps, d_model // heads, device=device, requires_grad=True) for _ in range(3))
    allowed = ~padding[:, None, None, :]
    def multi_head(module, need_weights):
        return _forward_backward(
            lambda: module(x, x, x, key_padding_mask=padding, need_weights=need_weights)[0], [x])
    times = alternate({
        "nn.MultiheadAttention": multi_head(theirs, False),
        "MultiHeadAttention (ours)": multi_head(ours, False),
        "nn.MultiheadAttention, weights": multi_head(theirs, True),
        "MultiHeadAttention (ours), weights": multi_head(ours, True),
        "F.scaled_dot_product_attention": _forward_backward(
            lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=allowed), [q, k, v]),
        "scaled_dot_product_attention (ours)": _forward_backward(
            lambda: scaled_dot_product_attention(q, k, v, allowed)[0], [q, k, v]),
    }, repeats)
    ratios = {"multi_head": times["MultiHeadAttention (ours)"] / times["nn.MultiheadAttention"],
              "multi_head_with_weights": times["MultiHeadAttention (ours), weights"]
              / times["nn.MultiheadAttention, weights"],
              "dot_product": times["scaled_dot_product_attention (ours)"] / times["F.scaled_dot_product_attention"]}
    print(f"  forward+backward, batch {batch}, T = {steps}, d_model {d_model}, {heads} heads, key padding mask:")
    for name, seconds in times.items():
        print(f"    {name:38s} {seconds * 1e3:8.1f} ms")
    print(f"    ratio ours / PyTorch: multi-head {ratios['multi_head']:.2f} (no weights: both use the fused kernel), "
          f"{ratios['multi_head_with_weights']:.2f} (weights returned); dot-product {ratios['dot_product']:.2f}")
    return {"batch": batch, "steps": steps, "seconds": times, "ratios": ratios}


def _resident_bytes() -> int:
    """This process's resident memory now (Linux), in bytes."""
    import os
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_resident_bytes(fn) -> int:
    """The most resident memory above the level before ``fn()``, sampled every half millisecond while it runs.
    (Large tensors are mapped and unmapped whole, so the resident size follows what is allocated.)"""
    import threading
    import time
    base, peak, done = _resident_bytes(), [0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _resident_bytes() - base)
            time.sleep(0.0005)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        fn()
    finally:
        done.set()
        sampler.join()
    return max(peak[0], _resident_bytes() - base, 0)


def measure(kind: str, steps: int, d_model: int, heads: int, repeats: int) -> dict:
    """Seconds (forward + backward, best of ``repeats``) and peak extra memory in MB of one attention of
    ``steps`` positions, batch 1; called in a fresh process, so that earlier runs leave no cached memory."""
    import torch
    import torch.nn.functional as F

    from nlpcourse.layers.attention import linear_attention, scaled_dot_product_attention
    device = _device()
    torch.manual_seed(0)
    q, k, v = (torch.randn(1, heads, steps, d_model // heads, device=device, requires_grad=True) for _ in range(3))
    fn = {"softmax (ours)": lambda: scaled_dot_product_attention(q, k, v)[0],
          "softmax (torch fused)": lambda: F.scaled_dot_product_attention(q, k, v),
          "linear (ours)": lambda: linear_attention(q, k, v)}[kind]
    go = _forward_backward(fn, [q, k, v])
    if device == "cuda":
        go()                                                   # warm-up
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        go()
        peak = torch.cuda.max_memory_allocated() - base
    else:
        peak = _peak_resident_bytes(go)                        # the first run: nothing cached yet
    seconds = alternate({kind: go}, repeats)[kind]
    return {"seconds": seconds, "peak_mb": peak / 2**20}


def scaling(max_len: int, d_model: int, heads: int, repeats: int) -> dict:
    lengths = [128]
    while lengths[-1] * 2 <= max_len:
        lengths.append(lengths[-1] * 2)
    rows = []
    print(f"  softmax against linear attention, batch 1, d_model {d_model}, {heads} heads, forward+backward:")
    print(f"    {'T':>6s} " + " ".join(f"{kind:>24s}" for kind in KINDS) + "   (ms, peak MB)")
    for steps in lengths:
        row = {"steps": steps}
        for kind in KINDS:
            code = ("import json, sys; from nlpcourse.benchmarks.attention import measure; "
                    f"print(json.dumps(measure({kind!r}, {steps}, {d_model}, {heads}, {repeats})))")
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            if done.returncode != 0:        # out of memory: the softmax curve stops here
                row[kind] = None
                continue
            row[kind] = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"    {steps:6d} " + " ".join(
            f"{row[k]['seconds'] * 1e3:12.1f} {row[k]['peak_mb']:11.1f}" if row[k] else f"{'failed':>24s}"
            for k in KINDS))
    crossover = None                       # the shortest T from which linear attention is faster at every length
    for row in reversed(rows):
        linear, softmax = row["linear (ours)"], row["softmax (ours)"]
        if linear is None or (softmax is not None and linear["seconds"] >= softmax["seconds"]):
            break
        crossover = row["steps"]
    print(f"    linear attention is faster than our softmax attention from T = {crossover} on"
          if crossover else "    linear attention is not faster at any length measured")
    return {"rows": rows, "crossover_vs_ours": crossover}
