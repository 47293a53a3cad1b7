"""Downloads against a local HTTP server on 127.0.0.1: progress, checksums, mirrors, offline."""
from __future__ import annotations

import hashlib
import http.server
import socket
import threading
import time

import pytest

from nlpcourse.data import DataError, DataSource, LocalCopy, fetch
from nlpcourse.data.download import absolute_data_env

def _tar_gz() -> bytes:
    """A small real archive, like the ones the course downloads."""
    import io
    import os
    import tarfile
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for i in range(3):
            data = os.urandom(200_000)  # incompressible: the download takes several chunks
            info = tarfile.TarInfo(f"toy/train/pos/{i}_9.txt")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


PAYLOAD = _tar_gz()


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, bytes] = {}
    hits: list[str] = []

    def do_GET(self):
        self.hits.append(self.path)
        body = self.routes.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Handler.routes, _Handler.hits = {}, []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Handler
    httpd.shutdown()
    httpd.server_close()


def _source(urls, payload=PAYLOAD, **kwargs) -> DataSource:
    return DataSource(name="toy", filename="toy.tar.gz", urls=tuple(urls), size=len(payload),
                      sha256=hashlib.sha256(payload).hexdigest(), **kwargs)


def test_download_verifies_and_caches(server, tmp_cache, capsys, monkeypatch):
    monkeypatch.setenv("NLPCOURSE_WEB", "0")   # off the website: a progress bar
    base, handler = server
    handler.routes["/toy.tar.gz"] = PAYLOAD
    path = fetch(_source([f"{base}/toy.tar.gz"]))
    assert path == tmp_cache / "toy" / "toy.tar.gz" and path.read_bytes() == PAYLOAD
    from nlpcourse.data.archive import iter_archive
    assert [name for name, _ in iter_archive(path)] == [f"toy/train/pos/{i}_9.txt" for i in range(3)]
    assert "toy.tar.gz" in capsys.readouterr().err  # the progress bar
    assert not list(path.parent.glob("*.part"))
    fetch(_source([f"{base}/toy.tar.gz"]))  # second call: from the cache
    assert handler.hits == ["/toy.tar.gz"]


def test_mirror_fallback(server, tmp_cache):
    base, handler = server
    handler.routes["/mirror/toy.tar.gz"] = PAYLOAD
    path = fetch(_source([f"{base}/missing/toy.tar.gz", f"{base}/mirror/toy.tar.gz"]), progress=False)
    assert path.read_bytes() == PAYLOAD
    assert handler.hits == ["/missing/toy.tar.gz", "/mirror/toy.tar.gz"]


@pytest.mark.parametrize("body, reason", [(PAYLOAD[:-10] + b"x" * 10, "sha256"),
                                          (PAYLOAD[: len(PAYLOAD) // 2], "truncated")])
def test_corrupted_or_truncated_download_is_never_cached(server, tmp_cache, body, reason):
    base, handler = server
    handler.routes["/toy.tar.gz"] = body
    with pytest.raises(DataError, match=reason):
        fetch(_source([f"{base}/toy.tar.gz"]), progress=False)
    assert not any(p.is_file() for p in tmp_cache.rglob("*")), "nothing may be left in the cache"


def test_offline_fails_fast_naming_url_and_data_env(tmp_cache):
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/toy.tar.gz"
    start = time.perf_counter()
    with pytest.raises(DataError) as err:
        fetch(_source([url]), progress=False)
    assert time.perf_counter() - start < 5
    assert url in str(err.value) and "NLPCOURSE_DATA" in str(err.value)


def test_local_copy_is_used_and_verified(tmp_path, monkeypatch, tmp_cache):
    monkeypatch.setenv("NLPCOURSE_DATA", str(tmp_path))
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "copy.tar.xz").write_bytes(PAYLOAD)
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    good = _source(["http://127.0.0.1:9/never"], local_copies=(LocalCopy("toy/copy.tar.xz", len(PAYLOAD), digest),))
    assert fetch(good) == tmp_path / "toy" / "copy.tar.xz"
    bad = _source(["http://127.0.0.1:9/never"], local_copies=(LocalCopy("toy/copy.tar.xz", len(PAYLOAD), "0" * 64),))
    with pytest.raises(DataError, match="sha256"):
        fetch(bad)


def test_data_env_must_be_a_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("NLPCOURSE_DATA", str(tmp_path / "nope"))
    with pytest.raises(DataError, match="NLPCOURSE_DATA=.* is not a folder"):
        fetch(_source(["http://127.0.0.1:9/never"]))


def test_data_error_names_the_folder_a_relative_path_means(tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")            # where a chapter's kernel runs
    monkeypatch.setenv("NLPCOURSE_DATA", "../shared/data")
    with pytest.raises(DataError) as err:
        fetch(_source(["http://127.0.0.1:9/never"]))
    assert f"NLPCOURSE_DATA='../shared/data' is not a folder (here it means {tmp_path / 'shared' / 'data'})" \
        in str(err.value)


def test_download_error_names_the_data_folder_it_searched(tmp_path, monkeypatch, tmp_cache):
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NLPCOURSE_DATA", "data")
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DataError, match=f"NLPCOURSE_DATA is {tmp_path / 'data'}, which holds none"):
        fetch(_source([f"http://127.0.0.1:{port}/toy.tar.gz"]), progress=False)


def test_absolute_data_env_makes_relative_paths_absolute(tmp_path, monkeypatch):
    environ = {"NLPCOURSE_DATA": "../shared/data", "NLPCOURSE_CACHE": "cache", "PATH": "bin"}
    absolute_data_env(environ, cwd="/work/main")
    assert environ == {"NLPCOURSE_DATA": "/work/shared/data", "NLPCOURSE_CACHE": "/work/main/cache", "PATH": "bin"}
    monkeypatch.chdir(tmp_path)
    environ = {"NLPCOURSE_DATA": "data", "NLPCOURSE_CACHE": "/abs/cache"}
    absolute_data_env(environ)
    assert environ == {"NLPCOURSE_DATA": str(tmp_path / "data"), "NLPCOURSE_CACHE": "/abs/cache"}
    environ = {"NLPCOURSE_DATA": ""}
    absolute_data_env(environ)
    assert environ == {"NLPCOURSE_DATA": ""}


def test_manifest_entries_are_complete():
    from nlpcourse.data import MANIFEST, get_source
    imdb = get_source("imdb")
    assert imdb.size == 84_125_825 and imdb.sha256.startswith("c40f74a1") and len(imdb.urls) == 2
    for source in MANIFEST.values():
        assert source.urls and source.local_copies and source.description
    with pytest.raises(KeyError, match="known: fra-eng, glove-6b, imdb"):
        get_source("imbd")


def test_a_source_known_only_by_sha1_is_verified_by_it(server, tmp_cache):
    base, handler = server
    handler.routes["/toy.tar.gz"] = PAYLOAD
    sha1 = hashlib.sha1(PAYLOAD).hexdigest()
    only_sha1 = DataSource(name="toy", filename="toy.tar.gz", urls=(f"{base}/toy.tar.gz",), size=None, sha256=None,
                           sha1=sha1)
    path = fetch(only_sha1, progress=False)
    assert path.read_bytes() == PAYLOAD
    path.write_bytes(PAYLOAD[:-1] + b"x")       # a cached file that no longer matches is fetched again
    assert fetch(only_sha1, progress=False).read_bytes() == PAYLOAD
    assert len(handler.hits) == 2
    wrong = DataSource(name="toy2", filename="toy.tar.gz", urls=(f"{base}/toy.tar.gz",), size=None, sha256=None,
                       sha1="0" * 40)
    with pytest.raises(DataError, match="sha1"):
        fetch(wrong, progress=False)
    assert not (tmp_cache / "toy2" / "toy.tar.gz").exists()
