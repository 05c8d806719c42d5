"""glibc's adaptive mmap threshold is fixed once the runtime runs (see ``core/malloc_tuning.py``).

Each case runs in a fresh interpreter, since the threshold is a setting of the whole process. The probe
frees a 4 MiB block (which, left alone, raises glibc's threshold to 4 MiB), then allocates 1 MiB and
asks glibc (``mallinfo2``) whether that block got its own mapping or a piece of the heap.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc" or tuple(map(int, platform.libc_ver()[1].split(".")[:2])) < (2, 33),
    reason="glibc >= 2.33 (mallinfo2) only",
)

PROBE = """
import ctypes
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
big = bytearray(4 << 20)
del big
before = libc.mallinfo2().hblkhd
block = bytearray(1 << 20)
print("mapped" if libc.mallinfo2().hblkhd - before >= 1 << 20 else "heap")
"""


def run(setup: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", setup + PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout.strip()


def test_left_alone_glibc_puts_a_megabyte_in_the_heap_after_a_big_block_was_freed() -> None:
    assert run("") == "heap"


def test_fixed_threshold_keeps_large_blocks_in_their_own_mappings() -> None:
    assert (
        run("from sellerpulse.core.malloc_tuning import fix_mmap_threshold\nassert fix_mmap_threshold()\n")
        == "mapped"
    )


def test_running_the_runtime_fixes_the_threshold(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "ts,kind,order_id,account,event_id\n2026-08-01T10:00:00Z,order_placed,A-1,acme,e1\n", encoding="utf-8"
    )
    setup = (
        "from sellerpulse.core.engine import Engine\n"
        "from sellerpulse.core.runtime import Runtime\n"
        "from sellerpulse.plugins.csv_source import CsvSource\n"
        "from sellerpulse.plugins.testing import make_source\n"
        "engine = Engine()\n"
        f"source = make_source(CsvSource, {{'path': {str(events)!r}}}, name='file')\n"
        "Runtime(engine, [source]).run_once()\n"
        "assert engine.applied == 1\n"
    )
    assert run(setup) == "mapped"
