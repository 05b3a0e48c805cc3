"""The `fmkb` command line: I/O at the edge, everything else in the engine."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import signal
import sys

from . import __version__
from .config import ConfigError, Settings, bare_vault_settings, find_project, load_settings
from .diagnostics import RENDERERS, summarize


def _check(args: argparse.Namespace) -> int:
    # A short-lived process over millions of acyclic objects: a cyclic collection would scan
    # them all (a fifth of a second at 10,000 notes) and free nothing. The process exits soon
    # (`entry`); a caller in the same process gets the collector back.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_check(args)
    finally:
        if was_enabled:
            gc.enable()


def _run_check(args: argparse.Namespace) -> int:
    from .engine import analyze, check

    settings = _project(args, getattr(args, "path", None))
    if args.no_cache:
        settings = dataclasses.replace(settings, cache_dir="")
    if args.only:
        settings = _only(settings, args.only)
    if args.fix and not args.metadata:
        code = _fix(settings)
        if code:
            return code
    if args.metadata:
        return _metadata(settings, args)
    if args.fields:
        print("fmkb: error: --fields goes with --metadata --fix", file=sys.stderr)
        return 2
    if args.external:  # it reads every note's URLs: the full pass
        from .diagnostics import sort_key
        from .external import Unreachable, check_external

        analysis = analyze(settings)
        report = analysis.report
        try:
            found = check_external(analysis, settings, strict=args.strict)
        except Unreachable as e:
            print(f"fmkb: external links not checked: {e}", file=sys.stderr)
            return 2
        diagnostics = sorted(report.diagnostics + found, key=sort_key)
    else:
        report = check(settings)
        diagnostics = report.diagnostics
    summary = summarize(diagnostics, report.notes, report.links, report.citations)
    sys.stdout.write(RENDERERS[args.format](diagnostics, summary))
    failing = summary.errors + (summary.warnings if args.strict else 0)
    return 1 if failing else 0


def _metadata(settings: Settings, args: argparse.Namespace) -> int:
    """`check --metadata`: the bibliography against arXiv and Crossref (with the check's report)."""
    from .bibcache import BibSource
    from .diagnostics import sort_key
    from .engine import check
    from .external import Unreachable
    from .metadata import FIELDS, adopt, check_metadata, gather

    fields = {f.strip() for f in (args.fields or "").split(",") if f.strip()}
    if args.fix and not fields:
        print(f"fmkb: error: name the fields to take from the sources: --fields {','.join(FIELDS)}", file=sys.stderr)
        return 2
    if fields - set(FIELDS):
        print(f"fmkb: error: --fields takes {', '.join(FIELDS)}", file=sys.stderr)
        return 2
    source = BibSource(settings.bibliography, settings.shown(settings.bibliography), settings.cache_dir)
    bib, _ = source.get()
    try:
        gathered = gather(bib, settings)
    except Unreachable as e:
        print(f"fmkb: bibliography not checked against its sources: {e}", file=sys.stderr)
        return 2
    if args.fix:
        from .fsutil import WriteRefused, replace_file

        with open(settings.bibliography, "rb") as fh:
            original = fh.read()
        text, changed, left = adopt(original.decode("utf-8"), bib, gathered, fields)
        for field in left:
            print(f"fmkb: not rewritten: {field}", file=sys.stderr)
        if changed:
            try:
                replace_file(settings.bibliography, text.encode("utf-8"), original)
            except WriteRefused as e:
                print(f"fmkb: error: {e}", file=sys.stderr)
                return 1
            print(f"fmkb: took {changed} field{'s' if changed != 1 else ''} from the sources", file=sys.stderr)
            # the new entries against the answers already had: no second round of requests
            bib, _ = BibSource(settings.bibliography, settings.shown(settings.bibliography), "").get()
            gathered = {key: answer for key, answer in gathered.items() if key in bib.entries}
    report = check(settings)
    found = check_metadata(bib, settings, strict=args.strict, gathered=gathered)
    diagnostics = sorted(report.diagnostics + found, key=sort_key)
    summary = summarize(diagnostics, report.notes, report.links, report.citations)
    sys.stdout.write(RENDERERS[args.format](diagnostics, summary))
    return 1 if summary.errors + (summary.warnings if args.strict else 0) else 0


def _only(settings: Settings, names: str) -> Settings:
    """Report only these rules; a rule the policy turns off is turned on (`--only note-orphan`
    lists orphans in any vault)."""
    from .diagnostics import RULES
    from .policy import RulePolicy

    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in RULES]
    if unknown:
        raise ConfigError(f"--only: unknown rule {', '.join(unknown)} (rules: fmkb check --help)")
    levels = {name: (level if name in wanted else None) for name, level in settings.rules.levels.items()}
    for name in wanted:
        levels[name] = levels[name] or RULES[name].severity
    return dataclasses.replace(settings, rules=RulePolicy(levels, settings.rules.params))


def _fix(settings: Settings) -> int:
    """Make the mechanical fixes, showing each as a diff; the check then reports what is left."""
    from .engine import analyze
    from .fix import apply_fixes, plan_fixes
    from .fsutil import WriteRefused

    plan = plan_fixes(analyze(settings))
    if not plan.edits:
        print("fmkb: nothing to fix", file=sys.stderr)
        return 0
    sys.stdout.write(plan.diff)
    try:
        apply_fixes(plan)
    except WriteRefused as e:
        print(f"fmkb: error: {e}", file=sys.stderr)
        return 1
    files = len(plan.edits)
    print(
        f"fmkb: fixed {plan.fixed} problem{'s' if plan.fixed != 1 else ''} in {files} note{'s' if files != 1 else ''}",
        file=sys.stderr,
    )
    return 0


def _graph(args: argparse.Namespace) -> int:
    from .engine import analyze
    from .graph import note_graph, to_dot, to_json

    graph = note_graph(analyze(_project(args)))
    sys.stdout.write(to_json(graph) if args.format == "json" else to_dot(graph, citations=not args.no_citations))
    return 0


def _zensical(args: argparse.Namespace) -> int:
    """`fmkb zensical`: the site built with Zensical, from the same engine pass (zensical_build.py)."""
    from .zensical_build import build_with_zensical

    config = args.config_file or find_project(".")
    if config is None:
        raise ConfigError("no mkdocs.yml here or in a parent folder: run fmkb inside the project, or pass -f")
    if not os.path.isfile(config):
        raise ConfigError(f"{config} not found: run fmkb in the folder that holds mkdocs.yml, or pass -f")
    return build_with_zensical(config, args.site_dir, args.strict, lambda line: print(line, file=sys.stderr))


def _project(args: argparse.Namespace, path: str | None = None) -> Settings:
    """The project to work on: `-f mkdocs.yml` if given; else the mkdocs.yml in PATH (default
    the current folder) or its nearest parent; else, for `check`, PATH as a bare vault."""
    if args.config_file:
        return load_settings(args.config_file)
    config = find_project(path or ".")
    if config is not None:
        return load_settings(config)
    if args.command in ("check", "graph", "rename"):
        return bare_vault_settings(path or ".")
    raise ConfigError("no mkdocs.yml here or in a parent folder: run fmkb inside the project, or pass -f")


def _terminate(signum, frame):
    raise KeyboardInterrupt


def _new(args: argparse.Namespace) -> int:
    from .new import NewError, name_clashes, new_paper, new_plain, offline_help, paper_by_hand, paper_from_bibtex

    settings = _project(args)
    # SIGTERM (CI cancelling a job, `kill`) unwinds like Ctrl-C, so a half-done `new` is rolled back
    signal.signal(signal.SIGTERM, _terminate)
    try:
        if args.kind == "paper":
            paper, given_key = None, ""
            by_hand = args.title or args.author or args.year
            if args.bibtex:
                text = sys.stdin.read() if args.bibtex == "-" else _read_text(args.bibtex)
                paper, given_key = paper_from_bibtex(text, "standard input" if args.bibtex == "-" else args.bibtex)
            elif by_hand:
                if not (args.title and args.author and args.year):
                    print("fmkb: error: by hand, give --title, --author (once per author) and --year", file=sys.stderr)
                    return 2
                paper = paper_by_hand(args.title, args.author, args.year, args.arxiv or "", args.doi or "")
            elif bool(args.arxiv) == bool(args.doi):
                print(
                    "fmkb: error: give --arxiv ID or --doi DOI, --bibtex FILE, or --title/--author/--year",
                    file=sys.stderr,
                )
                return 2
            elif args.offline:
                print(offline_help(args.arxiv, args.doi), file=sys.stderr)
                return 1
            title = paper.title if paper else None
            clashes = name_clashes(settings, title) if title else []
            key, path = new_paper(
                settings, arxiv=None if paper else args.arxiv, doi=None if paper else args.doi, paper=paper
            )
            kept = (
                f" (the entry's own key '{given_key}' became the house key)" if given_key and given_key != key else ""
            )
            print(f"added @{key} to {settings.shown(settings.bibliography)} and created {path}{kept}")
            for other in clashes:
                print(
                    f"fmkb: warning: {other} has the same name or alias: links to it may now be ambiguous",
                    file=sys.stderr,
                )
        else:
            if not args.name:
                print(f'fmkb: error: give the {args.kind}\'s name: fmkb new {args.kind} "Name"', file=sys.stderr)
                return 2
            path = new_plain(settings, args.kind, args.name)
            print(f"created {path}")
    except NewError as e:
        print(f"fmkb: error: {e}", file=sys.stderr)
        if args.kind == "paper" and "cannot reach" in str(e):
            print("fmkb: no network? run again with --offline to see how to add the paper by hand", file=sys.stderr)
        return 1
    return 0


def _read_text(path: str) -> str:
    from .new import NewError

    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError) as e:
        raise NewError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None


def _rename(args: argparse.Namespace) -> int:
    from .rename import RenameError, apply_rename, plan_rename

    settings = _project(args)
    signal.signal(signal.SIGTERM, _terminate)  # unwinds like Ctrl-C: the rename is rolled back
    try:
        plan = plan_rename(settings, args.old, args.new)
        if not args.dry_run:
            apply_rename(plan)
    except RenameError as e:
        print(f"fmkb: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        print(f"fmkb: error: {where}{e.strerror or e}; nothing renamed", file=sys.stderr)
        return 1
    print(("would have " if args.dry_run else "") + plan.summary(settings))
    for path in plan.edits:
        print(f"  {settings.shown(path)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fmkb", description="Foundation Model Knowledge Base tools.")
    parser.add_argument("--version", action="version", version=f"fmkb {__version__}")
    parser.add_argument(
        "-f", "--config-file", help="path to mkdocs.yml (default: the one in the current folder or a parent)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="check notes, wiki-links, citations, front matter and references.bib")
    p.add_argument(
        "path",
        nargs="?",
        help="the project (or a folder in it) or, without mkdocs.yml, a bare vault to check (default: .)",
    )
    p.add_argument("--format", choices=sorted(RENDERERS), default="text", help="output format (default: text)")
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.add_argument("--external", action="store_true", help="also check that external http(s) links are alive")
    p.add_argument(
        "--metadata",
        action="store_true",
        help="also compare every bib entry with arXiv or Crossref (title, authors, year, venue)",
    )
    p.add_argument(
        "--no-cache", action="store_true", help="check everything afresh; neither read nor write the cache folder"
    )
    p.add_argument(
        "--fields", metavar="FIELD[,FIELD]", help="with --metadata --fix: the fields to take from the sources"
    )
    p.add_argument("--only", metavar="RULE[,RULE]", help="report only these rules (turning them on), e.g. note-orphan")
    p.add_argument(
        "--fix",
        action="store_true",
        help="fix what is mechanical (link case, title links, a paper's year), show the diff, then check",
    )
    p.set_defaults(func=_check)
    n = sub.add_parser("new", help="start a note: a paper from its arXiv id or DOI, or a concept or model")
    n.add_argument("kind", choices=["paper", "concept", "model"])
    n.add_argument("name", nargs="?", help="the note's name (concept and model)")
    n.add_argument("--arxiv", metavar="ID", help="arXiv id, e.g. 2203.02155")
    n.add_argument("--doi", metavar="DOI", help="DOI, e.g. 10.1038/s41586-021-03819-2")
    n.add_argument("--offline", action="store_true", help="fetch nothing: use --bibtex or --title/--author/--year")
    n.add_argument(
        "--bibtex", metavar="FILE", help="take the entry from a BibTeX file (Zotero, a publisher); - reads stdin"
    )
    n.add_argument("--title", help="by hand: the paper's title")
    n.add_argument("--author", action="append", help='by hand: an author, "Last, First" (repeat for each)')
    n.add_argument("--year", type=int, help="by hand: the year")
    n.set_defaults(func=_new)
    r = sub.add_parser("rename", help="move a note, attachment or folder and rewrite every link to it")
    r.add_argument("old", help="the note, attachment or folder, e.g. notes/concepts/Scaling laws.md")
    r.add_argument("new", help="its new path (a folder keeps the file name)")
    r.add_argument("--dry-run", action="store_true", help="say what would change; write nothing")
    r.set_defaults(func=_rename)
    g = sub.add_parser("graph", help="the note graph (notes, links, cited works) as JSON or Graphviz DOT")
    g.add_argument("--format", choices=["json", "dot"], default="json", help="output format (default: json)")
    g.add_argument("--no-citations", action="store_true", help="DOT: leave out the cited works")
    g.set_defaults(func=_graph)
    z = sub.add_parser(
        "zensical", help="build the site with Zensical instead of MkDocs (needs: pip install 'fmkb[zensical]')"
    )
    z.add_argument(
        "--strict", action="store_true", help="build nothing when the check finds errors, as mkdocs build --strict"
    )
    z.add_argument("--site-dir", metavar="DIR", help="where the site goes, inside the project (default: site-zensical)")
    z.set_defaults(func=_zensical)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse already printed the usage problem
        return 2 if e.code else 0
    try:
        return args.func(args)
    except ConfigError as e:
        print(f"fmkb: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fmkb: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader (`| head`) went away: the work is done, the rest unread
        return 1


def entry() -> None:
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # the reader went away: nothing more to say
        code = code or 1
    # Skip the interpreter's teardown: freeing every parsed note and bib entry one by one
    # costs more than half a second on a large vault, and the OS reclaims it all at once.
    os._exit(code)
