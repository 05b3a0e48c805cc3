"""The sharded full-text search index of a large site.

Material's search downloads one index holding every page's text before it shows a
result: about 8 KB per note, 80 MB at 10,000 notes. This index is cut into small
files that the search box fetches only as a query needs them (fmkb.js):

- `manifest.json`: the first term of each term shard, and how many pages each
  page-list file holds;
- `t<i>.json`: a sorted run of terms (in JavaScript's string order), each with its best
  pages and their scores (BM25, title and alias words weighted up), page numbers
  delta-encoded; a list cut to its best pages starts with minus the number left out;
- `d<i>.json`: page number -> [url, title, opening text].

Exact titles and aliases are terms of their own (`=` then the title's words), so a
query that is a note's title or alias ranks that note first. A query term needs one
term shard (a prefix a few), so the bytes before the first result do not grow with
the vault. Terms are Unicode letter and digit runs, lower-cased with accents
dropped, exactly as fmkb.js splits a query.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import unicodedata
from array import array
from dataclasses import dataclass, field

from .fsutil import write_atomic

_TERM = re.compile(r"[^\W_]+")
_TAG = re.compile(r"<[^>]+>")
_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

TITLE_WEIGHT = 8.0  # a word of the page title counts as this many body words
ALIAS_WEIGHT = 6.0
HEADING_WEIGHT = 2.0
MAX_POSTINGS = 1000  # pages kept per term, best first: a word on every page gains nothing past this
SHARD_BYTES = 40_000  # the size a term shard is cut at (a single term's list may pass it)
PAGES_PER_FILE = 16  # pages per page-list file: ten results fetch at most ten small files
SNIPPET = 160  # characters of a page's opening text shown under its title
MAX_TERM = 40  # longer letter runs (hashes, base64) are not words anyone types


_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003ffff"
_CJK_RUNS = re.compile(f"[{_CJK}]+|[^{_CJK}]+")
_HAS_CJK = re.compile(f"[{_CJK}]")


def terms(text: str) -> list[str]:
    """The search terms of `text`: fmkb.js splits a query the same way.

    Chinese, Japanese and Korean runs are written without spaces between words, so they
    become overlapping pairs of characters (机器学习: 机器 器学 学习), as search engines
    index them; a query then matches any word inside a run."""
    folded = _MARKS.sub("", unicodedata.normalize("NFKD", text.lower()))
    out: list[str] = []
    for run in _TERM.findall(folded):
        parts = _CJK_RUNS.findall(run) if _HAS_CJK.search(run) else [run]
        for part in parts:
            if _HAS_CJK.match(part):
                out += [part[i : i + 2] for i in range(len(part) - 1)] or [part]
            elif len(part) <= MAX_TERM // 2 or _units(part) <= MAX_TERM:
                out.append(part)
    return out


def _units(text: str) -> int:
    """Length in UTF-16 code units, as JavaScript counts it."""
    return len(text.encode("utf-16-le")) // 2


def _order(term: str) -> bytes:
    """Sort key of a term in JavaScript's string order (UTF-16 code units), which the
    search box bisects the shards' first terms by."""
    return term.encode("utf-16-be")


def phrase(text: str) -> str:
    """The exact-match term of a title or alias."""
    return "=" + " ".join(terms(text))


def plain_text(html_text: str) -> str:
    """Text of a search entry (the search plugin keeps some markup in it)."""
    return " ".join(html.unescape(_TAG.sub(" ", html_text)).split())


@dataclass
class IndexWriter:
    """Collects pages one at a time (their text is not kept) and writes the shards once."""

    pages: list[tuple[str, str, str]] = field(default_factory=list)  # url, title, opening text
    lengths: array = field(default_factory=lambda: array("f"))
    postings: dict[str, array] = field(default_factory=dict)  # term -> page, weight, page, weight, ...
    phrases: dict[str, list[int]] = field(default_factory=dict)

    def add(self, url: str, title: str, sections: list[tuple[str, str]], aliases: tuple[str, ...] = ()) -> None:
        """Index one page: its title, its aliases (and bib key), its (heading, text) sections."""
        page = len(self.pages)
        weights: dict[str, float] = {}
        length = 0.0

        def count(text: str, weight: float) -> None:
            nonlocal length
            for term in terms(text):
                weights[term] = weights.get(term, 0.0) + weight
                length += 1

        count(title, TITLE_WEIGHT)
        for alias in aliases:
            count(alias, ALIAS_WEIGHT)
        opening = ""
        for heading, text in sections:
            if heading and heading != title:
                count(heading, HEADING_WEIGHT)
            count(text, 1.0)
            if not opening and text:
                opening = text
        for name in {phrase(t) for t in (title, *aliases)} - {"="}:
            self.phrases.setdefault(name, []).append(page)
        if len(opening) > SNIPPET:
            opening = opening[:SNIPPET].rsplit(" ", 1)[0] + " …"
        self.pages.append((url, title, opening))
        self.lengths.append(max(length, 1.0))
        for term, w in weights.items():
            self.postings.setdefault(term, array("f")).extend((page, w))

    def shards(self) -> tuple[dict, list[dict], list[list]]:
        """(manifest, term shards, page-list files), ready to be written as JSON."""
        n = len(self.pages)
        average = sum(self.lengths) / n if n else 1.0
        rows: list[tuple[str, list[int]]] = []
        for term, flat in self.postings.items():
            pairs = [(int(flat[i]), flat[i + 1]) for i in range(0, len(flat), 2)]
            idf = math.log(1 + (n - len(pairs) + 0.5) / (len(pairs) + 0.5))
            scored = [(page, _bm25(w, self.lengths[page] / average) * idf) for page, w in pairs]
            if len(scored) > MAX_POSTINGS:  # the list starts with minus the number of pages left out
                best = sorted(scored, key=lambda p: -p[1])[:MAX_POSTINGS]
                rows.append((term, [-(len(scored) - MAX_POSTINGS), *_encode(sorted(best))]))
            else:
                rows.append((term, _encode(sorted(scored))))
        for name, pages in self.phrases.items():
            rows.append((name, _encode([(page, 1000.0) for page in sorted(set(pages))])))
        rows.sort(key=lambda r: _order(r[0]))
        shards: list[dict] = []
        firsts: list[str] = []
        size = SHARD_BYTES
        for term, encoded in rows:
            cost = len(term) + 6 + sum(len(str(x)) + 1 for x in encoded)
            if size + cost > SHARD_BYTES and (not shards or shards[-1]):
                shards.append({})
                firsts.append(term)
                size = 0
            shards[-1][term] = encoded
            size += cost
        files = [[list(p) for p in self.pages[i : i + PAGES_PER_FILE]] for i in range(0, n, PAGES_PER_FILE)]
        manifest = {"version": 1, "pages": n, "per_file": PAGES_PER_FILE, "shards": firsts}
        return manifest, shards, files

    def write(self, folder: str) -> int:
        """Write the index into `folder` (the files of an earlier build there are replaced);
        returns the bytes written."""
        manifest, shards, files = self.shards()
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):  # an earlier, larger index leaves no stale shards
            if re.fullmatch(r"[td]\d+\.json|manifest\.json", name):
                os.remove(os.path.join(folder, name))
        total = 0
        outputs: list[tuple[str, object]] = [("manifest.json", manifest)]
        outputs += [(f"t{i}.json", s) for i, s in enumerate(shards)]
        outputs += [(f"d{i}.json", f) for i, f in enumerate(files)]
        for name, data in outputs:
            raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            write_atomic(os.path.join(folder, name), raw)
            total += len(raw)
        return total


def _bm25(weight: float, relative_length: float, k1: float = 1.2, b: float = 0.75) -> float:
    return weight * (k1 + 1) / (weight + k1 * (1 - b + b * relative_length))


def _encode(scored: list[tuple[int, float]]) -> list[int]:
    """[page gap, score, page gap, score, ...]: pages ascending, scores as integers
    (hundredths), so a term's list is a few bytes a page."""
    out, last = [], 0
    for page, score in scored:
        out += [page - last, max(1, round(score * 100))]
        last = page
    return out
