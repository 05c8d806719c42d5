"""The built wheel carries every module of core/, tui/ and plugins/ under ``sellerpulse.*`` and no
bare top-level ``core`` or ``plugins`` (GOTCHAS.md: an unlisted subpackage is silently left out)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"core": "sellerpulse/core", "tui": "sellerpulse/tui", "plugins": "sellerpulse/plugins"}


@pytest.mark.slow
def test_wheel_contains_every_module(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = tmp_path.glob("sellerpulse-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    expected = set()
    for folder, package_path in FOLDERS.items():
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".toml", ".tcss") and "__pycache__" not in path.parts:
                expected.add(f"{package_path}/{path.relative_to(ROOT / folder).as_posix()}")
    missing = sorted(expected - names)
    assert not missing, f"left out of the wheel: {missing}"
    assert "sellerpulse/__init__.py" in names
    top_levels = {
        name.split("/")[0] for name in names if not name.split("/")[0].endswith((".dist-info", ".data"))
    }
    assert top_levels == {"sellerpulse"}, f"unexpected top-level names in the wheel: {top_levels}"
    assert any(name.endswith("entry_points.txt") for name in names)
