"""The `fmkb` command line: I/O at the edge, everything else in the engine."""

from __future__ import annotations

import argparse
import sys

from .config import ConfigError, load_settings
from .diagnostics import RENDERERS, summarize


def _check(args: argparse.Namespace) -> int:
    from .engine import analyze

    settings = load_settings(args.config_file)
    analysis = analyze(settings)
    report = analysis.report
    summary = summarize(report.diagnostics, report.notes, report.links, report.citations)
    sys.stdout.write(RENDERERS[args.format](report.diagnostics, summary))
    failing = summary.errors + (summary.warnings if args.strict else 0)
    return 1 if failing else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fmkb", description="Foundation Model Knowledge Base tools.")
    parser.add_argument("-f", "--config-file", default="mkdocs.yml", help="path to mkdocs.yml (default: %(default)s)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="check notes, wiki-links, citations, front matter and references.bib")
    p.add_argument("--format", choices=sorted(RENDERERS), default="text", help="output format (default: text)")
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.set_defaults(func=_check)
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


def entry() -> None:
    sys.exit(main())
