"""Bibliography drift: an entry compared with what its source (arXiv or Crossref) says.

Pure functions over a `BibEntry` and the source's metadata (`fetch.Paper`); fetching and
caching the sources is the caller's. What is compared, and how:

- the title, after LaTeX is decoded and case, braces and punctuation are set aside;
- the authors' family names, in order and in number (an entry ending in "and others" is
  compared only as far as it goes; transliterated, so `Łukasz` and `Lukasz` agree);
- the year: an arXiv source gives the year of the first version, and an entry may give that
  year or, when it names a venue other than arXiv (it cites the published version), a later
  one; a Crossref source gives the year the work was issued, which the entry must give;
- for a DOI, the venue (journal or proceedings), compared like titles, where both name one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .bibliography import BibEntry
from .fetch import Paper
from .render import decode_latex, person, split_authors


@dataclass(frozen=True, slots=True)
class Drift:
    field: str  # title | author | year | journal | booktitle
    message: str
    source_value: str  # what the source says, for the hint and for --fix


def plain(text: str) -> str:
    """A title or venue for comparison: LaTeX decoded, braces, case and punctuation set aside."""
    from anyascii import anyascii

    decoded = decode_latex(text).replace("{", "").replace("}", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", anyascii(decoded).lower()).split())


def family_names(author_field: str) -> tuple[list[str], bool]:
    """The entry's authors' family names, compared forms; and whether the list ends in 'others'."""
    names = split_authors(author_field)
    truncated = bool(names) and names[-1].strip().lower() == "others"
    if truncated:
        names = names[:-1]
    return [_folded(person(n).family) for n in names], truncated


def _folded(name: str) -> str:
    from anyascii import anyascii

    return " ".join(re.sub(r"[^a-z0-9]+", " ", anyascii(name).lower()).split())


def compare(entry: BibEntry, source: Paper, kind: str) -> list[Drift]:
    """How `entry` disagrees with its `source` (kind "arxiv" or "doi")."""
    out: list[Drift] = []
    fields = entry.fields
    if "title" in fields and plain(fields["title"]) != plain(source.title):
        venue = (fields.get("journal") or fields.get("booktitle") or "").strip()
        if kind == "arxiv" and venue and "arxiv" not in plain(venue):
            # the published version may be titled otherwise: its DOI would let it be checked
            message = f"the title differs from arXiv's (if {venue!r} titled it so, add the DOI)"
        else:
            message = f"the title differs from {_where(kind)}'s"
        out.append(Drift("title", message, source.title))
    if "author" in fields:
        ours, truncated = family_names(fields["author"])
        theirs = [_folded(family) for family, _given in source.authors]
        problem = _authors(ours, theirs, truncated)
        if problem:
            value = " and ".join(f"{family}, {given}".strip(", ") for family, given in source.authors)
            out.append(Drift("author", f"{problem} ({_where(kind)} lists {len(theirs)})", value))
    year = fields.get("year", "").strip()
    if year.isdigit():
        venue = (fields.get("journal") or fields.get("booktitle") or "").strip()
        published_later = kind == "arxiv" and venue and "arxiv" not in plain(venue) and int(year) > source.year
        if int(year) != source.year and not published_later:
            rule = "its first version" if kind == "arxiv" else "its publication"
            out.append(Drift("year", f"the year {year} is not the year of {rule} ({source.year})", str(source.year)))
    if kind == "doi" and source.venue:
        name = "journal" if "journal" in fields else "booktitle" if "booktitle" in fields else ""
        if name and plain(fields[name]) != plain(source.venue):
            out.append(Drift(name, f"the {name} differs from Crossref's", source.venue))
    return out


def _authors(ours: list[str], theirs: list[str], truncated: bool) -> str:
    """What is wrong with the entry's family names, or ''."""
    if not theirs:
        return ""
    shown = theirs[: len(ours)] if truncated else theirs
    if sorted(ours) == sorted(shown) and ours != shown:
        return "the authors are in another order"
    for i, (a, b) in enumerate(zip(ours, shown, strict=False)):
        if a != b:
            return f"author {i + 1} is '{b}' in the source, not '{a}'"
    if len(ours) != len(shown):
        return f"{len(ours)} authors, not {len(theirs)}" if not truncated else f"{len(ours)} authors before 'others'"
    return ""


def _where(kind: str) -> str:
    return "arXiv" if kind == "arxiv" else "Crossref"
