"""Chapter times: recorded per cell, shown against the budget, and stated as each chapter's cost."""
from __future__ import annotations

import json

from nlpcourse.site import chaptertimes


def recorded(tmp_path, profile="quick", hardware="CPU (2 cores, x86_64)"):
    run = chaptertimes.new_run(profile, hardware)
    chaptertimes.add_cell(run, "01_text", "Cell 0", 3.0, True)
    chaptertimes.add_cell(run, "01_text", "Cell 1", 70.25, True)
    chaptertimes.add_cell(run, "02_vectors", "Cell 0", 100.0, True)
    chaptertimes.add_cell(run, "02_vectors", "Cell 5", 60.0, False)
    return chaptertimes.finish(run, tmp_path / f"chapter-times-{profile}.json")


def test_cells_add_up_per_page_and_the_table_names_what_is_over_budget(tmp_path):
    run = json.loads(recorded(tmp_path).read_text())
    assert run["pages"]["01_text"]["seconds"] == 73.25 and run["pages"]["02_vectors"]["ok"] is False
    rows = {row["page"]: row for row in chaptertimes.table(run)}
    assert rows["01_text"]["over budget"] == "Cell 1 > 60 s" and rows["01_text"]["slowest cells"].startswith("Cell 1 70 s")
    assert rows["02_vectors"]["over budget"] == "chapter > 150 s; Cell 0 > 60 s" and rows["02_vectors"]["ran"] == "FAILED"


def test_a_later_run_of_some_pages_keeps_the_others(tmp_path):
    path = recorded(tmp_path)
    run = chaptertimes.new_run("quick", "CPU")
    chaptertimes.add_cell(run, "01_text", "Cell 0", 1.0, True)
    pages = json.loads(chaptertimes.finish(run, path).read_text())["pages"]
    assert pages["01_text"]["seconds"] == 1.0 and pages["02_vectors"]["seconds"] == 160.0


def test_each_chapter_states_its_measured_cost_and_never_guesses_the_gpu(tmp_path):
    (tmp_path / "chapter-times-quick-2026-12-05.json").write_text(recorded(tmp_path).read_text())
    cost = chaptertimes.chapter_cost(1, tmp_path)
    assert cost.startswith("This chapter costs: quick profile 1.2 min on CPU (2 cores, x86_64) (measured 20")
    assert cost.endswith("full profile: not yet measured on a GPU.")
    assert "quick profile: not yet measured on a CPU" in chaptertimes.chapter_cost(3, tmp_path)
    full = json.loads(recorded(tmp_path, "full", "NVIDIA H100 (79.2 GB)").read_text())
    full["pages"]["01_text"]["peak_gpu_memory_gb"] = 2.5
    (tmp_path / "chapter-times-full-2026-12-06.json").write_text(json.dumps(full))
    assert "full profile 1.2 min on NVIDIA H100 (79.2 GB), peak GPU memory 2.5 GB" in chaptertimes.chapter_cost(1, tmp_path)


def test_the_status_page_shows_each_profile(tmp_path):
    (tmp_path / "chapter-times-quick-2026-12-05.json").write_text(recorded(tmp_path).read_text())
    text = chaptertimes.status_markdown(tmp_path)
    assert "| 01_text | 73 | 150 |" in text and text.endswith("**full profile**: not yet measured on a GPU.")
