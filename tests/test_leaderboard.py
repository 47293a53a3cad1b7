"""Results rows: one schema for every committed file; the benchmark writes valid rows; the page's helpers."""
from __future__ import annotations

import json

import pytest

from nlpcourse import leaderboard
from nlpcourse.leaderboard import RESULTS_DIR, load_results, read_results_file, results_files, validate_row, write_rows

ROW = {"model": "textcnn", "framework": "torch", "chapter": 4, "description": "TextCNN", "profile": "quick",
       "n_train": 1800, "n_val": 200, "n_test": 1000, "accuracy": 0.78, "f1": 0.79, "parameters": 689_730,
       "train_seconds": 5.1, "seconds_per_epoch": 1.3, "epochs": 4, "best_epoch": 2, "peak_memory_mb": 600.0,
       "memory_kind": "rss", "hardware": "CPU (2 cores, x86_64)", "versions": {"torch": "2.13.0"},
       "settings": {}, "seed": 0, "date": "2026-11-25T18:00:00", "commit": "abc123"}


def test_every_committed_results_file_follows_the_schema():
    files = results_files()
    assert files, f"no results/<profile>-<date>.json in {RESULTS_DIR}"
    for path in files:
        assert read_results_file(path), f"{path.name} has no rows"
    others = [p for p in RESULTS_DIR.glob("*.json") if p not in files]
    assert not others, f"results files must be named <profile>-<date>.json: {others}"
    for path in (RESULTS_DIR / "benchmarks").glob("*.json"):   # the specialised benchmarks' reports
        report = json.loads(path.read_text())
        assert report["benchmark"] in path.name and "date" in report["environment"], path.name


def test_the_committed_leaderboard_has_the_chapter_models_and_baselines():
    names = set(load_results()["model"])
    assert {"textcnn", "tfidf_logreg", "nbsvm", "glove_mean_logreg", "glove_centroids_logreg"} <= names


# every IMDB model of the course: the baselines, the zoo, and the pretrained models of chapters 9 and 10
COURSE_MODELS = {"tfidf_logreg", "nbsvm", "glove_mean_logreg", "glove_centroids_logreg", "fasttext_mean_logreg",
                 "bert-mini-pretrained", "bert-mini-scratch", "elmo-features", "elmo-static",
                 "minilm-finetuned", "minilm-probe"}


def test_the_quick_leaderboard_has_every_model_of_the_course_and_the_full_one_every_chapter():
    from nlpcourse.pipelines.zoo import ZOO
    results = load_results()
    quick = results[results["profile"] == "quick"]
    missing = (COURSE_MODELS | set(ZOO)) - set(quick["model"])
    assert not missing, f"no quick-profile row for {sorted(missing)}"
    for name, entry in ZOO.items():
        frameworks = set(quick.loc[quick["model"] == name, "framework"])
        assert set(entry.frameworks) <= frameworks, f"{name}: its chapter trains it with {entry.frameworks}"
    full = results[results["profile"] == "full"]
    assert set(full["chapter"]) == set(range(1, 11)) - {8}, "chapter 8 translates: no IMDB row"


def test_the_course_views(tmp_path):
    rows = [ROW | {"model": "nbsvm", "framework": "sklearn", "chapter": 1, "accuracy": 0.87},
            ROW | {"model": "tfidf_logreg", "framework": "sklearn", "chapter": 1, "accuracy": 0.86},
            ROW, ROW | {"model": "minilm-finetuned", "framework": "transformers", "chapter": 10, "accuracy": 0.83,
                        "parameters": 22_713_986},
            ROW | {"profile": "full", "n_train": 22_500, "n_val": 2_500, "n_test": 25_000, "accuracy": 0.89}]
    write_rows(rows, tmp_path / "quick-2026-11-26.json")
    results = load_results(tmp_path)
    best = leaderboard.best_per_chapter(results)
    assert list(zip(best["profile"], best["chapter"], best["model"])) == [
        ("full", 4, "textcnn"), ("quick", 1, "nbsvm"), ("quick", 4, "textcnn"), ("quick", 10, "minilm-finetuned")]
    assert best["accuracy %"].tolist() == [89.0, 87.0, 78.0, 83.0]
    figure = leaderboard.plot_course(results)
    assert len(figure.data) == 2 * (1 + 3)                     # a trace per chapter and panel, full then quick
    assert figure.layout.xaxis.type == "log" and figure.layout.xaxis2.type == "log"
    assert sorted({t.name for t in figure.data if t.showlegend}) == ["chapter 1", "chapter 10", "chapter 4"]


def test_framework_pairs_compare_only_like_for_like(tmp_path):
    cpu, gpu = "CPU (2 cores, x86_64)", "NVIDIA H100 (79.2 GB)"
    rows = [ROW | {"model": "lstm", "seconds_per_epoch": 600.0, "accuracy": 0.876},
            ROW | {"model": "lstm", "framework": "keras", "seconds_per_epoch": 150.0, "accuracy": 0.871},
            ROW | {"model": "gru", "hardware": gpu, "seconds_per_epoch": 9.0},          # Keras's run is on the CPU
            ROW | {"model": "gru", "framework": "keras", "seconds_per_epoch": 100.0},
            ROW | {"model": "bigru"}]                                                   # no Keras twin
    write_rows(rows, tmp_path / "quick-2026-11-26.json")
    pairs = leaderboard.framework_pairs(load_results(tmp_path))
    assert pairs["model"].tolist() == ["lstm"] and pairs["hardware"].tolist() == [cpu]
    assert pairs.loc[0, "torch accuracy %"] == 87.6 and pairs.loc[0, "keras accuracy %"] == 87.1
    assert pairs.loc[0, "keras / torch time"] == 0.25
    assert {"torch s/epoch", "keras s/epoch", "torch epochs", "keras epochs"} <= set(pairs.columns)


@pytest.mark.parametrize("change, message", [
    ({"accuracy": 1.2}, "accuracy"), ({"framework": "jax"}, "framework"), ({"epochs": "4"}, "epochs is str"),
    ({"best_epoch": 9}, "best_epoch"), ({"date": "yesterday"}, "date"), ({"extra": 1}, "unknown field extra"),
    ({"parameters": True}, "parameters is bool"),
])
def test_bad_rows_are_rejected_with_the_field_named(change, message):
    validate_row(ROW)
    with pytest.raises(ValueError, match=message):
        validate_row(ROW | change)
    missing = dict(ROW)
    del missing["hardware"]
    with pytest.raises(ValueError, match="missing hardware"):
        validate_row(missing)


def test_write_rows_replaces_a_model_rerun_on_the_same_hardware(tmp_path):
    path = tmp_path / "quick-2026-11-25.json"
    write_rows([ROW, ROW | {"framework": "keras"}], path)
    write_rows([ROW | {"accuracy": 0.8}], path)
    rows = read_results_file(path)
    assert len(rows) == 2 and {(r["framework"], r["accuracy"]) for r in rows} == {("keras", 0.78), ("torch", 0.8)}
    write_rows([ROW | {"hardware": "NVIDIA H100 (79.2 GB)", "date": "2026-11-26T10:00:00"}],
               tmp_path / "quick-2026-11-26.json")
    latest = load_results(tmp_path)
    assert len(latest) == 3
    table = leaderboard.leaderboard_table(latest)
    assert table["accuracy %"].max() == 80.0
    assert "hardware" in table.columns, "rows from two machines: the table names the hardware"
    assert "hardware" not in leaderboard.leaderboard_table(latest.iloc[:2]).columns
    figure = leaderboard.plot_accuracy_vs_time(latest)
    assert figure.layout.xaxis.type == "log"
    assert {trace.legendgroup.rsplit(", ", 1)[0] for trace in figure.data} == {"CPU (2 cores, x86_64)",
                                                                               "NVIDIA H100 (79.2 GB)"}


def test_the_quick_benchmark_writes_a_valid_row_that_repeats(tmp_path, imdb_data_dir, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setenv("NLPCOURSE_DATA", str(imdb_data_dir))
    from nlpcourse.bench import main
    runs = []
    for _ in range(2):
        assert main(["imdb", "--models", "textcnn", "--frameworks", "torch", "--profile", "quick",
                     "--results-dir", str(tmp_path)]) == 0
        (path,) = tmp_path.glob("quick-*.json")
        runs.append(read_results_file(path))
    assert len(runs[1]) == 1, "the rerun replaced the first row"
    row = runs[1][0]
    assert (row["accuracy"], row["f1"], row["epochs"]) == (runs[0][0]["accuracy"], runs[0][0]["f1"], runs[0][0]["epochs"])
    assert row["model"] == "textcnn" and row["n_train"] == 1800 and row["n_val"] == 200 and row["n_test"] == 1000
    assert row["accuracy"] >= 0.70, "chapter 4's quick band"
    assert row["settings"]["recipe"]["batch_size"] == 32


def test_an_unknown_model_is_named(capsys):
    from nlpcourse.bench import main
    with pytest.raises(SystemExit, match="unknown model.*gpt9"):
        main(["imdb", "--models", "gpt9", "--profile", "quick"])


def test_load_benchmark_gives_the_latest_file_of_a_pattern(tmp_path):
    for date, figure in [("2026-01-02", 2), ("2026-01-01", 1)]:
        (tmp_path / f"speed-{date}.json").write_text(json.dumps({"figure": figure}))
    report, path = leaderboard.load_benchmark("speed-*.json", tmp_path)
    assert report == {"figure": 2} and path.name == "speed-2026-01-02.json"


def test_a_missing_or_malformed_benchmark_file_names_itself_and_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"'speed-\*\.json'.*reinstall it from the repository"):
        leaderboard.load_benchmark("speed-*.json", tmp_path)
    (tmp_path / "speed-2026-01-01.json").write_text('{"figure": ')
    with pytest.raises(ValueError, match=r"speed-2026-01-01\.json cannot be read as JSON.*reinstall"):
        leaderboard.load_benchmark("speed-*.json", tmp_path)
    (tmp_path / "speed-2026-01-02.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"speed-2026-01-02\.json: expected a JSON object"):
        leaderboard.load_benchmark("speed-*.json", tmp_path)


def test_missing_or_malformed_results_name_the_folder_or_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no results/<profile>-<date>\.json in .*reinstall it"):
        load_results(tmp_path)
    (tmp_path / "quick-2026-01-01.json").write_text("not json")
    with pytest.raises(ValueError, match=r"quick-2026-01-01\.json cannot be read as JSON"):
        load_results(tmp_path)
