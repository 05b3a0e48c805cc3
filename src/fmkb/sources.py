"""Sources: the files of the notes folder that the site publishes, decided once.

MkDocs decides what it renders and copies (`mkdocs.structure.files.get_files`: every
file under `docs_dir`, links followed, `exclude_docs` applied); fmkb takes that very
list and sorts it into notes (which it checks), inert attachments, and files it
refuses to publish. `fmkb check` and the plugin both use `find_sources`, and the
plugin drops from MkDocs' own list whatever is not a checked note or an attachment,
so nothing reaches the site unchecked.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Attachments published as they are: types a browser shows, plays or downloads but never runs
# script from. Anything else (HTML, SVG, XML in any of its many extensions, scripts, style
# sheets, unknown types a server may map to one of them) is refused unless `allow_files` names it.
INERT_EXTENSIONS = frozenset(
    (
        ".png .jpg .jpeg .gif .webp .avif .bmp .ico .tif .tiff .pdf .txt .csv .tsv .json .bib "
        ".zip .gz .tgz .mp3 .m4a .ogg .oga .wav .flac .mp4 .m4v .webm .ogv .woff .woff2 .ttf .otf"
    ).split()
)
NOTE_EXTENSION = ".md"


@dataclass(slots=True)
class Refused:
    path: str  # relative to docs_dir
    rule: str
    message: str
    hint: str | None = None


@dataclass(slots=True)
class Sources:
    notes: list[str] = field(default_factory=list)  # Markdown pages, checked by fmkb
    attachments: set[str] = field(default_factory=set)  # published as they are
    refused: list[Refused] = field(default_factory=list)  # not published


def mkdocs_files(docs_dir: str, exclude_docs: Any = None) -> list[Any]:
    """The files MkDocs would take from `docs_dir`, by MkDocs' own walk and exclusions."""
    from mkdocs.structure.files import get_files

    config = {"docs_dir": docs_dir, "site_dir": os.devnull, "use_directory_urls": True, "exclude_docs": exclude_docs}
    return published(get_files(config), docs_dir)  # type: ignore[arg-type]


def published(files: Iterable[Any], docs_dir: str) -> list[Any]:
    """Of MkDocs' files (the plugin's `on_files` gets them), those it took from `docs_dir`
    and will publish: what `mkdocs_files` finds, without walking the folder again."""
    root = os.path.abspath(docs_dir)
    return [
        f
        for f in files
        if f.src_dir is not None
        and os.path.abspath(f.src_dir) == root
        and (f.inclusion.is_included() or f.inclusion.is_in_serve())
    ]


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root + os.sep)


def classify(files: Iterable[Any], docs_dir: str, allow_files: tuple[str, ...] = ()) -> Sources:
    """Sort MkDocs' files (objects with `src_uri` and `abs_src_path`) into notes,
    attachments and refused files. `allow_files` holds glob patterns of active files
    (HTML, SVG, ...) that the site publishes anyway."""
    out = Sources()
    root = os.path.realpath(docs_dir)
    plain_dirs: dict[str, bool] = {"": True}  # folder -> no link on the way from docs_dir

    def linked(rel: str, path: str) -> bool:
        """Whether the file or a folder above it (inside docs_dir) is a symbolic link; only
        then is its real path worth resolving (a realpath costs a system call per folder)."""
        folder = posixpath.dirname(rel)
        plain = plain_dirs.get(folder)
        if plain is None:
            plain = not linked(folder, os.path.dirname(path)) and not os.path.islink(os.path.dirname(path))
            plain_dirs[folder] = plain
        return not plain or os.path.islink(path)

    for f in files:
        rel = f.src_uri
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:  # a file name that is not UTF-8: MkDocs cannot write its page
            out.refused.append(Refused(rel, "file-unpublishable", "its name is not valid UTF-8", "rename it"))
            continue
        if not linked(rel, f.abs_src_path):
            real = os.path.join(root, *rel.split("/"))
        else:
            real = os.path.realpath(f.abs_src_path)
        if not _inside(real, root):
            out.refused.append(Refused(rel, "link-outside-vault", "symbolic link points outside the vault; not read"))
            continue
        inner = os.path.relpath(real, root).replace(os.sep, "/")
        if any(part.startswith(".") for part in inner.split("/")):
            out.refused.append(
                Refused(rel, "file-unpublishable", f"links to '{inner}', a hidden path fmkb does not publish")
            )
            continue
        ext = posixpath.splitext(rel)[1].lower()
        if f.is_documentation_page():
            if ext == NOTE_EXTENSION:
                out.notes.append(rel)
            else:
                out.refused.append(
                    Refused(rel, "file-unpublishable", f"a '{ext}' page is not a note", "rename it to .md")
                )
        elif ext not in INERT_EXTENSIONS and not any(fnmatch.fnmatchcase(rel, p) for p in allow_files):
            out.refused.append(
                Refused(
                    rel,
                    "file-unpublishable",
                    f"a '{ext or 'extension-less'}' file may run script on the site; only inert types are published",
                    "remove it, or list it under the plugin's allow_files option",
                )
            )
        else:
            out.attachments.add(rel)
    out.notes.sort()
    return out


def find_sources(docs_dir: str, exclude_docs: Any = None, allow_files: tuple[str, ...] = ()) -> Sources:
    return classify(mkdocs_files(docs_dir, exclude_docs), docs_dir, allow_files)
