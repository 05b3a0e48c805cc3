"""Generate a deterministic, realistic synthetic vault for benchmarks.

    python benchmarks/generate.py OUT_DIR --notes 1000 --entries 2000 [--seed 1]

Writes OUT_DIR/mkdocs.yml, OUT_DIR/references.bib, OUT_DIR/notes/**.md and
OUT_DIR/planted.json (the planted errors: path, line, column, rule). Notes have
300 to 1,500 words, 5 to 15 wiki-links in every syntax form, 2 to 6 citations,
headings, a code block and math; the same seed always gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

WORDS = (
    "model scaling data training loss token parameter compute transformer attention layer language vision "
    "benchmark evaluation alignment reward policy feedback pretraining fine-tuning prompt context emergent "
    "capability dataset corpus encoder decoder embedding latent diffusion image text speech audio protein "
    "efficient sparse quantized distillation adapter low-rank gradient optimizer schedule batch throughput "
    "accuracy error bias fairness safety robustness interpretability probe circuit neuron head residual "
    "the a of to and in for with on by is are was were that this these which as from at be can than more"
).split()
FOLDERS = {"paper": "papers", "concept": "concepts", "model": "models", "resource": "resources"}
KINDS = ["paper"] * 4 + ["concept"] * 3 + ["model"] * 2 + ["resource"]
SURNAMES = [
    "Smith",
    "Wang",
    "Garcia",
    "Müller",
    "Nakamura",
    "Okafor",
    "Ivanova",
    "Kaplan",
    "Rossi",
    "Silva",
    "Kowalski",
    "Dubois",
    "Haddad",
    "Lindqvist",
    "O'Brien",
    "Chen",
    "Patel",
    "Schmidt",
    "Novak",
    "Kim",
]
GIVEN = ["Ana", "Ben", "Chen", "Dana", "Eli", "Fatima", "Goran", "Hana", "Ivo", "Jun", "Kofi", "Lena"]
MUELLER_LATEX = 'M{\\"u}ller'  # LaTeX in a name, as real bibliographies have
VENUES = [
    ("article", "journal", "Journal of Machine Learning Research"),
    ("article", "journal", "Transactions on Machine Learning Research"),
    ("inproceedings", "booktitle", "Advances in Neural Information Processing Systems"),
    ("inproceedings", "booktitle", "International Conference on Learning Representations"),
    ("misc", None, None),
]


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def make_bib(rng: random.Random, m: int) -> tuple[str, list[tuple[str, int]]]:
    out, keys = [], []
    for i in range(m):
        year = rng.randint(2015, 2025)
        first = rng.choice(SURNAMES)
        key = f"{first.lower().replace('ü', 'u').replace(chr(39), '')}{year}w{i}"
        authors = " and ".join(f"{rng.choice(SURNAMES)}, {rng.choice(GIVEN)}" for _ in range(rng.randint(1, 8)))
        authors = f"{first}, {rng.choice(GIVEN)} and " + authors
        kind, field, venue = rng.choice(VENUES)
        authors = authors.replace("Müller", MUELLER_LATEX)
        title = f"{words(rng, rng.randint(4, 12)).capitalize()} {{LLM}} {i}"
        lines = [
            f"@{kind}{{{key},",
            f"  title  = {{{title}}},",
            f"  author = {{{authors}}},",
            f"  year   = {{{year}}},",
        ]
        if field:
            lines.append(f"  {field} = {{{venue}}},")
        if i % 2:
            lines.append(f"  doi    = {{10.{5000 + i % 4000}/synthetic.{i}}},")
            if kind == "misc":
                lines.append(f"  url    = {{https://example.org/synthetic/{i}}},")
        else:
            lines.append(f"  eprint = {{{2000 + i // 100000}.{i % 100000:05d}}},")
            lines.append("  archivePrefix = {arXiv},")
        lines.append("}")
        out.append("\n".join(lines))
        keys.append((key, year))
    return "\n\n".join(out) + "\n", keys


def generate(out: Path, n_notes: int, n_entries: int, seed: int = 1) -> dict:
    rng = random.Random(seed)
    bib, keys = make_bib(rng, n_entries)
    (out / "notes").mkdir(parents=True, exist_ok=True)
    (out / "references.bib").write_text(bib, encoding="utf-8")
    (out / "mkdocs.yml").write_text(
        "site_name: synthetic\ndocs_dir: notes\nsite_dir: site\ntheme:\n  name: material\n"
        "  features: [navigation.prune, navigation.indexes]\nmarkdown_extensions:\n  - toc\n  - tables\n"
        "plugins:\n  - search\n  - fmkb:\n      bibliography: references.bib\n",
        encoding="utf-8",
    )
    notes = []
    for i in range(n_notes):
        kind = KINDS[i % len(KINDS)]
        stem = f"{words(rng, 2).title()} {i:05d}"
        sections = [f"Section {s} {rng.choice(WORDS)}" for s in range(rng.randint(3, 6))]
        notes.append(
            {
                "i": i,
                "kind": kind,
                "stem": stem,
                "folder": FOLDERS[kind],
                "sections": sections,
                "alias": f"Alias {i:05d}",
                "key": keys[i % len(keys)],
            }
        )
    planted = []
    plant_every = max(1, n_notes // 5)
    for note in notes:
        lines = [
            "---",
            f"title: {note['stem']}",
            f"kind: {note['kind']}",
            f"aliases: [{note['alias']}]",
            f'tags: ["{rng.choice(WORDS)}", synthetic]',
            f"description: {words(rng, 8)}",
        ]
        if note["kind"] == "paper":
            lines += [f"cite: {note['key'][0]}", f"year: {note['key'][1]}"]
        lines += ["---", "", f"# {note['stem']}", ""]
        total_words = rng.randint(300, 1500)
        n_links = rng.randint(5, 15)
        n_cites = rng.randint(2, 6)
        per_section = max(1, total_words // len(note["sections"]))
        link_slots = [rng.randrange(len(note["sections"])) for _ in range(n_links)]
        cite_slots = [rng.randrange(len(note["sections"])) for _ in range(n_cites)]
        for s, heading in enumerate(note["sections"]):
            lines += [f"## {heading}", ""]
            para = words(rng, per_section).split()
            inserts = []
            for _ in range(link_slots.count(s)):
                t = rng.choice(notes)
                form = rng.randrange(7)
                if form == 0:
                    inserts.append(f"[[{t['stem']}]]")
                elif form == 1:
                    inserts.append(f"[[{t['stem']}|{words(rng, 2)}]]")
                elif form == 2:
                    inserts.append(f"[[{t['stem']}#{rng.choice(t['sections'])}]]")
                elif form == 3:
                    inserts.append(f"[[{t['folder']}/{t['stem']}]]")
                elif form == 4:
                    inserts.append(f"[[{t['alias']}]]")
                elif form == 5:
                    inserts.append(f"[[#{rng.choice(note['sections'])}]]")
                else:
                    inserts.append(f"[[{t['stem']}.md|{words(rng, 1)}]]")
            for _ in range(cite_slots.count(s)):
                a, b = rng.choice(keys)[0], rng.choice(keys)[0]
                inserts.append(
                    rng.choice(
                        [f"[@{a}]", f"[@{a}, p. {rng.randint(1, 90)}]", f"[see @{a}; @{b}]", f"@{a}", f"[-@{a}]"]
                    )
                )
            for text in inserts:
                para.insert(rng.randrange(len(para) + 1), text)
            # wrap the paragraph at about 14 words a line
            for k in range(0, len(para), 14):
                lines.append(" ".join(para[k : k + 14]))
            lines.append("")
        lines += [
            "```python",
            "x = '[[Not a link]]'  # @notakey2020",
            "```",
            "",
            "Inline math $E = mc^2$ and a [link](https://example.org/page) too.",
            "",
            f"Filed in the archive as ledger{note['i']:05d}.",  # a word deep in one note: full-text search
            "",
        ]
        if note["i"] % plant_every == plant_every // 2:
            lines.append("This line has a planted broken link [[Planted missing note]] here.")
            planted.append(
                {
                    "path": f"notes/{note['folder']}/{note['stem']}.md",
                    "line": len(lines),
                    "column": 37,
                    "rule": "link-unresolved",
                }
            )
            lines.append("And an unknown key [@planted2099missing] here.")
            planted.append(
                {
                    "path": f"notes/{note['folder']}/{note['stem']}.md",
                    "line": len(lines),
                    "column": 21,
                    "rule": "cite-unknown",
                }
            )
            lines.append("")
        path = out / "notes" / note["folder"] / f"{note['stem']}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines), encoding="utf-8")
    (out / "planted.json").write_text(json.dumps(planted, indent=1), encoding="utf-8")
    return {"notes": n_notes, "entries": n_entries, "planted": planted}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--notes", type=int, default=1000)
    p.add_argument("--entries", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    info = generate(a.out, a.notes, a.entries, a.seed)
    print(f"wrote {info['notes']} notes, {info['entries']} entries, {len(info['planted'])} planted errors to {a.out}")


if __name__ == "__main__":
    main()
