"""`fmkb check --metadata`: every bib entry with an arXiv id or a DOI against its source.

A flag of its own, not part of `--external`: it asks two scholarly APIs about every entry
(a minute's worth of requests on a large bibliography, and rate limits to respect), so a
contributor runs it when a bibliography changes and the weekly job runs it for drift; link
checking stays quick. The comparison is `drift.py`'s; this module fetches politely (arXiv
in batches of ids, Crossref one DOI at a time with at most `per_host` requests in flight,
`Retry-After` honoured by the one retry policy) and caches each answer for `cache_ttl` hours.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from . import cachefile
from .bibliography import BibEntry, Bibliography, arxiv_id
from .config import Settings
from .diagnostics import Diagnostic, Severity, diag
from .drift import compare
from .external import Progress, Unreachable
from .fetch import FetchError, Paper, fetch_doi, get, parse_arxiv_feed

CACHE_NAME = "metadata.json"
# arXiv's comment when a paper is withdrawn ("This paper has been withdrawn by the author ...")
_WITHDRAWN = re.compile(r"^\s*withdrawn\b|\b(?:has been|is|was) withdrawn\b", re.I)
ARXIV_BATCH = 50  # ids per arXiv API request
_ARXIV_DOI = "10.48550/arxiv."


@dataclass(frozen=True, slots=True)
class Answer:
    """What a source said of one id: its metadata, or why there is none."""

    paper: Paper | None
    problem: str  # "" when `paper` is given: "withdrawn", "unknown"
    checked: float


def source_of(entry: BibEntry) -> tuple[str, str] | None:
    """("doi", DOI) for an entry with a publisher's DOI, else ("arxiv", id), else None: an entry
    that names its published version is checked against that."""
    doi = entry.fields.get("doi", "").strip()
    if doi and not doi.lower().startswith(_ARXIV_DOI):
        return "doi", doi
    found = arxiv_id(entry)
    return ("arxiv", found) if found else None


def check_metadata(
    bib: Bibliography,
    settings: Settings,
    strict: bool = False,
    fetch_arxiv_batch: Callable[[list[str]], dict[str, Answer]] | None = None,
    fetch_one_doi: Callable[[str], Answer] | None = None,
    now: Callable[[], float] = time.time,
    gathered: dict[str, tuple[str, str, Answer]] | None = None,
) -> list[Diagnostic]:
    """`bib-metadata-drift` for every entry that disagrees with its source."""
    found = gathered if gathered is not None else gather(bib, settings, fetch_arxiv_batch, fetch_one_doi, now)
    out: list[Diagnostic] = []
    for key, (kind, ident, said) in sorted(found.items()):
        out.extend(_diagnostics(bib.path, bib.entries[key], kind, ident, said, strict))
    return out


def gather(
    bib: Bibliography,
    settings: Settings,
    fetch_arxiv_batch: Callable[[list[str]], dict[str, Answer]] | None = None,
    fetch_one_doi: Callable[[str], Answer] | None = None,
    now: Callable[[], float] = time.time,
) -> dict[str, tuple[str, str, Answer]]:
    """Each entry's source and what it said (from the cache, or asked now): key -> (kind, id,
    answer). An entry whose source did not answer this time is left out (checked next run)."""
    wanted = {key: src for key, entry in bib.entries.items() if (src := source_of(entry)) is not None}
    cache_path = os.path.join(settings.cache_dir, CACHE_NAME) if settings.cache_dir else ""
    ttl = settings.network.cache_ttl * 3600
    cached = {k: a for k, a in (_load(cache_path) if cache_path else {}).items() if now() - a.checked < ttl}
    todo = sorted({f"{kind}:{ident}" for kind, ident in wanted.values()} - cached.keys())
    answers = dict(cached)
    progress = Progress(len(todo))
    failures: list[str] = []
    arxiv_ids = [k.split(":", 1)[1] for k in todo if k.startswith("arxiv:")]
    batch = fetch_arxiv_batch or (lambda ids: _arxiv_batch(ids, settings, now))
    for start in range(0, len(arxiv_ids), ARXIV_BATCH):
        chunk = arxiv_ids[start : start + ARXIV_BATCH]
        try:
            for ident, answer in batch(chunk).items():
                answers[f"arxiv:{ident}"] = answer
        except FetchError as e:
            failures.append(str(e))
        for _ in chunk:
            progress.step()
    dois = [k.split(":", 1)[1] for k in todo if k.startswith("doi:")]
    one = fetch_one_doi or (lambda doi: _doi(doi, settings, now))
    if dois:
        with ThreadPoolExecutor(max_workers=max(1, settings.network.per_host)) as pool:

            def ask(doi: str) -> tuple[str, Answer | str]:
                try:
                    return doi, one(doi)
                except FetchError as e:
                    return doi, str(e)
                finally:
                    progress.step()

            for doi, got in pool.map(ask, dois):
                if isinstance(got, str):
                    failures.append(got)
                else:
                    answers[f"doi:{doi}"] = got
    unanswered = [k for k in todo if k not in answers]
    if unanswered:
        offline = len(answers) == len(cached) and len({_reason(f) for f in failures}) == 1
        if offline and not cached:  # nothing answered, nothing known from earlier runs: nothing to report
            raise Unreachable(f"no answer from arXiv or Crossref ({failures[0]}): offline?")
        entries = f"{len(unanswered)} entr{'ies' if len(unanswered) != 1 else 'y'}"
        why = "; ".join(dict.fromkeys(failures)) or "no answer"
        print(f"fmkb: {entries} not checked ({why}){': offline?' if offline else ''}", file=sys.stderr)
    if cache_path:
        cachefile.write(cache_path, json.dumps({k: _row(a) for k, a in sorted(answers.items())}, indent=1))
    out: dict[str, tuple[str, str, Answer]] = {}
    for key, (kind, ident) in wanted.items():
        said = answers.get(f"{kind}:{ident}")
        if said is not None:
            out[key] = (kind, ident, said)
    return out


FIELDS = ("title", "author", "year", "journal", "booktitle")


def adopt(
    text: str, bib: Bibliography, found: dict[str, tuple[str, str, Answer]], fields: set[str]
) -> tuple[str, int, list[str]]:
    """`text` (the bibliography's) with the source's value in each drifting field of `fields`:
    (the new text, how many fields changed, the fields that could not be rewritten and why).
    Every other character is kept; a value is written as the source gives it, in braces."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    edits: list[tuple[int, int, str]] = []
    left: list[str] = []
    for key, (kind, _ident, said) in found.items():
        if said.paper is None:
            continue
        entry = bib.entries[key]
        for drift in compare(entry, said.paper, kind):
            if drift.field not in fields:
                continue
            value = braced(drift.source_value)
            at_line = entry.field_lines.get(drift.field)
            span = _value_span(text, starts[at_line - 1], starts[at_line], drift.field) if at_line else None
            if value is None or span is None:
                why = "its braces do not balance" if value is None else "its value could not be found"
                left.append(f"{key}.{drift.field} ({why})")
                continue
            edits.append((*span, value))
    out: list[str] = []
    last = 0
    for start, end, value in sorted(edits):
        out.extend((text[last:start], value))
        last = end
    out.append(text[last:])
    return "".join(out), len(edits), left


def braced(value: str) -> str | None:
    """A source's value as a braced BibTeX value: LaTeX kept as written (`$\\alpha$`), `&`, `%`
    and `#` escaped outside math; None when its own braces do not balance."""
    depth = 0
    for ch in value:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return None
    if depth:
        return None
    parts = re.split(r"(\$[^$]*\$)", " ".join(value.split()))
    escaped = [p if p.startswith("$") else re.sub(r"(?<!\\)([&%#])", r"\\\1", p) for p in parts]
    return "{" + "".join(escaped) + "}"


def _value_span(text: str, line_start: int, line_end: int, name: str) -> tuple[int, int] | None:
    """(start, end) of the whole value of field `name`, which starts on the line at `line_start`:
    braced, quoted or bare parts joined by `#`, up to the comma or brace that ends the field."""
    m = re.compile(rf"(?:^|[\s,{{(]){re.escape(name)}\s*=\s*", re.I).search(text, line_start, line_end)
    if m is None:
        return None
    at = first = m.end()
    while True:
        end = _part_end(text, at)
        if end is None:
            return None
        joined = re.compile(r"\s*#\s*").match(text, end)
        if joined is None:
            return first, end
        at = joined.end()


def _part_end(text: str, at: int) -> int | None:
    """Where the braced, quoted or bare part of a value that starts at `at` ends."""
    if at >= len(text):
        return None
    if text[at] in '{"':
        closing = "}" if text[at] == "{" else '"'
        depth = 0
        for i in range(at, len(text)):
            ch = text[i]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if closing == "}" and depth == 0:
                return i + 1
            if closing == '"' and ch == '"' and i > at and depth == 0:
                return i + 1
        return None
    bare = re.compile(r"[^,}#\s]+").match(text, at)
    return bare.end() if bare else None


def _reason(failure: str) -> str:
    """A failure without the host's name, so that two hosts unreachable alike count as one way."""
    return "cannot reach" if "cannot reach" in failure else failure


def _diagnostics(path: str, entry: BibEntry, kind: str, ident: str, answer: Answer, strict: bool) -> list[Diagnostic]:
    severity = Severity.ERROR if strict else Severity.WARNING

    def report(line: int, message: str, hint: str) -> Diagnostic:
        d = diag(path, line, 1, "bib-metadata-drift", f"'{entry.key}': {message}", hint)
        return Diagnostic(d.path, d.line, d.column, d.rule, d.message, d.hint, severity)

    where = entry.field_lines.get("doi" if kind == "doi" else "eprint", entry.line)
    if answer.problem == "withdrawn":
        return [
            report(where, f"arXiv {ident} has been withdrawn", "cite another version or work, or say why in the note")
        ]
    if answer.problem == "unknown" or answer.paper is None:
        what = (
            f"DOI {ident} does not resolve (Crossref knows no such DOI)"
            if kind == "doi"
            else f"arXiv has no paper {ident}"
        )
        return [report(where, what, "check the identifier against the paper")]
    out = []
    for drift in compare(entry, answer.paper, kind):
        value = drift.source_value if len(drift.source_value) <= 300 else drift.source_value[:297] + "..."
        out.append(report(entry.field_lines.get(drift.field, entry.line), drift.message, f"the source says: {value}"))
    return out


def _arxiv_batch(ids: list[str], settings: Settings, now: Callable[[], float]) -> dict[str, Answer]:
    net = settings.network
    r = get(
        net.arxiv_api,
        net,
        params={"id_list": ",".join(ids), "max_results": str(len(ids))},
        accept="application/atom+xml",
    )
    if r.status_code != 200:
        raise FetchError(f"arXiv answered HTTP {r.status_code}")
    found = parse_arxiv_feed(r.text)
    if found and not set(found) & set(ids):
        raise FetchError("arXiv answered about other papers than those asked")
    out = {}
    for ident in ids:
        paper, comment = found.get(ident, (None, ""))
        withdrawn = _WITHDRAWN.search(comment) is not None
        out[ident] = Answer(
            None if withdrawn else paper, "withdrawn" if withdrawn else ("" if paper else "unknown"), now()
        )
    return out


def _doi(doi: str, settings: Settings, now: Callable[[], float]) -> Answer:
    try:
        return Answer(fetch_doi(doi, settings.network), "", now())
    except FetchError as e:
        if "knows no DOI" in str(e):
            return Answer(None, "unknown", now())
        raise


def _row(answer: Answer) -> dict:
    return {
        "paper": asdict(answer.paper) if answer.paper else None,
        "problem": answer.problem,
        "checked": answer.checked,
    }


def _load(path: str) -> dict[str, Answer]:
    """The cached answers; a malformed row is dropped (asked again), never trusted."""
    out: dict[str, Answer] = {}
    for key, row in cachefile.read_rows(path).items():
        try:
            paper = row["paper"]
            problem, checked = row["problem"], row["checked"]
            if not isinstance(problem, str) or type(checked) not in (int, float):
                continue
            if paper is not None:
                authors = [(str(f), str(g)) for f, g in paper.pop("authors")]
                if not all(isinstance(v, str | int) for v in paper.values()):
                    continue
                paper = Paper(authors=authors, **paper)
            out[key] = Answer(paper, problem, float(checked))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return out
