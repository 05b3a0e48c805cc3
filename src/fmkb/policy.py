"""The rules policy: which rules are on, at what severity, and the house rules' parameters.

A vault sets it in the `rules:` option of the `fmkb` plugin (`mkdocs.yml`):

    rules:
      note-orphan: error                       # any rule: off, warning or error
      note-few-links: {severity: error, min: 2} # a house rule: its severity and parameters
      bib-unused: off

The defaults suit any vault: every structural rule (broken links, unknown keys, unsafe HTML,
...) on at its own severity, and every house rule off: an orphan or a short note is a matter
of a vault's own policy, which turns them on. The policy is applied in one place, the report
(`check.finish`), so cached results never depend on it; the house rules' parameters are
part of the check cache's fingerprint.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .diagnostics import RULES, Diagnostic, Severity
from .resolve import close_matches

# Each house rule's parameters and their defaults. `except` (every house rule): glob patterns of
# note paths, relative to the notes folder, that the rule leaves alone.
HOUSE_PARAMS: dict[str, dict[str, Any]] = {
    "note-orphan": {"except": ["index.md"]},
    "note-few-links": {"min": 1, "except": []},
    "note-short": {"min_words": 50, "by_kind": {}, "except": ["index.md"]},
    "paper-sections": {"sections": ["Summary"], "except": []},
    "model-facts": {"fields": ["organization", "released"], "except": []},
    "note-description": {"except": ["index.md"]},
    "note-tags": {"except": ["index.md"]},
}
_LEVELS = {"off": None, "warning": Severity.WARNING, "error": Severity.ERROR}


@dataclass(frozen=True, slots=True)
class RulePolicy:
    levels: Mapping[str, Severity | None]  # every rule -> its severity, None when off
    params: Mapping[str, Mapping[str, Any]]  # every house rule -> its parameters

    @staticmethod
    def default() -> RulePolicy:
        return RulePolicy.parse({})

    @staticmethod
    def parse(raw: Mapping[str, Any] | None) -> RulePolicy:
        """The policy the `rules:` option describes; ValueError names what is wrong and how to fix it."""
        levels = {name: (rule.severity if rule.on else None) for name, rule in RULES.items()}
        params = {name: dict(values) for name, values in HOUSE_PARAMS.items()}
        for name, value in (raw or {}).items():
            if name not in RULES:
                close = close_matches(str(name), RULES, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise ValueError(f"unknown rule '{name}'{hint}")
            if isinstance(value, Mapping):
                options = dict(value)
                level = options.pop("severity", RULES[name].severity.value)  # a mapping turns the rule on
                for key, given in options.items():
                    params[name][key] = _param(name, key, given)
            else:
                level = value
            if level is False:  # YAML reads a bare `off` as false
                level = "off"
            if level not in _LEVELS:
                raise ValueError(f"rule '{name}': severity must be off, warning or error, not {level!r}")
            levels[name] = _LEVELS[level]
        return RulePolicy(levels, params)

    def on(self, rule: str) -> bool:
        return self.levels.get(rule) is not None

    def param(self, rule: str, name: str) -> Any:
        return self.params[rule][name]

    def applies(self, rule: str, path: str) -> bool:
        """The rule is on and `path` (relative to the notes folder) is not excepted from it."""
        if not self.on(rule):
            return False
        return not any(fnmatch.fnmatchcase(path, pattern) for pattern in self.params.get(rule, {}).get("except", ()))

    def apply(self, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
        """Rules that are off dropped; each diagnostic at its rule's severity."""
        out = []
        for d in diagnostics:
            level = self.levels.get(d.rule, d.severity)
            if level is None:
                continue
            out.append(d if level is d.severity else dataclasses.replace(d, severity=level))
        return out

    def fingerprint(self) -> list:
        """What a cached result depends on: which house rules are on, and their parameters."""
        return sorted([name, self.on(name), repr(sorted(values.items()))] for name, values in self.params.items())


def _param(rule: str, key: str, value: Any) -> Any:
    defaults = HOUSE_PARAMS.get(rule)
    if defaults is None:
        raise ValueError(f"rule '{rule}' takes only a severity (off, warning or error), not '{key}'")
    if key not in defaults:
        known = ", ".join(["severity", *defaults])
        raise ValueError(f"rule '{rule}' has no parameter '{key}' (it takes {known})")
    default = defaults[key]
    if isinstance(default, bool) or not isinstance(default, int | list | dict):
        return value
    if isinstance(default, int):
        if type(value) is not int or value < 0:
            raise ValueError(f"rule '{rule}': '{key}' must be a whole number, not {value!r}")
    elif isinstance(default, list):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"rule '{rule}': '{key}' must be a list of names")
    elif not isinstance(value, dict) or not all(isinstance(k, str) and type(v) is int for k, v in value.items()):
        raise ValueError(f"rule '{rule}': '{key}' must map kinds to whole numbers, e.g. {{paper: 250}}")
    return value
