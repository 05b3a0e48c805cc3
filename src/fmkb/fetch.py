"""Fetch paper metadata: arXiv's Atom API and Crossref's works API.

Network faults end in a `FetchError` with a one-line reason; the caller turns it
into exit code 1. Every request has connect and read timeouts; 429 and 5xx
answers are retried a bounded number of times, honouring Retry-After.
"""

from __future__ import annotations

import email.utils
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import requests

from . import identifiers
from .config import Network
from .identifiers import arxiv_typed, doi_typed

USER_AGENT = "fmkb/0.1 (Foundation Model Knowledge Base; metadata for a BibTeX entry)"
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"


class FetchError(Exception):
    """A one-line, user-facing reason why metadata could not be had."""


@dataclass(frozen=True, slots=True)
class Paper:
    """Normalized metadata for one work."""

    title: str
    authors: list[tuple[str, str]]  # (family, given)
    year: int
    entry_type: str  # article | inproceedings | misc
    venue: str = ""  # journal or booktitle
    arxiv: str = ""
    doi: str = ""
    url: str = ""
    primary_class: str = ""
    volume: str = ""
    pages: str = ""
    publisher: str = ""


def normalize_arxiv(value: str) -> str:
    found = arxiv_typed(value)
    if found is None:
        raise FetchError(f"'{value}' is not an arXiv id (expected a form like 2203.02155)")
    return found


def normalize_doi(value: str) -> str:
    found = doi_typed(value)
    if found is None:
        raise FetchError(f"'{value}' is not a DOI (expected a form like 10.1038/s41586-021-03819-2)")
    return found


def _retry_after(value: str | None, default: float) -> float:
    if not value:
        return default
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


def backoff(attempt: int, retry_after: str | None, net: Network) -> float | None:
    """How long to wait before retry `attempt` + 1, or None to give up: the server's
    Retry-After (seconds or a date) when it sends one, else 0.5 s doubling; never past
    `net.retries` retries or a wait over `net.max_wait`. The one retry policy of fmkb's
    HTTP clients (`get` and the external-link checker)."""
    if attempt >= net.retries:
        return None
    wait = _retry_after(retry_after, min(net.max_wait, 0.5 * 2**attempt))
    return None if wait > net.max_wait else wait


def get(
    url: str,
    net: Network,
    *,
    params: dict | None = None,
    accept: str = "*/*",
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> requests.Response:
    """GET with timeouts and bounded retries on 429/5xx and dropped connections."""
    http = session or requests.Session()
    attempt = 0
    while True:
        try:
            r = http.get(
                url,
                params=params,
                headers={"User-Agent": USER_AGENT, "Accept": accept},
                timeout=(net.timeout, net.timeout),
                stream=True,
            )
            _read_capped(r, url)
        except requests.exceptions.ConnectTimeout:
            problem, asked = f"connecting to {_host(url)} timed out after {net.timeout:g} s", None
        except requests.exceptions.ReadTimeout:
            problem, asked = f"{_host(url)} did not answer within {net.timeout:g} s", None
        except requests.exceptions.ConnectionError:
            problem, asked = f"cannot reach {_host(url)} (connection failed or was reset)", None
        except requests.exceptions.RequestException as e:
            raise FetchError(f"request to {_host(url)} failed: {type(e).__name__}") from None
        else:
            if r.status_code != 429 and r.status_code < 500:
                return r
            problem, asked = f"{_host(url)} answered HTTP {r.status_code}", r.headers.get("Retry-After")
            if _retry_after(asked, 0.0) > net.max_wait:
                raise FetchError(f"{problem} and asks to wait {_retry_after(asked, 0.0):.0f} s; try again later")
        wait = backoff(attempt, asked, net)
        if wait is None:
            raise FetchError(f"{problem}; gave up after {attempt + 1} attempts")
        sleep(wait)
        attempt += 1


MAX_ANSWER_BYTES = 20_000_000  # decompressed: a metadata answer is kilobytes; a larger one is refused


def _read_capped(r: requests.Response, url: str) -> None:
    """Read the body, decompressed, refusing one past MAX_ANSWER_BYTES (a gzip bomb, say)."""
    body = bytearray()
    try:
        for chunk in r.iter_content(65536):
            body += chunk
            if len(body) > MAX_ANSWER_BYTES:
                raise FetchError(f"{_host(url)} answered with more than {MAX_ANSWER_BYTES // 1_000_000} MB; refused")
    finally:
        r.close()
    r._content = bytes(body)  # what .text and .json() read


def _host(url: str) -> str:
    return re.sub(r"^https?://([^/]+).*$", r"\1", url)


def _text(el: ET.Element | None) -> str:
    return " ".join((el.text or "").split()) if el is not None else ""


def _split_name(name: str) -> tuple[str, str]:
    parts = name.split()
    if len(parts) <= 1:
        return (name.strip(), "")
    particles = {"van", "von", "der", "de", "den", "la", "le", "da", "di", "du", "del"}
    i = len(parts) - 1
    while i > 1 and parts[i - 1].lower() in particles:
        i -= 1
    return (" ".join(parts[i:]), " ".join(parts[:i]))


def parse_arxiv(xml_text: str, wanted: str) -> Paper:
    """Read one entry of an arXiv Atom feed."""
    found = parse_arxiv_feed(xml_text)
    if not found:
        raise FetchError(f"arXiv has no paper {wanted}")
    if wanted not in found:
        raise FetchError(f"arXiv answered with a different paper than {wanted}")
    paper, _comment = found[wanted]
    if paper is None:
        raise FetchError(f"arXiv's entry for {wanted} lacks a title, authors or date")
    return paper


def parse_arxiv_feed(xml_text: str) -> dict[str, tuple[Paper | None, str]]:
    """Every entry of an arXiv Atom feed, by id (no version): its metadata (None when it lacks a
    title, authors or date) and its comment (where arXiv says a paper was withdrawn)."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(xml_text, forbid_dtd=True)  # no DTD, entities or external references, anywhere
    except DefusedXmlException:
        raise FetchError("arXiv answered with an unexpected document type") from None
    except ET.ParseError:
        raise FetchError("arXiv's answer is not valid XML") from None
    out: dict[str, tuple[Paper | None, str]] = {}
    for e in root.findall(f"{ATOM}entry"):
        ident = _text(e.find(f"{ATOM}id"))
        found = identifiers.ARXIV.search(ident)
        if "/api/errors" in ident or not found or _text(e.find(f"{ATOM}title")) in ("", "Error"):
            continue
        wanted = found.group(1)
        title = _text(e.find(f"{ATOM}title"))
        authors = [_split_name(_text(a.find(f"{ATOM}name"))) for a in e.findall(f"{ATOM}author")]
        published = _text(e.find(f"{ATOM}published"))
        comment = _text(e.find(f"{ARXIV}comment"))
        if not title or not authors or not re.match(r"\d{4}", published):
            out[wanted] = (None, comment)
            continue
        primary = e.find(f"{ARXIV}primary_category")
        out[wanted] = (
            Paper(
                title=title,
                authors=authors,
                year=int(published[:4]),
                entry_type="misc",
                arxiv=wanted,
                doi=_text(e.find(f"{ARXIV}doi")),
                url=f"https://arxiv.org/abs/{wanted}",
                primary_class=primary.get("term", "") if primary is not None else "",
            ),
            comment,
        )
    return out


def fetch_arxiv(arxiv_id: str, net: Network, **kw) -> Paper:
    wanted = normalize_arxiv(arxiv_id)
    r = get(net.arxiv_api, net, params={"id_list": wanted, "max_results": "1"}, accept="application/atom+xml", **kw)
    if r.status_code != 200:
        raise FetchError(f"arXiv answered HTTP {r.status_code} for {wanted}")
    if not r.content.strip():
        raise FetchError("arXiv's answer was empty")
    return parse_arxiv(r.text, wanted)


_CROSSREF_TYPES = {"journal-article": "article", "proceedings-article": "inproceedings"}


def _crossref_text(value: object) -> str:
    """A Crossref text field (a list of strings, or one string), its JATS/HTML tags taken out."""
    first = value[0] if isinstance(value, list) and value else value
    if not isinstance(first, str):
        return ""
    return " ".join(re.sub(r"<[^>]{0,200}>", "", first).split())


def parse_crossref(data: object, wanted: str) -> Paper:
    if not isinstance(data, dict) or not isinstance(data.get("message"), dict):
        raise FetchError("Crossref's answer is not a works record")
    m = data["message"]
    title = _crossref_text(m.get("title"))
    authors = []
    people = m.get("author")
    for a in people if isinstance(people, list) else []:
        if isinstance(a, dict) and isinstance(a.get("family") or a.get("name"), str):
            given = a.get("given")
            authors.append((str(a.get("family") or a.get("name")), given if isinstance(given, str) else ""))
    year = None
    for field_name in ("issued", "published-print", "published-online", "published", "created"):
        stamp = m.get(field_name)
        parts = stamp.get("date-parts") if isinstance(stamp, dict) else None
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            if type(parts[0][0]) is int:
                year = parts[0][0]
                break
    if not title or not authors or year is None:
        raise FetchError(f"Crossref's record for {wanted} lacks a title, authors or year")
    venue = _crossref_text(m.get("container-title"))
    return Paper(
        title=title,
        authors=authors,
        year=year,
        entry_type=_CROSSREF_TYPES.get(str(m.get("type")), "misc"),
        venue=venue,
        doi=str(m.get("DOI") or wanted),
        url=f"https://doi.org/{wanted}",
        volume=str(m.get("volume") or ""),
        pages=str(m.get("page") or "").replace("-", "--"),
        publisher=str(m.get("publisher") or ""),
    )


def fetch_doi(doi: str, net: Network, **kw) -> Paper:
    wanted = normalize_doi(doi)
    r = get(f"{net.crossref_api.rstrip('/')}/{quote(wanted, safe='/')}", net, accept="application/json", **kw)
    if r.status_code == 404:
        raise FetchError(f"Crossref knows no DOI {wanted}")
    if r.status_code != 200:
        raise FetchError(f"Crossref answered HTTP {r.status_code} for {wanted}")
    try:
        data = r.json()
    except ValueError:
        raise FetchError("Crossref's answer is not valid JSON") from None
    return parse_crossref(data, wanted)


# --- BibTeX ------------------------------------------------------------------------

STOPWORDS = {"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "at", "by", "from", "is", "are", "towards"}


def ascii_word(text: str) -> str:
    """A word as ASCII letters for a key: transliterated (anyascii: 'Łukasz' -> 'lukasz',
    '张' -> 'zhang'), not stripped of every letter outside ASCII."""
    from anyascii import anyascii

    return re.sub(r"[^a-z]", "", anyascii(text).lower())


def house_key(paper: Paper) -> str:
    """firstauthorYEARfirstword, e.g. kaplan2020scaling."""
    family = ascii_word(paper.authors[0][0]) or "anon"
    words = [ascii_word(w) for w in re.split(r"[\s:\-–—/]+", paper.title)]
    first = next((w for w in words if w and w not in STOPWORDS), "untitled")
    return f"{family}{paper.year}{first}"


def bib_value(text: str) -> str:
    """A brace-delimited BibTeX value: special characters escaped, braces balanced."""
    text = " ".join(text.split())
    text = text.replace("\\", "").replace("{", "").replace("}", "")
    return re.sub(r"([&%#_$])", r"\\\1", text)


def bibtex_entry(paper: Paper, key: str) -> str:
    names = [f"{fam}, {given}".strip(", ") for fam, given in paper.authors]
    if len(names) > 16:  # house convention: first ten and "others"
        names = names[:10] + ["others"]
    fields = [("title", paper.title), ("author", " and ".join(names)), ("year", str(paper.year))]
    if paper.entry_type == "article" and paper.venue:
        fields.append(("journal", paper.venue))
    elif paper.entry_type == "inproceedings" and paper.venue:
        fields.append(("booktitle", paper.venue))
    for name, value in (
        ("volume", paper.volume),
        ("pages", paper.pages),
        ("publisher", paper.publisher),
        ("doi", paper.doi),
        ("eprint", paper.arxiv),
    ):
        if value:
            fields.append((name, value))
    if paper.arxiv:
        fields.append(("archivePrefix", "arXiv"))
        if paper.primary_class:
            fields.append(("primaryClass", paper.primary_class))
    if paper.url and not paper.arxiv and not paper.doi:
        fields.append(("url", paper.url))
    entry_type = paper.entry_type
    if entry_type in ("article", "inproceedings") and not paper.venue:
        entry_type = "misc"
    width = max(len(n) for n, _ in fields)
    body = ",\n".join(f"  {n.ljust(width)} = {{{bib_value(v)}}}" for n, v in fields)
    return f"@{entry_type}{{{key},\n{body}\n}}\n"
