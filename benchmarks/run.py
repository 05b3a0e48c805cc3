"""Benchmark runner: medians over several runs, and ratios measured in the same run.

    python benchmarks/run.py [--sizes 1000,5000,10000] [--runs 3] [--build-sizes 1000,10000] [--zensical] [--out DIR]

Variants are interleaved (one run of each per round, rounds repeated), so the machine's
load reaches all alike; each run reports wall and CPU seconds (user + system of the whole
process tree) and the tree's peak resident memory (sampled from /proc every 10 ms).

Pairs measured (each as a ratio in one run, on vaults made by generate.py):
  * `fmkb check` against the read-and-scan floor (floor.py): warm (both caches present,
    nothing changed), one note's text edited, one note's heading renamed (the notes
    linking to it are checked again), a bib entry added (the bibliography is parsed
    again: it is not in the cache), bibliography cache only (no check cache, as after
    switching branches: every note is checked again), and no cache at all (a first run);
  * `mkdocs build` with the shipped theme and extensions, with the fmkb plugin and (at the
    first build size) without it; the site's size and its median note page;
  * with `--zensical`, `fmkb zensical` on the same configuration (the engine, the stage,
    `zensical build` in a child process, the finish), in the same rounds as the MkDocs
    builds, with its site's size;
and the growth of `fmkb check` time with N, fitted as time = a * N^k (linear means k = 1),
and of the site's size and build time per note between the build sizes.
Exit status 1 when a target is missed: the planted errors not all found, growth worse than
linear by more than 20%, peak memory over 500 MB, or per-note size or time up by over 1.3x.
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

from fmkb.cachefile import default_dir  # noqa: E402

# Children run as a user's shell runs them: with Python's bytecode cache on, whatever this
# shell says (a PYTHONDONTWRITEBYTECODE here would recompile fmkb on every run).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


@dataclass
class Sample:
    """One run of a command: wall and CPU seconds (user + system, the whole process tree:
    forked workers are waited for, so they count), the tree's peak resident memory, output."""

    wall: float
    cpu: float
    peak_mb: float
    stdout: str


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc (0 where unreadable)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
            with open(f"/proc/{p}/task/{p}/children") as fh:
                todo += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
    return total


def measure(cmd: list[str], cwd: Path, env: dict | None = None) -> Sample:
    """Run `cmd`, sampling the process tree's memory every 10 ms."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL, env={**CHILD_ENV, **(env or {})})
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss_kb(proc.pid))
            time.sleep(0.01)
        wall = time.perf_counter() - start
        out.seek(0)
        stdout = out.read().decode("utf-8", "replace")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(wall, cpu, peak / 1024, stdout)


def timed(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, str]:
    """(wall seconds, stdout) of one child process."""
    sample = measure(cmd, cwd, env)
    return sample.wall, sample.stdout


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


SCENARIOS = ("warm", "edit", "heading", "bib_edit", "bib_only", "cold")  # each against the floor


def bench_check(root: Path, runs: int) -> dict:
    fmkb = [sys.executable, "-m", "fmkb", "check", "--format", "json"]
    floor = [sys.executable, str(HERE / "floor.py"), "."]
    cache = Path(default_dir(str(root)))  # fmkb's cache folder for this vault (in the user's cache)
    edited = min((root / "notes").rglob("*.md"))
    original = edited.read_bytes()
    timed(fmkb, root)  # warm the OS file cache and both caches

    bib = root / "references.bib"
    bib_text = bib.read_bytes()

    def new_entry() -> bytes:  # a new entry: the bibliography is parsed again (not cached), notes are not
        key = f"zz{int(time.time() * 1e6)}"
        return f"\n@misc{{{key}, title = {{T}}, author = {{A, B}}, year = {{2024}}, howpublished = {{x}}}}\n".encode()

    def restore() -> None:  # the vault as generated, and fmkb's caches filled for it (untimed)
        edited.write_bytes(original)
        bib.write_bytes(bib_text)
        timed(fmkb, root)

    # Every variant runs once per round, the rounds repeated `runs` times: a change in the
    # machine's load during the benchmark reaches every variant alike (their ratios hold).
    rounds: list[tuple[str, Callable[[], object], list[str]]] = [
        ("floor", lambda: None, floor),
        ("warm", lambda: None, fmkb),
        ("edit", lambda: edited.write_bytes(original + f"\nEdited at {time.time()}.\n".encode()), fmkb),
        ("heading", lambda: edited.write_bytes(original.replace(b"\n## ", f"\n## {time.time()} ".encode(), 1)), fmkb),
        ("bib_edit", lambda: (edited.write_bytes(original), bib.write_bytes(bib_text + new_entry())), fmkb),
        ("bib_only", lambda: (restore(), [stale.unlink() for stale in cache.glob("check-*.json")]), fmkb),
        ("cold", lambda: shutil.rmtree(cache, ignore_errors=True), fmkb),
    ]
    samples: dict[str, list[Sample]] = {name: [] for name, _, _ in rounds}
    for _ in range(runs):
        restore()
        for name, setup, cmd in rounds:
            setup()
            samples[name].append(measure(cmd, root))
    restore()
    _, out = timed(fmkb, root)
    found = json.loads(out)["diagnostics"]
    planted = json.loads((root / "planted.json").read_text())
    have = {(d["path"], d["line"], d["column"], d["rule"]) for d in found}
    missing = [p for p in planted if (p["path"], p["line"], p["column"], p["rule"]) not in have]
    rows: dict = {name: statistics.median(x.wall for x in xs) for name, xs in samples.items()}
    rows.update({name + "_cpu": statistics.median(x.cpu for x in xs) for name, xs in samples.items()})
    rows.update(
        planted=len(planted),
        missing=len(missing),
        rss=max(x.peak_mb for xs in samples.values() for x in xs),
    )
    return rows


SHIPPED = Path(__file__).resolve().parent.parent / "mkdocs.yml"


def site_config(root: Path, plugin: bool) -> Path:
    """An mkdocs.yml for a generated vault with the shipped theme and Markdown extensions
    (the house rules left out: synthetic notes are not written to them)."""
    text = SHIPPED.read_text(encoding="utf-8")
    theme = text[text.index("theme:") : text.index("\nplugins:")]
    head = f"site_name: synthetic\ndocs_dir: notes\nsite_dir: {'site' if plugin else 'site-plain'}\n"
    fmkb = "  - fmkb:\n      bibliography: references.bib\n" if plugin else ""
    plugins = "\nplugins:\n  - search\n  - tags\n" + fmkb
    path = root / ("mkdocs-shipped.yml" if plugin else "mkdocs-shipped-plain.yml")
    path.write_text(head + theme + plugins, encoding="utf-8")
    return path


def site_facts(site: Path) -> dict:
    """Size of the site, and of its median note page (the pages under papers/, models/...)."""
    files = [f for f in site.rglob("*") if f.is_file()]
    notes = sorted(
        f.stat().st_size
        for f in files
        if f.name == "index.html" and len(f.relative_to(site).parts) == 3  # <section>/<note>/index.html
    )
    return {
        "site_mb": sum(f.stat().st_size for f in files) / 1e6,
        "page_kb": statistics.median(notes) / 1e3 if notes else 0.0,
        "pages": len(notes),
    }


def bench_build(root: Path, runs: int, plain: bool = True, zensical: bool = False) -> dict:
    """`mkdocs build` with the shipped configuration, with fmkb and (interleaved, when `plain`)
    without it, and (when `zensical`) `fmkb zensical` on the same configuration: wall and CPU
    seconds, the process tree's peak memory (Zensical's child process included), the sites' sizes."""
    env = {"NO_MKDOCS_2_WARNING": "1"}
    config = site_config(root, True)
    variants = [("fmkb", [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config)])]
    if plain:
        variants.append(("plain", [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(site_config(root, False))]))
    if zensical:
        variants.append(("zensical", [sys.executable, "-m", "fmkb", "-f", str(config), "zensical"]))
    samples: dict[str, list[Sample]] = {name: [] for name, _ in variants}
    facts: dict = {}
    for _ in range(runs):
        for name, cmd in variants:
            samples[name].append(measure(cmd, root, env))
            if name == "fmkb":
                facts.update(site_facts(root / "site"))
            elif name == "zensical":
                if not (root / "site-zensical" / ".fmkb-zensical-site").is_file():
                    raise SystemExit(f"fmkb zensical built no site in {root}: run it there to see why")
                facts.update({"zensical_" + k: v for k, v in site_facts(root / "site-zensical").items()})
    out = {name: statistics.median(x.wall for x in xs) for name, xs in samples.items()}
    out.update({name + "_cpu": statistics.median(x.cpu for x in xs) for name, xs in samples.items()})
    out.update({name + "_mb": max(x.peak_mb for x in xs) for name, xs in samples.items()})
    return {**out, **facts}


def note_title(root: Path, i: int) -> str:
    """The title of generated note number `i`."""
    path = next((root / "notes").glob(f"*/* {i:05d}.md"))
    return path.stem


def bench_search(root: Path, built: bool) -> list[dict]:
    """Search the fmkb site at `root` in headless Chromium (built first unless `built`): for an
    alias, a word found deep in one note's body and an exact title, the bytes downloaded and the
    seconds from opening a page until the expected note is the first result."""
    if not built:
        measure(["mkdocs", "build", "-q", "-f", str(site_config(root, True))], root, {"NO_MKDOCS_2_WARNING": "1"})
    n = sum(1 for _ in (root / "notes").rglob("*.md"))
    cases = [
        ("alias", f"Alias {42 % n:05d}", note_title(root, 42 % n)),
        ("word deep in one note", f"ledger{(n * 3 // 7):05d}", note_title(root, n * 3 // 7)),
        ("exact title", note_title(root, n - 1), note_title(root, n - 1)),
    ]
    start = "papers/" + slug(note_title(root, 0)) + "/"  # note 0 is a paper: a reader's landing page
    return [
        {"case": case, "query": q, **measure_search(root / "site", q, expected, start)} for case, q, expected in cases
    ]


def slug(title: str) -> str:
    return "-".join(title.lower().split())


FIRST_RESULT = """expected => {
  const lists = [...document.querySelectorAll('.md-search-result__list')].filter(l => l.offsetParent !== null);
  const first = lists.length && lists[0].querySelector('li article h1');
  return !!first && first.textContent.trim() === expected;
}"""


def measure_search(site: Path, query: str, expected: str, start_page: str) -> dict:
    """Open a note's page in a fresh browser, type `query` as a reader does, and count the bytes
    downloaded until `expected` is the first result (a result for a partly typed query or a
    wrong first result does not count)."""
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
    got: list[int] = []
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
        page.wait_for_function(FIRST_RESULT, arg=expected, timeout=300_000, polling=50)
        seconds = time.perf_counter() - started
        downloaded = sum(got)
        browser.close()
    server.shutdown()
    index = sum(f.stat().st_size for f in (site / "search").rglob("*") if f.is_file())
    return {"downloaded_mb": downloaded / 1e6, "index_mb": index / 1e6, "first_result_s": seconds}


def main() -> int:
    p = argparse.ArgumentParser(description="fmkb benchmarks")
    p.add_argument("--sizes", default="1000,5000,10000")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--build-sizes", default="1000,10000", help="vault sizes for `mkdocs build` ('': skip)")
    p.add_argument("--build-runs", type=int, default=1, help="builds per variant (plain: at the first size only)")
    p.add_argument("--zensical", action="store_true", help="also time `fmkb zensical` (pip install '.[zensical]')")
    p.add_argument("--out", type=Path, default=None, help="keep the vaults here (default: a temp folder)")
    p.add_argument("--search-notes", type=int, default=0, help="vault size for the search download measure (0: skip)")
    a = p.parse_args()
    base = a.out or Path(tempfile.mkdtemp(prefix="fmkb-bench-"))
    sizes = [int(s) for s in a.sizes.split(",") if s]
    ok = True
    print(
        f"# fmkb benchmark: {len(os.sched_getaffinity(0))} usable cores, Python {sys.version.split()[0]}, "
        f"median of {a.runs} interleaved rounds\n"
    )
    if sizes:
        print("`fmkb check`: wall s (CPU s, the whole process tree), each also as a multiple of the floor's\n")
        print("| notes | floor | " + " | ".join(LABELS[k] for k in SCENARIOS) + " | peak MB (tree) | planted |")
        print("|" + "---:|" * (4 + len(SCENARIOS)))
    times: dict[str, list[float]] = {"edit": [], "bib_only": [], "cold": []}
    for n in sizes:
        root = vault(base, n)
        r = bench_check(root, a.runs)
        for key, values in times.items():
            values.append(r[key])
        f, fc = r["floor"], r["floor_cpu"]
        cells = [f"{r[k]:.2f} ({r[k + '_cpu']:.2f}): {r[k] / f:.2f}x ({r[k + '_cpu'] / fc:.2f}x)" for k in SCENARIOS]
        print(
            f"| {n:,} | {f:.2f} ({fc:.2f}) | " + " | ".join(cells) + f" | {r['rss']:.0f} | "
            f"{r['planted'] - r['missing']}/{r['planted']} |"
        )
        ok &= r["missing"] == 0 and r["rss"] < 500
    if len(sizes) >= 2:
        for key, label in (("edit", "note edited"), ("bib_only", "no check cache"), ("cold", "cold")):
            k = fit_exponent(sizes, times[key])
            print(f"\nGrowth of `fmkb check` ({label}) with N: time ~ N^{k:.2f} (fails above N^1.20)")
            ok &= k <= 1.2
    build_sizes = [int(s) for s in a.build_sizes.split(",") if s]
    built: set[int] = set()  # vault sizes whose fmkb site is in place
    if build_sizes:
        print("\n`mkdocs build` with the shipped theme and extensions: wall s (CPU s), peak MB of the process tree\n")
        print("| notes | with fmkb | without fmkb | site MB | median note page KB | KB per note | s per note |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        per_note: list[tuple[int, float, float]] = []
        zensical_rows: list[str] = []
        for i, n in enumerate(build_sizes):
            built.add(n)
            b = bench_build(vault(base, n), a.build_runs, plain=i == 0, zensical=a.zensical)
            if "zensical" in b:
                zensical_rows.append(
                    f"| {n:,} | {b['fmkb']:.1f} ({b['fmkb_cpu']:.1f}), {b['fmkb_mb']:.0f} MB | "
                    f"{b['zensical']:.1f} ({b['zensical_cpu']:.1f}), {b['zensical_mb']:.0f} MB | "
                    f"{b['site_mb']:.0f} | {b['zensical_site_mb']:.0f} | "
                    f"{b['page_kb']:.1f} | {b['zensical_page_kb']:.1f} |"
                )
            plain = f"{b['plain']:.1f} ({b['plain_cpu']:.1f}), {b['plain_mb']:.0f} MB" if "plain" in b else "not run"
            print(
                f"| {n:,} | {b['fmkb']:.1f} ({b['fmkb_cpu']:.1f}), {b['fmkb_mb']:.0f} MB | {plain} | "
                f"{b['site_mb']:.0f} | {b['page_kb']:.1f} | {1e3 * b['site_mb'] / n:.1f} | {b['fmkb'] / n:.3f} |"
            )
            per_note.append((n, b["site_mb"] / n, b["fmkb"] / n))
        if len(per_note) >= 2:
            (n0, size0, time0), (n1, size1, time1) = per_note[0], per_note[-1]
            print(
                f"\nFrom {n0:,} to {n1:,} notes, per note: site size x{size1 / size0:.2f}, build time "
                f"x{time1 / time0:.2f} (target: at most x1.30 each)"
            )
            ok &= size1 / size0 <= 1.3 and time1 / time0 <= 1.3
        if zensical_rows:
            print("\nThe same vaults, the same rounds: `mkdocs build` and `fmkb zensical` (wall s (CPU s), peak MB of")
            print("the process tree, Zensical's own process included), each site's size and median note page\n")
            print(
                "| notes | mkdocs build | fmkb zensical | MkDocs site MB | Zensical site MB "
                "| MkDocs page KB | Zensical page KB |"
            )
            print("|---:|---:|---:|---:|---:|---:|---:|")
            print("\n".join(zensical_rows))
    if a.search_notes:
        root = vault(base, a.search_notes)
        rows = bench_search(root, built=a.search_notes in built)
        print(
            f"\nSearch at {a.search_notes:,} notes (sharded index, {rows[0]['index_mb']:.0f} MB on disk), in headless "
            "Chromium from opening a page until the expected note is the first result\n"
        )
        print("| query | downloaded MB | seconds |")
        print("|---|---:|---:|")
        for r in rows:
            print(f"| {r['case']}: `{r['query']}` | {r['downloaded_mb']:.2f} | {r['first_result_s']:.1f} |")
            ok &= r["downloaded_mb"] <= 1.0
    print(f"\nvaults in {base}")
    return 0 if ok else 1


LABELS = {
    "warm": "warm",
    "edit": "note edited",
    "heading": "heading renamed",
    "bib_edit": "bib edited",
    "bib_only": "no check cache",
    "cold": "no cache",
}


def vault(base: Path, n: int) -> Path:
    root = base / f"vault-{n}"
    if not (root / "planted.json").exists():
        generate(root, n, 2 * n, seed=1)
    return root


if __name__ == "__main__":
    sys.exit(main())
