import random
import time

import numpy as np
import pytest

import nlpcourse
from nlpcourse.utils import Timer, count_params, get_device, set_seed, show_source


def test_set_seed_repeats_python_numpy_and_torch():
    torch = pytest.importorskip("torch")
    draws = []
    for _ in range(2):
        set_seed(123)
        draws.append((random.random(), np.random.rand(), torch.rand(1).item()))
    assert draws[0] == draws[1]
    set_seed(124)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) != draws[0]


def test_timer_measures_and_rejects_misuse():
    with Timer() as t:
        time.sleep(0.01)
    assert t.elapsed >= 0.01
    with pytest.raises(RuntimeError, match="before Timer.start"):
        Timer().stop()


def test_count_params_and_device():
    torch = pytest.importorskip("torch")
    model = torch.nn.Linear(3, 2)
    assert count_params(model) == 8
    model.bias.requires_grad_(False)
    assert count_params(model) == 6 and count_params(model, trainable_only=False) == 8
    assert get_device().type in {"cpu", "cuda", "mps"}
    assert get_device("cpu").type == "cpu"


def test_show_source_returns_the_code():
    out = show_source(set_seed)
    assert "def set_seed" in getattr(out, "data", "")
    both = getattr(show_source(set_seed, count_params), "data", "")
    assert both.index("def set_seed") < both.index("def count_params")
    with pytest.raises(TypeError, match="at least one"):
        show_source()


def test_setup_prints_profile_device_and_seed(capsys, monkeypatch):
    monkeypatch.setenv("NLPCOURSE_PROFILE", "quick")
    cfg = nlpcourse.setup(seed=5)
    line = capsys.readouterr().out
    assert cfg.seed == 5 and "profile=quick" in line and "seed=5" in line and "device=" in line


@pytest.mark.parametrize("seed", [-5, "x"])
def test_setup_rejects_a_bad_seed_naming_it(seed, capsys):
    with pytest.raises(ValueError, match="^seed must be a whole number"):
        nlpcourse.setup(seed=seed)
    assert capsys.readouterr().out == ""


def test_full_profile_without_a_gpu_says_once_it_is_slow(capsys, monkeypatch):
    import nlpcourse.config as config
    monkeypatch.delenv("NLPCOURSE_PROFILE", raising=False)
    monkeypatch.setattr(config, "_cuda_available", lambda: False)
    nlpcourse.setup(seed=0, profile="full")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "profile=full" in lines[0]
    assert "slow" in lines[1] and "NLPCOURSE_PROFILE=quick" in lines[1]
    nlpcourse.setup(seed=0, profile="quick")
    monkeypatch.setattr(config, "_cuda_available", lambda: True)
    nlpcourse.setup(seed=0, profile="full")
    assert "slow" not in capsys.readouterr().out


def test_import_is_cheap():
    import subprocess
    import sys
    code = "import sys, nlpcourse; print(any(m in sys.modules for m in ('torch', 'tensorflow', 'transformers', 'sklearn')))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_web_renderer_embeds_plotly_without_a_second_mathjax(monkeypatch, capsys):
    import plotly.graph_objects as go
    import plotly.io as pio
    monkeypatch.setenv("NLPCOURSE_WEB", "1")
    before = pio.renderers.default
    try:
        nlpcourse.setup(seed=0)
        assert pio.renderers.default == "nlpcourse_web"
        html = pio.renderers["nlpcourse_web"].to_mimebundle(go.Figure(go.Bar(y=[1])).to_dict())["text/html"]
        assert "Plotly.newPlot" in html and "mathjax/" not in html.lower() and "tex-svg" not in html
        assert "cdn.plot.ly" not in html and len(html) < 50_000, "plotly.js comes from the site, not a CDN or each figure"
    finally:
        pio.renderers.default = before


def test_eval_mode_restores_the_previous_mode_even_after_an_error():
    torch = pytest.importorskip("torch")
    from nlpcourse.utils import eval_mode
    model = torch.nn.Dropout(0.5)
    with eval_mode(model):
        assert not model.training
    assert model.training
    with pytest.raises(RuntimeError), eval_mode(model):
        raise RuntimeError("inside")
    assert model.training
    model.eval()
    with eval_mode(model):
        pass
    assert not model.training


def test_freed_memory_is_kept_for_the_next_allocation_on_glibc(monkeypatch):
    import platform
    import sys

    from nlpcourse.utils import keep_freed_memory
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert keep_freed_memory() is glibc
    monkeypatch.setattr(sys, "platform", "darwin")          # elsewhere it changes nothing and says so
    assert keep_freed_memory() is False


def test_idle_cores_sees_a_busy_process():
    import os
    import subprocess
    import sys
    from nlpcourse.utils import idle_cores
    if not os.path.exists("/proc/stat"):
        assert idle_cores() is None
        return
    cores = len(os.sched_getaffinity(0))
    assert 0 <= idle_cores(0.1) <= cores
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        assert idle_cores(0.3) <= cores - 0.5
    finally:
        busy.kill()
        busy.wait()


def test_use_free_cores_takes_one_thread_per_idle_core_and_can_be_pinned(monkeypatch):
    import torch
    from nlpcourse import utils
    before = torch.get_num_threads()
    try:
        monkeypatch.setattr(utils, "idle_cores", lambda window=0.3: 1.1)
        monkeypatch.delenv(utils.THREADS_ENV, raising=False)
        threads, why = utils.use_free_cores()
        assert threads == torch.get_num_threads() == 1
        assert why == "every core is free" if before == 1 else "busy with other work" in why
        monkeypatch.setattr(utils, "idle_cores", lambda window=0.3: None)      # unknown: keep the count
        assert utils.use_free_cores() == (1, "every core is free")
        monkeypatch.setenv(utils.THREADS_ENV, "1")
        assert utils.use_free_cores() == (1, "NLPCOURSE_THREADS=1")
        for bad in ("0", "two", "-1"):
            monkeypatch.setenv(utils.THREADS_ENV, bad)
            with pytest.raises(ValueError, match="NLPCOURSE_THREADS"):
                utils.use_free_cores()
    finally:
        torch.set_num_threads(before)
