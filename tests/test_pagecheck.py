"""What a page must not show: each rule finds its noise and leaves clean output alone."""
from __future__ import annotations

import pytest

from nlpcourse.site.pagecheck import noise_in_html, noise_in_outputs, noise_in_text


@pytest.mark.parametrize("text, kind", [
    ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR", "log line"),
    ("E0000 00:00:1764091234.123 12345 node_def_util.cc:680] Warning: ...", "log line"),
    ("epoch 3/15:   0%|          | 0/29 [00:00<?, ?it/s]", "progress bar"),
    ("training:  45%|####5     | 13/29 [00:01<00:01, 9.8it/s]", "progress bar"),
    ("{'accuracy': np.float64(0.8125)}", "numpy repr"),
    ("flags: np.True_", "numpy repr"),
])
def test_each_kind_of_noise_is_found(text, kind):
    found = noise_in_text("first line\n" + text + "\nlast line")
    assert len(found) == 1 and kind in found[0] and text[:40] in found[0]


@pytest.mark.parametrize("text", [
    "epoch 1/5: train loss 0.6931 acc 0.5000 | val loss 0.6900 acc 0.5200 (1.2s)",
    "training: 100%|##########| 29/29 [00:02<00:00, 12.1it/s]",
    "{'accuracy': 0.8125, 'f1': 0.8}", "np.float64 is numpy's double", "Epoch 1/5\n57/57 - 2s - accuracy: 0.61",
])
def test_clean_output_passes(text):
    assert noise_in_text(text) == []


def test_cell_outputs_and_built_pages_are_scanned(tmp_path):
    outputs = [{"output_type": "stream", "name": "stderr", "text": "  0%|          | 0/3"},
               {"output_type": "execute_result", "data": {"text/plain": "np.int64(3)", "text/html": "<b>3</b>"}}]
    assert len(noise_in_outputs(outputs)) == 2
    page = tmp_path / "notebooks" / "01.html"
    page.parent.mkdir()
    page.write_text('<div class="cell_input"><pre>x = np.float64(1.5)</pre></div>'
                    '<div class="cell_output docutils container"><div><pre>a<br>np.float64(1.5)</pre></div></div>'
                    '<p>np.int64(2) in prose is not an output</p>')
    (tmp_path / "clean.html").write_text('<div class="cell_output"><pre>1.5</pre></div>')
    report = noise_in_html(tmp_path)
    assert list(report) == ["notebooks/01.html"] and len(report["notebooks/01.html"]) == 1


NOISY_CHAPTER = '''---
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

```{code-cell} ipython3
import os
os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\\\n")
```

```{code-cell} ipython3
import sys
for step in range(3):
    sys.stderr.write(f"\\\\rLoading weights: {50 * step}%| | {step}/2")
sys.stderr.write("\\\\n")
```

```{code-cell} ipython3
print("clean")
```
'''


def test_the_suite_sees_a_cells_output_as_the_page_shows_it(tmp_path):
    """Output written to the process's stderr (C++ logs) and a progress bar's earlier states reach a page:
    the notebook run under pytest fails on them as the website build does."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    shutil.copy(root / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01_noisy.md").write_text(NOISY_CHAPTER)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "notebooks/01_noisy.md"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert "2 failed, 1 passed" in run.stdout, run.stdout[-3000:]
    assert "a log line of TensorFlow/absl: 'WARNING: All log messages before absl::InitializeLog()" in run.stdout
    assert "a progress bar that is not finished: " in run.stdout and "Loading weights: 0%| | 0/2" in run.stdout
