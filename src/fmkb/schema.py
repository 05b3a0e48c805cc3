"""The front-matter schema, defined once: what keys a note may have, by kind."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .bibliography import Bibliography
from .diagnostics import Diagnostic, diag
from .model import Note
from .resolve import close_matches

KINDS = ("paper", "model", "concept", "resource", "page")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kinds: tuple[str, ...]  # the kinds that may carry it
    check: Callable[[Any], str | None]  # returns a problem, or None
    required_for: tuple[str, ...] = ()
    example: str = ""


def _str(v: Any) -> str | None:
    return None if isinstance(v, str) and v.strip() else "must be a non-empty string"


def _str_list(v: Any) -> str | None:
    if not isinstance(v, list):
        return "must be a list"
    if not all(isinstance(x, str) and x.strip() for x in v):
        return "must be a list of non-empty strings"
    return None


def _tags(v: Any) -> str | None:
    problem = _str_list(v)
    if problem:
        return problem
    bad = [t for t in v if re.search(r"\s|#|,", t)]
    return f"has tags with spaces, '#' or ',': {', '.join(map(repr, bad))}" if bad else None


def _kind(v: Any) -> str | None:
    return None if v in KINDS else f"must be one of {', '.join(KINDS)}"


def _year(v: Any) -> str | None:
    return None if isinstance(v, int) and not isinstance(v, bool) and 1000 <= v <= 9999 else "must be a four-digit year"


_DATE_TEXT = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")


def _date(v: Any) -> str | None:
    if isinstance(v, dt.date):
        return None
    if isinstance(v, str) and _DATE_TEXT.fullmatch(v.strip()):
        return None
    if isinstance(v, int) and not isinstance(v, bool) and 1000 <= v <= 9999:
        return None
    return 'must be a date: 2020-05-28, "2020-05" or 2020'


def _parameters(v: Any) -> str | None:
    if isinstance(v, bool):
        return 'must be a count (175000000000) or a string ("175B")'
    return (
        None
        if isinstance(v, (int, float)) or (isinstance(v, str) and v.strip())
        else 'must be a count or a string such as "175B"'
    )


def _positive_int(v: Any) -> str | None:
    ok = isinstance(v, int) and not isinstance(v, bool) and v > 0
    return None if ok else "must be a whole number of tokens, such as 131072"


WEIGHTS = ("open", "gated", "closed")


def _weights(v: Any) -> str | None:
    return None if v in WEIGHTS else f"must be one of {', '.join(WEIGHTS)}"


def _str_or_list(v: Any) -> str | None:
    return None if isinstance(v, str) or _str_list(v) is None else "must be a string or a list of strings"


_HIDE = ("navigation", "toc", "footer", "path", "tags", "feedback")


def _hide(v: Any) -> str | None:
    ok = isinstance(v, list) and all(isinstance(x, str) and x in _HIDE for x in v)
    return None if ok else f"must be a list of: {', '.join(_HIDE)}"


def _search(v: Any) -> str | None:
    if not isinstance(v, dict) or not set(v) <= {"exclude", "boost"}:
        return "must be a mapping with 'exclude: true' or 'boost: 2'"
    if "exclude" in v and not isinstance(v["exclude"], bool):
        return "'exclude' must be true or false"
    boost = v.get("boost", 1)
    if isinstance(boost, bool) or not isinstance(boost, (int, float)) or not 0 < boost <= 100:
        return "'boost' must be a number between 0 and 100"
    return None


_ICON = re.compile(r"[a-z0-9-]+(?:/[a-z0-9_-]+)+")


def _icon(v: Any) -> str | None:
    if not isinstance(v, str) or not _ICON.fullmatch(v):
        return "must name an icon of the theme, such as material/book-open"
    try:
        from importlib import resources

        icons = resources.files("material").joinpath("templates", ".icons")
        if icons.is_dir() and not icons.joinpath(*f"{v}.svg".split("/")).is_file():
            return f"names no icon of the theme (looked for .icons/{v}.svg)"
    except ModuleNotFoundError:
        pass
    return None


_STATUS = re.compile(r"[a-z][a-z0-9-]*")


def _status(v: Any) -> str | None:
    return None if isinstance(v, str) and _STATUS.fullmatch(v) else "must be a status name such as new or deprecated"


def _not_in_a_note(v: Any) -> str | None:
    return "is not for a note to choose: the site's templates are set in mkdocs.yml"


ALL = KINDS
FIELDS: tuple[Field, ...] = (
    Field("title", ALL, _str, example="title: Scaling laws"),
    Field("kind", ALL, _kind, example="kind: concept"),
    Field("aliases", ALL, _str_list, example="aliases: [Chinchilla]"),
    Field("tags", ALL, _tags, example="tags: [scaling, language-model]"),
    Field("description", ALL, _str, example="description: One sentence."),
    Field("related", ALL, _str_or_list, example='related: ["[[Scaling laws]]"]'),
    # keys mkdocs-material reads from front matter
    Field("hide", ALL, _hide, example="hide: [toc]"),
    Field("search", ALL, _search, example="search: {boost: 2}"),
    Field("icon", ALL, _icon, example="icon: material/book-open"),
    Field("status", ALL, _status, example="status: new"),
    Field("subtitle", ALL, _str, example="subtitle: A short line under the title"),
    Field("template", ALL, _not_in_a_note),
    Field("cite", ("paper",), _str, required_for=("paper",), example="cite: kaplan2020scaling"),
    Field("year", ("paper",), _year, example="year: 2020"),
    Field("organization", ("model",), _str, example="organization: OpenAI"),
    Field("released", ("model",), _date, example="released: 2020-05-28"),
    Field("parameters", ("model",), _parameters, example='parameters: "175B"'),
    Field("active_parameters", ("model",), _parameters, example='active_parameters: "37B"'),
    Field("training_tokens", ("model",), _parameters, example='training_tokens: "14.8T"'),
    Field("context_length", ("model",), _positive_int, example="context_length: 131072"),
    Field("weights", ("model",), _weights, example="weights: open"),
    Field("paper", ("model",), _str, example="paper: brown2020language"),
    Field("license", ("model",), _str, example='license: "Apache-2.0"'),
)
_BY_NAME = {f.name: f for f in FIELDS}


def check_frontmatter(note: Note, shown: str, bib: Bibliography) -> list[Diagnostic]:
    """Schema and bibliography checks of one note's front matter."""
    out: list[Diagnostic] = []
    meta = note.meta
    pos = note.meta_positions

    def at(key: str) -> tuple[int, int]:
        return pos.get(key, (1, 1))

    kind_value = meta.get("kind", "page")
    kind = kind_value if kind_value in KINDS else None
    for key, value in meta.items():
        spec = _BY_NAME.get(key)
        if spec is None or (kind is not None and kind not in spec.kinds):
            allowed = [f.name for f in FIELDS if kind is None or kind in f.kinds]
            close = close_matches(key, allowed, n=1, cutoff=0.6)
            if spec is not None:
                msg = f"key '{key}' does not belong to a note of kind '{kind}'"
                hint = f"'{key}' is for kind {' or '.join(spec.kinds)}"
            else:
                msg = f"unknown front matter key '{key}'"
                hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(allowed)}"
            line, col = at(key)
            out.append(diag(shown, line, col, "frontmatter-unknown-key", msg, hint))
            continue
        problem = spec.check(value)
        if problem:
            line, col = at(key)
            fix = f"for example: {spec.example}" if spec.example else None
            if key == "kind" and isinstance(value, str):
                kinds = close_matches(value.strip().lower(), KINDS, n=1)
                fix = f"did you mean 'kind: {kinds[0]}'?" if kinds else fix
            out.append(diag(shown, line, col, "frontmatter-schema", f"'{key}' {problem}", fix))
    if kind is None:
        return out
    for spec in FIELDS:
        if kind in spec.required_for and spec.name not in meta:
            example = spec.example
            if spec.name == "cite":  # the entry whose title is the note's
                titled = _entry_titled(note.title, bib)
                example = f"cite: {titled}" if titled else example
            out.append(
                diag(
                    shown,
                    1,
                    1,
                    "frontmatter-schema",
                    f"a note of kind '{kind}' needs '{spec.name}'",
                    f"add a line: {example}",
                )
            )
    if kind == "paper":
        out.extend(_check_paper(note, shown, bib, at))
    elif kind == "model":
        paper = meta.get("paper")
        if isinstance(paper, str) and paper not in bib.entries:
            line, col = at("paper")
            why, fix = bib.unknown_key(paper)
            out.append(diag(shown, line, col, "paper-cite", f"'paper: {paper}': {why}", fix))
    return out


def _entry_titled(title: str, bib: Bibliography) -> str | None:
    """The key of the one entry whose title is `title` (case, braces and punctuation aside)."""
    wanted = _plain_title(title)
    found = [key for key, e in bib.entries.items() if _plain_title(e.fields.get("title", "")) == wanted]
    return found[0] if len(found) == 1 else None


def _plain_title(title: str) -> str:
    return " ".join(re.sub(r"[{}\\\W_]+", " ", title).casefold().split())


def _check_paper(note: Note, shown: str, bib: Bibliography, at) -> list[Diagnostic]:
    key = note.meta.get("cite")
    if not isinstance(key, str) or not key.strip():
        return []
    entry = bib.entries.get(key)
    if entry is None:
        line, col = at("cite")
        why, hint = bib.unknown_key(key)
        return [diag(shown, line, col, "paper-cite", f"'cite: {key}': {why}", hint)]
    year = note.meta.get("year")
    bib_year = entry.fields.get("year", "").strip()
    if isinstance(year, int) and bib_year.isdigit() and int(bib_year) != year:
        line, col = at("year")
        return [
            diag(
                shown,
                line,
                col,
                "paper-cite",
                f"'year: {year}' differs from {key}'s year {bib_year}",
                f"write year: {bib_year}",
            )
        ]
    return []


# Front-matter strings the theme prints into the page: escaped before it sees them.
SHOWN_BY_THEME = ("title", "description", "subtitle")


def theme_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The front matter as the theme may see it: keys the schema refuses are left out (the
    theme would crash on them or print them raw), and shown strings are HTML-escaped."""
    import html

    kind = meta.get("kind", "page")
    out: dict[str, Any] = {}
    for key, value in meta.items():
        spec = _BY_NAME.get(key)
        if spec is None or (kind in KINDS and kind not in spec.kinds) or spec.check(value) is not None:
            continue
        if key in SHOWN_BY_THEME and isinstance(value, str):
            value = html.escape(value)
        elif key == "tags":
            value = [html.escape(t) for t in value]
        out[key] = value
    return out


def frontmatter_bib_keys(note: Note) -> list[str]:
    """Bib keys a note's front matter refers to (they count as citations for bib-unused)."""
    keys = []
    for name in ("cite", "paper"):
        v = note.meta.get(name)
        if isinstance(v, str):
            keys.append(v)
    return keys
