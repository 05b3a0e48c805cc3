"""Give freed heap memory back to the operating system.

A large check frees as much as it keeps (each note's text once scanned, the bibliography
parser's scaffolding), in chunks scattered through the C heap, which glibc's allocator
keeps resident. `malloc_trim` releases those pages. Elsewhere (another C library, no
ctypes) this does nothing: it changes how much memory a run holds, never what it computes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


def give_back() -> None:
    """Release the C heap's free pages (a few milliseconds; call it after freeing much)."""
    trim = _trim()
    if trim is not None:
        trim(0)
