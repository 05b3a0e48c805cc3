"""Identifier grammars, defined once: arXiv ids and DOIs, as a bibliography field holds them
and as a person types them on the command line."""

from __future__ import annotations

import re

_ARXIV_BODY = r"(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?"  # new or old style, then a version
_DOI_BODY = r"10\.\d{4,9}/\S+"

ARXIV = re.compile(_ARXIV_BODY)  # what an `eprint` field holds
DOI = re.compile(_DOI_BODY)  # what a `doi` field holds
_ARXIV_TYPED = re.compile(r"(?:arxiv:)?" + _ARXIV_BODY, re.I)  # also `arXiv:2203.02155v2`
_DOI_TYPED = re.compile(r"(?:https?://(?:dx\.)?doi\.org/|doi:)?(" + _DOI_BODY + ")", re.I)  # also a doi.org link


def is_arxiv(value: str) -> bool:
    return ARXIV.fullmatch(value.strip()) is not None


def is_doi(value: str) -> bool:
    return DOI.fullmatch(value.strip()) is not None


def arxiv_typed(value: str) -> str | None:
    """The arXiv id (without its version) in what a person typed, or None."""
    m = _ARXIV_TYPED.fullmatch(value.strip())
    return m.group(1) if m else None


def doi_typed(value: str) -> str | None:
    """The bare DOI in what a person typed (a doi.org link or `doi:` prefix allowed), or None."""
    m = _DOI_TYPED.fullmatch(value.strip())
    return m.group(1) if m else None


def without_version(arxiv: str) -> str:
    return re.sub(r"v\d+$", "", arxiv)
