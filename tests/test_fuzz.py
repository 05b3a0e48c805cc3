"""A bounded fuzz run: mutated real notes and bibliography blocks through the whole engine.

Runs for FMKB_FUZZ_SECONDS (default 15) with a seed from FMKB_FUZZ_SEED (printed on
failure, so a crash can be replayed). Every input must give diagnostics, never an
exception, with positions inside the input.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

from fmkb.bibliography import parse_bibliography_bytes
from fmkb.config import MarkdownSetup
from fmkb.load import load_note
from fmkb.publish import HeadingIds
from fmkb.render import BibView, PageContext, render_body
from fmkb.resolve import build_index, check_link

ROOT = Path(__file__).resolve().parent.parent
TOKENS = [
    b"[[",
    b"]]",
    b"![[",
    b"|",
    b"\\|",
    b"#",
    b"#^",
    b"[@",
    b"@",
    b"-@",
    b"; ",
    b"]",
    b"`",
    b"```",
    b"~~~",
    b"$",
    b"$$",
    b"%%",
    b"<!--",
    b"-->",
    b"---\n",
    b"\n",
    b"\r\n",
    b"\r",
    b"\t",
    b"    ",
    b"\x00",
    b"\xff",
    b"\xef\xbb\xbf",
    b"<script>",
    b"<a href='javascript:x'>",
    b" onerror=",
    b"](",
    b"{",
    b"}",
    b"&",
    b"*: ",
    b"- ",
    b"&a [*a, *a]",
    b"!!python/object:os.system",
    b"\\",
]
BIB_TOKENS = [
    b"@misc{",
    b"@article{",
    b"@string{",
    b"}",
    b"{",
    b'"',
    b",",
    b" # ",
    b"=",
    b"year = 2020",
    b"\n",
    b"doi = {10.1/x}",
    b"eprint = {2001.08361}",
    b'\\"o',
    b"@comment{",
]


def mutate(rng: random.Random, data: bytes, tokens: list[bytes]) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        op = rng.randrange(4)
        pos = rng.randint(0, len(data))
        if op == 0:
            data[pos:pos] = rng.choice(tokens)
        elif op == 1 and data:
            del data[pos : pos + rng.randint(1, 40)]
        elif op == 2 and data:
            chunk = data[pos : pos + rng.randint(1, 200)]
            data[rng.randint(0, len(data)) : 0] = chunk * rng.randint(1, 5)
        else:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(data)


def test_fuzz_engine_for_a_bounded_time():
    seconds = float(os.environ.get("FMKB_FUZZ_SECONDS", "15"))
    seed = int(os.environ.get("FMKB_FUZZ_SEED", str(int(time.time()))))
    rng = random.Random(seed)
    corpus = [p.read_bytes() for p in sorted((ROOT / "notes").rglob("*.md"))[:40]]
    bib_corpus = (ROOT / "references.bib").read_bytes().split(b"\n\n")
    bib = parse_bibliography_bytes((ROOT / "references.bib").read_bytes(), "references.bib")
    view = BibView(bib)
    deadline = time.monotonic() + seconds
    runs = 0
    while time.monotonic() < deadline:
        raw = mutate(rng, rng.choice(corpus), TOKENS)
        try:
            note, diags = load_note("papers/x.md", raw)
            other, _ = load_note("b.md", mutate(rng, rng.choice(corpus), TOKENS))
            lines = note.text.count("\n") + 1
            for d in diags:
                assert 1 <= d.line <= lines + 1 and d.column >= 1, d
            index = build_index([note, other])
            for link in note.links:
                check_link(index, note, link)
            ctx = PageContext(index, HeadingIds(MarkdownSetup()), lambda p: p)
            render_body(note, note.text[note.body_start :], ctx, view)
            block = mutate(rng, b"\n\n".join(rng.sample(bib_corpus, 2)), BIB_TOKENS)
            for d in parse_bibliography_bytes(block, "r.bib").diagnostics:
                assert d.line >= 1
        except Exception as e:  # pragma: no cover - a finding
            raise AssertionError(f"fuzz finding (FMKB_FUZZ_SEED={seed}, run {runs}): {e!r}\n{raw[:2000]!r}") from e
        runs += 1
    assert runs > 10
