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
    assert main(["word2vec", "--reviews", "600", "--epochs", "1", "--workers", "1", "2", "--repeats", "1",
                 "--cuda", "no", "--eager", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["reviews"] == 600 and report["tokens"] > 100_000 and report["workers"] == [1, 2]
    assert len(report["load_average_before"]) == len(report["load_average_after"]) == 3
    assert set(report["results"]) == {"gensim-1", "ours-1", "ours-eager-1", "gensim-2", "ours-2", "ours-eager-2"}
    for name, row in report["results"].items():
        assert row["words_per_second"] > 0 and -1 <= row["wordsim353"] <= 1 and 0 <= row["analogy"] <= 1
        assert row["compared_with"] == f"gensim-{name[-1]}" and len(row["seconds"]) == 1
    assert report["results"]["gensim-2"]["ratio"] == 1.0
    assert "ours-2" in capsys.readouterr().out


def test_word2vec_benchmark_rejects_bad_worker_counts():
    from nlpcourse.bench import main
    with pytest.raises(SystemExit, match="--workers"):
        main(["word2vec", "--workers", "0", "--cuda", "no"])
