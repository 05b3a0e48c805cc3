"""fmkb: the Foundation Model Knowledge Base engine (load -> resolve -> check -> render)."""

import functools
import hashlib
import os

__version__ = "0.1.0"


@functools.cache
def code_digest() -> str:
    """A digest of fmkb's own source: caches made by other code (an edited rule, a checkout
    of another branch, a cache restored in CI) are not reused, whatever the version says."""
    here = os.path.dirname(os.path.abspath(__file__))
    h = hashlib.sha256()
    for name in sorted(os.listdir(here)):
        if name.endswith(".py"):
            with open(os.path.join(here, name), "rb") as fh:
                h.update(name.encode() + b"\0" + fh.read() + b"\0")
    return h.hexdigest()[:16]
