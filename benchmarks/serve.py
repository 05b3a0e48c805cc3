"""`mkdocs serve` rebuilds after one edit, with and without fmkb, in one process each.

    python benchmarks/serve.py VAULT [--edits 5]

Runs what `mkdocs serve --dirty` runs on a change (the configuration loaded again, plugins
that persist kept, `build(dirty=True)`) in a child process per variant, after one full
build; each round edits one note and times one rebuild of each variant, interleaved.
Prints the median rebuild seconds (wall and CPU) and their ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import json, logging, sys, time, os
logging.disable(logging.WARNING)
from mkdocs.commands.build import build
from mkdocs.config import load_config
path = sys.argv[1]
def rebuild():
    cfg = load_config(path)
    cfg.plugins.on_startup(command="serve", dirty=True)
    start, cpu = time.perf_counter(), time.process_time()
    build(cfg, dirty=True)
    return time.perf_counter() - start, time.process_time() - cpu
build(load_config(path))  # the first, full build
print("ready", flush=True)
for line in sys.stdin:
    wall, cpu = rebuild()
    print(json.dumps([wall, cpu]), flush=True)
"""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("vault", type=Path)
    p.add_argument("--edits", type=int, default=5)
    a = p.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import CHILD_ENV, site_config

    configs = {"with fmkb": site_config(a.vault, True), "without fmkb": site_config(a.vault, False)}
    env = {**CHILD_ENV, "NO_MKDOCS_2_WARNING": "1"}
    procs = {}
    for name, config in configs.items():
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(config)],
            cwd=a.vault,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        procs[name] = proc
    note = min((a.vault / "notes").rglob("*.md"))
    original = note.read_bytes()
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in procs}
    try:
        for i in range(a.edits):
            for name, proc in procs.items():
                note.write_bytes(original + f"\nEdit {i} at {time.time()}.\n".encode())
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write("rebuild\n")
                proc.stdin.flush()
                times[name].append(tuple(json.loads(proc.stdout.readline())))
    finally:
        note.write_bytes(original)
        for proc in procs.values():
            proc.kill()
    wall = {name: statistics.median(t[0] for t in ts) for name, ts in times.items()}
    cpu = {name: statistics.median(t[1] for t in ts) for name, ts in times.items()}
    print(f"| rebuild after one edit, {a.vault.name} | wall s | CPU s |")
    print("|---|---:|---:|")
    for name in procs:
        print(f"| {name} | {wall[name]:.2f} | {cpu[name]:.2f} |")
    ratio = wall["with fmkb"] / wall["without fmkb"]
    print(f"\nwith fmkb / without: {ratio:.2f}x wall, {cpu['with fmkb'] / cpu['without fmkb']:.2f}x CPU (target 1.30x)")
    return 0 if ratio <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main())
