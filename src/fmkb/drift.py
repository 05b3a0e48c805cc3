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

    # a source's title is text with TeX math in it: its % & # are characters, as the entry's \% \& \# are
    decoded = decode_latex(re.sub(r"(?<!\\)([%&#])", r"\\\1", text)).replace("{", "").replace("}", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", anyascii(decoded).lower()).split())


def family_names(author_field: str) -> tuple[list[str], bool]:
    """The entry's authors' family names, compared forms; and whether the list ends in 'others'."""
    people, truncated = _people(author_field)
    return [family for family, _full in people], truncated


def _people(author_field: str) -> tuple[list[tuple[str, str]], bool]:
    """(family name, full name) of each author, compared forms; and whether the list ends in 'others'."""
    names = split_authors(author_field)
    truncated = bool(names) and names[-1].strip().lower() == "others"
    if truncated:
        names = names[:-1]
    out = []
    for n in names:
        p = person(n)
        out.append((_folded(p.family), _folded(p.full)))
    return out, truncated


def _same_person(ours: tuple[str, str], theirs: tuple[str, str]) -> bool:
    """The same family name; or, for a family name of several parts split another way ('Ponde de
    Oliveira Pinto, Henrique' and 'Pinto, Henrique Ponde de Oliveira'), the same full name."""
    if ours[0] == theirs[0]:
        return True
    shared = set(ours[0].split()) & set(theirs[0].split())  # the split moved words, not the whole name
    return bool(shared) and sorted(ours[1].split()) == sorted(theirs[1].split())


def _folded(name: str) -> str:
    from anyascii import anyascii

    return " ".join(re.sub(r"[^a-z0-9]+", " ", anyascii(name).lower()).split())


def compare(entry: BibEntry, source: Paper, kind: str) -> list[Drift]:
    """How `entry` disagrees with its `source` (kind "arxiv" or "doi")."""
    out: list[Drift] = []
    fields = entry.fields
    venue = (fields.get("journal") or fields.get("booktitle") or "").strip()
    published = kind == "arxiv" and bool(venue) and "arxiv" not in plain(venue)  # it cites the published version
    if "title" in fields and plain(fields["title"]) != plain(source.title):
        if published:
            # the published version may be titled otherwise: its DOI would let it be checked
            message = f"the title differs from arXiv's (if {venue!r} titled it so, add the DOI)"
        else:
            message = f"the title differs from {_where(kind)}'s"
        out.append(Drift("title", message, source.title))
    if "author" in fields:
        ours, truncated = _people(fields["author"])
        theirs = [(_folded(family), _folded(f"{given} {family}")) for family, given in source.authors]
        team = fields["author"].strip().startswith("{") and fields["author"].strip().endswith("}") and len(ours) == 1
        if team and theirs and ours[0][0] == theirs[0][0]:
            problem = ""  # a team named as the one author, which the source lists first, with its members
        else:
            problem = _authors(ours, theirs, truncated)
        if problem:
            value = " and ".join(f"{family}, {given}".strip(", ") for family, given in source.authors)
            where = f"{_where(kind)} lists {len(theirs)}"
            if published:
                where += f"; if {venue!r} lists them so, add the DOI"
            out.append(Drift("author", f"{problem} ({where})", value))
    year = fields.get("year", "").strip()
    if year.isdigit():
        if int(year) != source.year and not (published and int(year) > source.year):
            rule = "its first version" if kind == "arxiv" else "its publication"
            out.append(Drift("year", f"the year {year} is not the year of {rule} ({source.year})", str(source.year)))
    if kind == "doi" and source.venue:
        name = "journal" if "journal" in fields else "booktitle" if "booktitle" in fields else ""
        if name and not same_venue(fields[name], source.venue):
            out.append(Drift(name, f"the {name} differs from Crossref's", source.venue))
    return out


def _authors(ours: list[tuple[str, str]], theirs: list[tuple[str, str]], truncated: bool) -> str:
    """What is wrong with the entry's authors, or ''."""
    if not theirs:
        return ""
    shown = theirs[: len(ours)] if truncated else theirs
    pairs = list(zip(ours, shown, strict=False))
    if all(_same_person(a, b) for a, b in pairs) and len(ours) == len(shown):
        return ""
    if sorted(a for a, _ in ours) == sorted(b for b, _ in shown):
        return "the authors are in another order"
    for i, (a, b) in enumerate(pairs):
        if not _same_person(a, b):
            return f"author {i + 1} is '{b[0]}' in the source, not '{a[0]}'"
    return f"{len(ours)} authors, not {len(theirs)}" if not truncated else f"{len(ours)} authors before 'others'"


# words a venue's name may carry or leave out: "2022 IEEE/CVF Conference on Computer Vision and
# Pattern Recognition (CVPR)" and "Proceedings of the IEEE/CVF Conference on ... (CVPR)" are one venue
_VENUE_NOISE = {"proceedings", "of", "the", "on", "in", "ieee", "cvf", "acm", "annual", "conference", "international"}


def same_venue(ours: str, theirs: str) -> bool:
    """Whether two names of a journal or proceedings name one venue: equal when compared like titles;
    or with the same acronym in parentheses; or equal once years, ordinals and the words venues
    add or drop (proceedings of the, IEEE, ACM, conference ...) are set aside. Not when one name
    only holds the other's words: "Nature" is not "Nature Communications"."""
    if plain(ours) == plain(theirs):
        return True
    acronyms = [re.findall(r"\(([A-Za-z][A-Za-z&-]+)\)", name) for name in (ours, theirs)]
    if acronyms[0] and acronyms[1] and acronyms[0][-1].lower() == acronyms[1][-1].lower():
        return True

    def core(name: str) -> set[str]:
        words = re.sub(r"\([^)]*\)", " ", name)
        return {
            w
            for w in plain(words).split()
            if w not in _VENUE_NOISE and not re.fullmatch(r"\d+(st|nd|rd|th)?|sig[a-z]+", w)  # an ACM SIG organizes
        }

    a, b = core(ours), core(theirs)
    return bool(a) and a == b


def _where(kind: str) -> str:
    return "arXiv" if kind == "arxiv" else "Crossref"
