"""Benchmark runner: medians over several runs, and ratios measured in the same run.

    python benchmarks/run.py [--sizes 1000,5000,10000] [--runs 3] [--build-notes 1000] [--out DIR]

Pairs measured (each as a ratio in one run, on vaults made by generate.py):
  * `fmkb check` against the read-and-scan floor (floor.py): warm (both caches present,
    nothing changed), one note's text edited, one note's heading renamed (the notes
    linking to it are checked again), a bib entry added (the bibliography is parsed
    again: it is not in the cache), bibliography cache only (no check cache, as after
    switching branches: every note is checked again), and no cache at all (a first run);
  * `mkdocs build` with the fmkb plugin against the same build without it;
and the growth of `fmkb check` time with N, fitted as time = a * N^k (linear means k = 1).
Exit status 1 when a target is missed: the planted errors not all found, growth worse than
linear by more than 20%, or peak memory over 500 MB.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

from fmkb.cachefile import default_dir  # noqa: E402

# Children run as a user's shell runs them: with Python's bytecode cache on, whatever this
# shell says (a PYTHONDONTWRITEBYTECODE here would recompile fmkb on every run).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, str]:
    """(wall seconds, stdout) of one child process."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env={**CHILD_ENV, **(env or {})})
    return time.perf_counter() - start, proc.stdout


def median_of(runs: int, fn) -> tuple[float, list[float]]:
    values = [fn() for _ in range(runs)]
    return statistics.median(values), values


def fit_exponent(ns: list[int], ts: list[float]) -> float:
    xs, ys = [math.log(n) for n in ns], [math.log(t) for t in ts]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def peak_rss_mb(cmd: list[str], cwd: Path) -> float:
    """Peak RSS of one run, measured by a fresh wrapper process (so earlier children do not count)."""
    code = (
        "import resource,subprocess,sys;subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,"
        "stderr=subprocess.DEVNULL);print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *cmd], cwd=cwd, capture_output=True, text=True, env=CHILD_ENV
    ).stdout
    return int(out.strip()) / 1024


SCENARIOS = ("warm", "edit", "heading", "bib_edit", "bib_only", "cold")


def bench_check(root: Path, runs: int) -> dict:
    fmkb = [sys.executable, "-m", "fmkb", "check", "--format", "json"]
    floor = [sys.executable, str(HERE / "floor.py"), "."]
    cache = Path(default_dir(str(root)))  # fmkb's cache folder for this vault (in the user's cache)
    edited = min((root / "notes").rglob("*.md"))
    original = edited.read_bytes()
    timed(fmkb, root)  # warm the OS file cache and both caches

    def cold() -> float:
        shutil.rmtree(cache, ignore_errors=True)
        return timed(fmkb, root)[0]

    def bib_only() -> float:  # no usable check cache (e.g. after switching branches): every note checked
        for stale in cache.glob("check-*.json"):
            stale.unlink()
        return timed(fmkb, root)[0]

    def one_edit() -> float:  # the common case: one note's text changed
        edited.write_bytes(original + f"\nEdited at {time.time()}.\n".encode())
        return timed(fmkb, root)[0]

    bib = root / "references.bib"
    bib_text = bib.read_bytes()

    def bib_edit() -> float:  # a new entry: the bibliography is parsed again (not cached), notes are not
        key = f"zz{int(time.time() * 1e6)}"
        entry = f"\n@misc{{{key}, title = {{T}}, author = {{A, B}}, year = {{2024}}, howpublished = {{x}}}}\n"
        bib.write_bytes(bib_text + entry.encode())
        return timed(fmkb, root)[0]

    def heading_edit() -> float:  # one note's identity changed: the notes linking to it are checked again
        edited.write_bytes(original.replace(b"\n## ", f"\n## Renamed {time.time()} ".encode(), 1))
        return timed(fmkb, root)[0]

    rows = {}
    floor_t, _ = median_of(runs, lambda: timed(floor, root)[0])
    warm_t, _ = median_of(runs, lambda: timed(fmkb, root)[0])
    edit_t, _ = median_of(runs, one_edit)
    heading_t, _ = median_of(runs, heading_edit)
    edited.write_bytes(original)
    bib_edit_t, _ = median_of(runs, bib_edit)
    bib.write_bytes(bib_text)
    bib_t, _ = median_of(runs, bib_only)
    cold_t, _ = median_of(runs, cold)
    _, out = timed(fmkb, root)
    found = json.loads(out)["diagnostics"]
    planted = json.loads((root / "planted.json").read_text())
    have = {(d["path"], d["line"], d["column"], d["rule"]) for d in found}
    missing = [p for p in planted if (p["path"], p["line"], p["column"], p["rule"]) not in have]
    rows.update(
        floor=floor_t,
        warm=warm_t,
        edit=edit_t,
        heading=heading_t,
        bib_edit=bib_edit_t,
        bib_only=bib_t,
        cold=cold_t,
        planted=len(planted),
        missing=len(missing),
        rss=max(peak_rss_mb(fmkb, root), peak_rss_mb(fmkb + ["--no-cache"], root)),
    )
    return rows


def bench_build(root: Path, runs: int) -> dict:
    with_plugin = root / "mkdocs.yml"
    without = root / "mkdocs-plain.yml"
    without.write_text(with_plugin.read_text().replace("  - fmkb:\n      bibliography: references.bib\n", ""))
    env = {"NO_MKDOCS_2_WARNING": "1"}
    plain_t, _ = median_of(runs, lambda: timed(["mkdocs", "build", "-q", "-f", str(without)], root, env)[0])
    fmkb_t, _ = median_of(runs, lambda: timed(["mkdocs", "build", "-q", "-f", str(with_plugin)], root, env)[0])
    size = sum(f.stat().st_size for f in (root / "site").rglob("*") if f.is_file()) / 1e6
    index = (root / "site" / "search" / "search_index.json").stat().st_size / 1e6
    return {"plain": plain_t, "fmkb": fmkb_t, "site_mb": size, "index_mb": index}


def bench_search(root: Path, query: str) -> dict:
    """Build the site and measure its search in headless Chromium."""
    build_s, _ = timed(["mkdocs", "build", "-q"], root, {"NO_MKDOCS_2_WARNING": "1"})
    return {"build": build_s, **measure_search(root / "site", query)}


def measure_search(site: Path, query: str, start_page: str = "papers/") -> dict:
    """Open a page, search, and count the bytes downloaded until the first result shows
    (the reader's cost of search at this scale)."""
    import functools
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{start_page}"
    got = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.on("response", lambda r: got.append(len(r.body()) if r.ok else 0))
        started = time.perf_counter()
        page.goto(url)
        page.locator("label.md-search__icon, .md-search__input").first.click()
        page.locator("input.md-search__input").type(query, delay=20)
        page.locator("a.md-search-result__link").first.wait_for(timeout=120_000)
        seconds = time.perf_counter() - started
        first = page.locator("a.md-search-result__link").first.inner_text()
        browser.close()
    server.shutdown()
    index = (site / "search" / "search_index.json").stat().st_size
    return {"downloaded_mb": sum(got) / 1e6, "index_mb": index / 1e6, "first_result_s": seconds, "first": first}


def main() -> int:
    p = argparse.ArgumentParser(description="fmkb benchmarks")
    p.add_argument("--sizes", default="1000,5000,10000")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--build-notes", type=int, default=1000, help="vault size for the mkdocs build pair (0: skip)")
    p.add_argument("--out", type=Path, default=None, help="keep the vaults here (default: a temp folder)")
    p.add_argument("--search-notes", type=int, default=0, help="vault size for the search download measure (0: skip)")
    a = p.parse_args()
    base = a.out or Path(tempfile.mkdtemp(prefix="fmkb-bench-"))
    sizes = [int(s) for s in a.sizes.split(",")]
    ok = True
    print(f"# fmkb benchmark: {os.cpu_count()} cores, Python {sys.version.split()[0]}, median of {a.runs} runs\n")
    print(
        "| notes | entries | floor s | warm s | note edited s | heading renamed s | bib edited s "
        "| no check cache s | no cache s | warm | edited | renamed | bib edited | no check cache | no cache "
        "| peak MB | planted |"
    )
    print("|" + "---:|" * (5 + 2 * len(SCENARIOS)))
    times: dict[str, list[float]] = {"edit": [], "bib_only": [], "cold": []}
    for n in sizes:
        root = base / f"vault-{n}"
        if not (root / "planted.json").exists():
            generate(root, n, 2 * n, seed=1)
        r = bench_check(root, a.runs)
        for key, values in times.items():
            values.append(r[key])
        f = r["floor"]
        print(
            f"| {n:,} | {2 * n:,} | {f:.2f} | "
            + " | ".join(f"{r[k]:.2f}" for k in SCENARIOS)
            + " | "
            + " | ".join(f"{r[k] / f:.2f}x" for k in SCENARIOS)
            + f" | {r['rss']:.0f} | {r['planted'] - r['missing']}/{r['planted']} |"
        )
        ok &= r["missing"] == 0 and r["rss"] < 500
    if len(sizes) >= 2:
        for key, label in (("edit", "note edited"), ("bib_only", "no check cache"), ("cold", "cold")):
            k = fit_exponent(sizes, times[key])
            print(f"\nGrowth of `fmkb check` ({label}) with N: time ~ N^{k:.2f} (fails above N^1.20)")
            ok &= k <= 1.2
    if a.build_notes:
        root = base / f"vault-{a.build_notes}"
        if not (root / "planted.json").exists():
            generate(root, a.build_notes, 2 * a.build_notes, seed=1)
        b = bench_build(root, a.runs)
        print(
            f"\n| mkdocs build, {a.build_notes:,} notes | without fmkb s | with fmkb s | overhead | site MB "
            "| search index MB |"
        )
        print("|---|---:|---:|---:|---:|---:|")
        print(
            f"| navigation.prune | {b['plain']:.2f} | {b['fmkb']:.2f} | {100 * (b['fmkb'] / b['plain'] - 1):+.0f}% "
            f"| {b['site_mb']:.0f} | {b['index_mb']:.1f} |"
        )
    if a.search_notes:
        root = base / f"vault-{a.search_notes}"
        if not (root / "planted.json").exists():
            generate(root, a.search_notes, 2 * a.search_notes, seed=1)
        r = bench_search(root, "Alias 00042")
        print(
            f"\n| search, {a.search_notes:,} notes | build s | search index MB | downloaded before first result MB "
            "| time to first result s |"
        )
        print("|---|---:|---:|---:|---:|")
        print(
            f"| Material search, fmkb compact index | {r['build']:.0f} | {r['index_mb']:.1f} | "
            f"{r['downloaded_mb']:.1f} | {r['first_result_s']:.1f} |"
        )
        ok &= r["downloaded_mb"] < 10
    print(f"\nvaults in {base}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
