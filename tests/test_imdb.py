"""The IMDB loader: real data (the offline copy) and small hand-made archives."""
from __future__ import annotations

import dataclasses
import io
import tarfile

import numpy as np
import pytest

import nlpcourse.data.imdb as imdb
from nlpcourse.config import get_config
from nlpcourse.data import DataError, LocalCopy, load_imdb, load_imdb_splits


@pytest.fixture(scope="module")
def real_imdb(imdb_data_dir, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("NLPCOURSE_DATA", str(imdb_data_dir))
    mp.setenv("NLPCOURSE_CACHE", str(tmp_path_factory.mktemp("imdb-cache")))
    yield
    mp.undo()


def test_full_splits_have_the_official_counts_and_content(real_imdb):
    train, test, unsup = load_imdb("train"), load_imdb("test"), load_imdb("unsup")
    assert len(train) == len(test) == 25_000 and len(unsup) == 50_000
    assert train.labels.sum() == test.labels.sum() == 12_500 and set(unsup.labels) == {-1}
    assert set(np.unique(train.ratings[train.labels == 1])) == {7, 8, 9, 10}
    assert set(np.unique(train.ratings[train.labels == 0])) == {1, 2, 3, 4}
    neg_127 = train.texts[int(np.flatnonzero((train.ids == 127) & (train.labels == 0))[0])]
    assert neg_127.startswith("I rented I AM CURIOUS-YELLOW")
    assert test.texts[int(np.flatnonzero((test.ids == 127) & (test.labels == 0))[0])].startswith(
        "I love sci-fi and am willing")
    assert "<br />" in " ".join(train.texts[:200])  # raw text: cleaning is the chapter's job


def test_full_split_comes_shuffled_so_any_slice_holds_both_classes(real_imdb):
    train = load_imdb("train")
    assert 0.4 < train.labels[:2500].mean() < 0.6, "a validation slice must not be one class"
    assert list(load_imdb("train").ids[:50]) == list(train.ids[:50])  # seeded
    assert list(load_imdb("train", seed=1).ids[:50]) != list(train.ids[:50])


def test_second_load_reads_the_compact_cache(real_imdb, monkeypatch):
    load_imdb("train")
    monkeypatch.setattr(imdb, "fetch", lambda *a: pytest.fail("the cache should have been used"))
    assert len(load_imdb("test")) == 25_000


def test_quick_subsets_are_seeded_and_stratified(real_imdb):
    cfg = get_config("quick")
    train, test = load_imdb_splits(cfg)
    assert (len(train), len(test)) == (2000, 1000)
    assert train.labels.mean() == 0.5 and test.labels.mean() == 0.5
    again, _ = load_imdb_splits(cfg)
    assert train.texts == again.texts
    other, _ = load_imdb_splits(cfg.replace(seed=1))
    assert other.texts != train.texts
    assert 0 < train.labels[:20].sum() < 20, "classes are shuffled, not in blocks"


def test_bad_split_and_oversized_sample(real_imdb):
    with pytest.raises(ValueError, match="train, test, unsup"):
        load_imdb("validation")
    with pytest.raises(ValueError, match="cannot sample"):
        load_imdb("test", n=25_001)


@pytest.mark.parametrize("n", [-5, 0, 2.5, "10", True])
def test_bad_sample_size_fails_at_the_call_naming_n(n, monkeypatch):
    monkeypatch.setattr(imdb, "_cache_path", lambda split: pytest.fail("load_imdb read data before checking n"))
    with pytest.raises(ValueError, match=r"^n must be a whole number >= 1, got .*n=None for the whole split"):
        load_imdb("train", n=n)


def _toy_archive(path, counts):
    with tarfile.open(path, "w:gz") as tar:
        for split, folder, n in counts:
            for i in range(n):
                rating = {"pos": 8, "neg": 2, "unsup": 0}[folder]
                data = f"{folder} review {i}".encode()
                info = tarfile.TarInfo(f"aclImdb/{split}/{folder}/{i}_{rating}.txt")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


def test_incomplete_copy_is_detected(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    _toy_archive(data / "aclImdb_v1.tar.gz", [("train", "pos", 3), ("train", "neg", 3), ("test", "pos", 3),
                                               ("test", "neg", 3), ("train", "unsup", 2)])
    monkeypatch.setenv("NLPCOURSE_DATA", str(data))
    monkeypatch.setenv("NLPCOURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(imdb, "IMDB", dataclasses.replace(imdb.IMDB, local_copies=(LocalCopy("aclImdb_v1.tar.gz"),)))
    with pytest.raises(DataError, match="incomplete"):
        load_imdb("train")
    assert not (tmp_path / "cache" / "imdb").exists() or not list((tmp_path / "cache").rglob("*.npz"))


def test_archive_and_extracted_tree_give_the_same_data(tmp_path, monkeypatch):
    counts = [("train", "pos", 3), ("train", "neg", 2), ("test", "pos", 2), ("test", "neg", 2), ("train", "unsup", 1)]
    monkeypatch.setattr(imdb, "EXPECTED", {"train": {0: 2, 1: 3}, "test": {0: 2, 1: 2}, "unsup": {-1: 1}})
    archive = _toy_archive(tmp_path / "toy.tar.gz", counts)
    tree = tmp_path / "tree"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    loaded = []
    for source in (archive, tree / "aclImdb"):
        monkeypatch.setattr(imdb, "fetch", lambda _s, source=source: source)
        monkeypatch.setenv("NLPCOURSE_CACHE", str(tmp_path / f"cache-{source.name}"))
        loaded.append(load_imdb("train"))
    a, b = loaded
    assert a.texts == b.texts and list(a.ids) == list(b.ids)  # same content, same seeded order
    assert sorted(zip(a.labels.tolist(), a.texts)) == [(0, "neg review 0"), (0, "neg review 1"),
                                                       (1, "pos review 0"), (1, "pos review 1"),
                                                       (1, "pos review 2")]


@pytest.mark.parametrize("web", ["1", "0"])
def test_parsing_shows_a_bar_off_the_website_and_one_line_on_it(web, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(imdb, "EXPECTED", {"train": {0: 1, 1: 1}, "test": {0: 1, 1: 1}, "unsup": {-1: 1}})
    archive = _toy_archive(tmp_path / "toy.tar.gz", [("train", "pos", 1), ("train", "neg", 1), ("test", "pos", 1),
                                                     ("test", "neg", 1), ("train", "unsup", 1)])
    monkeypatch.setattr(imdb, "fetch", lambda _s: archive)
    monkeypatch.setenv("NLPCOURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("NLPCOURSE_WEB", web)
    monkeypatch.delenv("NLPCOURSE_QUIET", raising=False)
    load_imdb("train")
    out, err = capsys.readouterr()
    if web == "1":   # a page gets one finished line, never a bar frozen half way
        assert "parsed once into the cache: 5 reviews" in out and "%|" not in err
    else:
        assert "parsing IMDB" in err and "parsed once" not in out
