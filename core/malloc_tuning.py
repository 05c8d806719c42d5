"""Keep glibc from parking a long-running process's large blocks in its heap.

glibc serves an allocation of 128 KiB or more with its own memory mapping, so that growing it is a
``mremap`` and freeing it returns the memory at once. But the first time such a block is freed, glibc
raises that threshold to the freed block's size (up to 32 MiB), "adaptively": one transient 4 MiB
buffer (a big HTTP body, a JSON document, a file block read by a thread of the same process) is enough.
From then on every block below the new threshold is carved out of the heap instead, and the engine's
growing arrays, moved by each ``realloc``, leave holes behind them that the process keeps. Measured
under the dashboard with 290 thousand orders held: 23 MiB of freed-but-held heap, about 80 bytes per
order; with the threshold fixed, 1 MiB.

:func:`fix_mmap_threshold` fixes the threshold at glibc's own default, which turns the adaptation off.
Elsewhere (musl, macOS, Windows) it does nothing.
"""

from __future__ import annotations

import ctypes
import platform

M_MMAP_THRESHOLD = -3  # mallopt parameter number, from glibc's <malloc.h>
GLIBC_DEFAULT_THRESHOLD = 128 * 1024


def fix_mmap_threshold(size: int = GLIBC_DEFAULT_THRESHOLD) -> bool:
    """Serve blocks of ``size`` bytes and more with their own mapping, for good; True if applied."""
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, size) == 1
