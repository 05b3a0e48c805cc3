"""The floor: read every note once and regex-scan it for links and citations, nothing more.

    python benchmarks/floor.py VAULT_DIR

fmkb check is measured against this: it does the same reading and scanning plus
parsing front matter, masking code and math, resolving and checking.
"""

from __future__ import annotations

import os
import re
import sys

PATTERN = re.compile(r"!?\[\[[^\[\]\n]*\]\]|\[[^\[\]]*@[^\[\]]*\]|@[\w:.#$%&+?<>~/-]+")


def main(root: str) -> int:
    found = 0
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, "notes")):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.endswith(".md"):
                with open(os.path.join(dirpath, name), encoding="utf-8") as fh:
                    found += len(PATTERN.findall(fh.read()))
    print(found)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
