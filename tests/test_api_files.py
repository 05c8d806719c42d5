"""The token file and the serve file, on real files: the token is made 0600 and kept, a readable one is
replaced; a serve file is found while its process runs, and seen as stale (and removed) once its pid is
gone; a serve removes only its own file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sellerpulse.core.api import discovery, tokens


def test_the_token_is_made_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "state" / "serve.token"
    token = tokens.load_or_create(path)
    assert len(token) >= 40 and path.stat().st_mode & 0o777 == 0o600
    assert tokens.load_or_create(path) == token
    assert tokens.matches(token, token) and not tokens.matches(token[:-1], token)
    assert not tokens.matches("", token)


def test_a_token_file_others_could_read_is_replaced_by_a_new_secret(tmp_path: Path) -> None:
    path = tmp_path / "serve.token"
    old = tokens.load_or_create(path)
    path.chmod(0o644)
    new = tokens.load_or_create(path)
    assert new != old and path.stat().st_mode & 0o777 == 0o600
    path.write_text("\n", encoding="ascii")
    assert tokens.load_or_create(path) not in ("", new)  # an empty file gets a secret too


def test_a_token_path_that_is_not_a_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "serve.token").mkdir()
    with pytest.raises(OSError, match="not a regular file"):
        tokens.load_or_create(tmp_path / "serve.token")


def test_bearer_headers() -> None:
    assert tokens.bearer(None) is None
    assert tokens.bearer("Bearer abc ") == "abc"
    assert tokens.bearer("bearer abc") == "abc"
    assert tokens.bearer("Basic abc") == ""  # another scheme: presented, and wrong


def test_serve_files_are_per_config(tmp_path: Path) -> None:
    one = discovery.serve_file(tmp_path / "a" / "sellerpulse.toml", tmp_path)
    two = discovery.serve_file(tmp_path / "b" / "sellerpulse.toml", tmp_path)
    assert one != two and one.name.startswith("sellerpulse-") and one.name.endswith(".serve.json")
    assert discovery.serve_file(None, tmp_path).name == "defaults.serve.json"
    assert discovery.serve_file(tmp_path / "a" / "sellerpulse.toml", tmp_path) == one


def test_a_serve_file_whose_process_is_gone_is_stale_and_removed(tmp_path: Path) -> None:
    path = tmp_path / "x.serve.json"
    discovery.write(path, {"url": "http://127.0.0.1:1"})
    assert path.stat().st_mode & 0o777 == 0o600
    assert discovery.running(path) == {"url": "http://127.0.0.1:1", "pid": os.getpid()}
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    path.write_text(f'{{"url": "http://127.0.0.1:1", "pid": {int(gone.stdout)}}}', encoding="utf-8")
    assert discovery.running(path) is None and not path.exists()
    path.write_text("{not json", encoding="utf-8")
    assert discovery.running(path) is None and not path.exists()
    assert discovery.running(path) is None  # no file at all


def test_a_serve_removes_only_its_own_file(tmp_path: Path) -> None:
    path = tmp_path / "x.serve.json"
    path.write_text('{"url": "http://127.0.0.1:1", "pid": 1}', encoding="utf-8")
    discovery.remove(path)
    assert path.exists()  # another serve's (pid 1 is running)
    discovery.write(path, {"url": "u"})
    discovery.remove(path)
    assert not path.exists()
