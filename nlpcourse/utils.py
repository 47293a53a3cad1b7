"""Small helpers every chapter uses: seeding, devices, timing, source display (chapter 1)."""
from __future__ import annotations

import contextlib
import inspect
import numbers
import os
import platform
import random
import time
from typing import Any

import numpy as np


def check_int(name: str, value: Any, minimum: int = 0, maximum: int | None = None, hint: str = "") -> int:
    """``value`` as an int, or a ValueError naming ``name`` unless it is a whole number in range (chapter 1).

    >>> check_int("batch_size", 32, minimum=1)
    32
    """
    whole = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not whole or value < minimum or (maximum is not None and value > maximum):
        bounds = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise ValueError(f"{name} must be a whole number {bounds}, got {value!r}" + (f": {hint}" if hint else ""))
    return int(value)


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and (when imported) PyTorch and TensorFlow (chapter 1)."""
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    import sys
    if "torch" in sys.modules:
        import torch
        torch.manual_seed(seed)
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(seed)
    if "tensorflow" in sys.modules or "keras" in sys.modules:
        try:
            import keras
            keras.utils.set_random_seed(seed)
        except ImportError:
            pass


def show_progress() -> bool:
    """Whether to draw progress bars: not on the website (``NLPCOURSE_WEB=1``), where a bar would be
    published half drawn, nor with ``NLPCOURSE_QUIET=1`` (chapter 1)."""
    return os.environ.get("NLPCOURSE_WEB") != "1" and os.environ.get("NLPCOURSE_QUIET") != "1"


def get_device(prefer: str | None = None) -> Any:
    """The best available torch device: ``cuda``, then ``mps``, then ``cpu`` (chapter 1)."""
    import torch
    if prefer is not None:
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def count_params(model: Any, trainable_only: bool = True) -> int:
    """Number of parameters of a PyTorch module or a Keras model (chapter 4)."""
    if hasattr(model, "count_params"):  # Keras
        if trainable_only:
            return int(sum(np.prod(w.shape) for w in model.trainable_weights))
        return int(model.count_params())
    params = model.parameters()
    return int(sum(p.numel() for p in params if p.requires_grad or not trainable_only))


class Timer:
    """Wall-clock timer, as a context manager or with start/stop (chapter 1).

    >>> with Timer() as t:
    ...     _ = sum(range(1000))
    >>> t.elapsed >= 0
    True
    """

    def __init__(self) -> None:
        self.elapsed = 0.0
        self._start: float | None = None

    def start(self) -> "Timer":
        self._start = time.perf_counter()
        return self

    def stop(self) -> float:
        if self._start is None:
            raise RuntimeError("Timer.stop() called before Timer.start()")
        self.elapsed = time.perf_counter() - self._start
        self._start = None
        return self.elapsed

    def __enter__(self) -> "Timer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Timer(elapsed={self.elapsed:.3f}s)"


def show_source(*objs: Any) -> Any:
    """Display the source code of package objects, highlighted in a notebook (chapter 1)."""
    if not objs:
        raise TypeError("show_source needs at least one function, class or module")
    source = "\n\n".join(inspect.getsource(obj).rstrip("\n") for obj in objs)
    try:
        from IPython.display import Markdown
    except ImportError:
        print(source)
        return None
    return Markdown(f"```python\n{source}\n```")


@contextlib.contextmanager
def eval_mode(module: Any):
    """Run a block with ``module`` in eval mode (no dropout), then put its previous mode back,
    even when the block raises (chapter 3)."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)


def describe_hardware() -> str:
    """'NVIDIA T4 (15.8 GB)' or 'CPU (2 cores)'."""
    try:
        import torch
        if torch.cuda.is_available():
            props = torch.cuda.get_device_properties(0)
            return f"{props.name} ({props.total_memory / 2**30:.1f} GB)"
    except ImportError:
        pass
    return f"CPU ({os.cpu_count()} cores, {platform.machine()})"


_ALLOCATOR = {"M_TRIM_THRESHOLD": (-1, 1 << 30), "M_TOP_PAD": (-2, 64 << 20), "M_MMAP_THRESHOLD": (-3, 1 << 30)}


def keep_freed_memory() -> bool:
    """Let glibc's ``malloc`` keep freed memory for the next allocation instead of giving it back to the system.

    By default a block of more than a few MB is mapped fresh on allocation and unmapped on free, so every
    training step that frees and re-allocates such buffers pays a page fault per 4 KB again (and the system
    zeroes each page). PyTorch's CPU backward of a recurrent layer zero-fills a gradient the size of the whole
    sequence at every time step: one epoch of chapter 5's BiGRU ran 2.3 times faster with this on a 2-core
    machine. The process's memory then stays at its peak.
    Returns whether it applied (glibc on Linux only; elsewhere nothing changes)."""
    import ctypes
    import sys
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return all(libc.mallopt(option, value) == 1 for option, value in _ALLOCATOR.values())
    except (OSError, AttributeError):      # not glibc (e.g. musl): its allocator has no such options
        return False


THREADS_ENV = "NLPCOURSE_THREADS"


def idle_cores(window: float = 0.3) -> float | None:
    """How many of this process's cores nothing used over the last ``window`` seconds (Linux ``/proc/stat``);
    ``None`` where that cannot be read."""
    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]   # user nice system idle iowait irq softirq steal
        return ticks[3] + ticks[4], sum(ticks)
    try:
        cores = len(os.sched_getaffinity(0))
        idle0, total0 = sample()
        time.sleep(window)
        idle1, total1 = sample()
    except (OSError, AttributeError, ValueError, IndexError):
        return None
    if total1 <= total0:
        return None
    return min(cores, (idle1 - idle0) / (total1 - total0) * (os.cpu_count() or cores))


def use_free_cores() -> tuple[int, str]:
    """Give PyTorch one thread per core that is free now: ``(threads, why)``.

    PyTorch's CPU operators split their work across threads that wait for each other at the end of
    every operator. When another program keeps one of two cores busy, the thread that shares a core
    with it is often not running, and the other waits: a training step of chapter 5's BiLSTM took about
    5 times as long with two threads as with one beside a busy loop on a 2-core machine, while on the
    idle machine two threads trained it about 1.4 times faster than one. So the chapters (``setup``), the
    benchmarks and the tests count the idle cores over a moment when they start and use as many
    threads (never more than PyTorch's default). A run on 1 thread and one on 2 threads can end with
    slightly different figures (the sums are split differently); ``NLPCOURSE_THREADS=N`` pins the count.
    """
    import torch
    default = torch.get_num_threads()
    pinned = os.environ.get(THREADS_ENV)
    if pinned:
        threads = check_int(THREADS_ENV, int(pinned) if pinned.strip().isdigit() else pinned, minimum=1,
                            hint="the number of threads PyTorch may use, e.g. NLPCOURSE_THREADS=2")
        why = f"{THREADS_ENV}={threads}"
    else:
        idle = idle_cores()
        threads = default if idle is None else max(1, min(default, int(idle + 0.5)))
        why = "every core is free" if threads == default else \
            f"{default - threads} of {default} cores busy with other work"
    if threads != torch.get_num_threads():
        torch.set_num_threads(threads)
        os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(threads))   # read when TensorFlow starts, if later
    return threads, why


def threads_notice(threads: int, why: str) -> str | None:
    """The line to print about :func:`use_free_cores`' choice, or ``None`` when every core is used."""
    if why == "every core is free":
        return None
    return f"PyTorch uses {threads} thread{'s' * (threads > 1)} ({why})"
