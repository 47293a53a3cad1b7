"""The word2vec benchmark runs end to end on a small IMDB sample and writes its JSON."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("gensim")


def test_word2vec_benchmark_small(imdb_data_dir, monkeypatch, tmp_path, capsys):
    from nlpcourse.bench import main
    monkeypatch.setenv("NLPCOURSE_DATA", str(imdb_data_dir))
    out = tmp_path / "word2vec.json"
    assert main(["word2vec", "--reviews", "600", "--epochs", "1", "--device", "cpu", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["reviews"] == 600 and report["tokens"] > 100_000
    for name in ("gensim", "ours-cpu"):
        row = report["results"][name]
        assert row["words_per_second"] > 0 and -1 <= row["wordsim353"] <= 1 and 0 <= row["analogy"] <= 1
    assert "ours-cpu" in capsys.readouterr().out
