"""`fmkb check --external`: are the http(s) links in notes and references.bib alive?

A thread pool with a per-host limit; HEAD first, GET when a server refuses HEAD;
redirects followed by hand so that permanent ones can be reported; Retry-After
honoured within bounds; results cached on disk for a time-to-live, so a second
run within it sends no request.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from urllib.parse import urljoin, urlsplit

import requests

from . import cachefile
from .config import Network, Settings
from .diagnostics import Diagnostic, Severity, diag
from .engine import Analysis
from .fetch import USER_AGENT, backoff

CACHE_NAME = "external-links.json"
PERMANENT = {301, 308}
HEAD_REFUSED = {400, 403, 405, 501}


@dataclass(frozen=True, slots=True)
class LinkResult:
    url: str
    status: int | None  # final HTTP status, None when no answer
    final_url: str
    permanent_redirect: bool
    error: str | None
    checked: float  # epoch seconds

    @property
    def dead(self) -> bool:
        return self.error is not None or self.status is None or self.status >= 400


def collect_urls(analysis: Analysis) -> dict[str, list[tuple[str, int, int]]]:
    """url -> places (path, line, column), from notes and bib url/doi fields."""
    places: dict[str, list[tuple[str, int, int]]] = {}
    for note in analysis.vault.notes:
        for url, line, col in note.urls:
            places.setdefault(url, []).append((analysis.vault.prefix + note.path, line, col))
    for entry in analysis.bib.entries.values():
        url = entry.fields.get("url", "").strip()
        if url.startswith(("http://", "https://")):
            places.setdefault(url, []).append((analysis.bib.path, entry.field_lines.get("url", entry.line), 1))
        doi = entry.fields.get("doi", "").strip()
        if doi:
            places.setdefault(f"https://doi.org/{doi}", []).append(
                (analysis.bib.path, entry.field_lines.get("doi", entry.line), 1)
            )
    return places


class Checker:
    """Checks URLs with bounded concurrency per host. One instance per run."""

    def __init__(self, net: Network, sleep: Callable[[float], None] = time.sleep) -> None:
        self.net = net
        self.sleep = sleep
        self._hosts: dict[str, threading.Semaphore] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def _session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = self._local.session = requests.Session()
            s.headers["User-Agent"] = USER_AGENT
        return s

    def _host_slot(self, url: str) -> threading.Semaphore:
        host = urlsplit(url).netloc.lower()
        with self._lock:
            if host not in self._hosts:
                self._hosts[host] = threading.Semaphore(max(1, self.net.per_host))
            return self._hosts[host]

    def _request(self, method: str, url: str) -> requests.Response:
        attempt = 0
        while True:
            with self._host_slot(url):
                r = self._session().request(
                    method, url, allow_redirects=False, stream=True, timeout=(self.net.timeout, self.net.timeout)
                )
                r.close()
            # a link check retries only "busy" answers; any other status is the link's answer
            wait = backoff(attempt, r.headers.get("Retry-After"), self.net) if r.status_code in (429, 503) else None
            if wait is None:
                return r
            self.sleep(wait)
            attempt += 1

    def check(self, url: str) -> LinkResult:
        current, permanent = url, False
        try:
            for _ in range(10):
                r = self._request("HEAD", current)
                if r.status_code in HEAD_REFUSED:
                    r = self._request("GET", current)
                if r.is_redirect or r.status_code in (301, 302, 303, 307, 308):
                    location = r.headers.get("Location")
                    if not location:
                        return LinkResult(
                            url, r.status_code, current, permanent, "redirect without a Location", time.time()
                        )
                    if current == url and r.status_code in PERMANENT:
                        permanent = True
                    current = urljoin(current, location)
                    continue
                return LinkResult(url, r.status_code, current, permanent, None, time.time())
            return LinkResult(url, None, current, permanent, "too many redirects", time.time())
        except requests.exceptions.Timeout:
            return LinkResult(url, None, current, permanent, f"no answer within {self.net.timeout:g} s", time.time())
        except requests.exceptions.ConnectionError:
            return LinkResult(url, None, current, permanent, "connection failed or was reset", time.time())
        except requests.exceptions.RequestException as e:
            return LinkResult(url, None, current, permanent, type(e).__name__, time.time())


def _result(url: str, row: object) -> LinkResult | None:
    """A cached row as a LinkResult, or None when any field has the wrong type."""
    if not isinstance(row, dict) or set(row) != set(LinkResult.__dataclass_fields__):
        return None
    status, checked = row["status"], row["checked"]
    ok = (
        row["url"] == url
        and (status is None or (isinstance(status, int) and not isinstance(status, bool)))
        and isinstance(row["final_url"], str)
        and isinstance(row["permanent_redirect"], bool)
        and (row["error"] is None or isinstance(row["error"], str))
        and isinstance(checked, (int, float))
        and not isinstance(checked, bool)
    )
    return LinkResult(**row) if ok else None


def _load_cache(path: str) -> dict[str, LinkResult]:
    """The cached results this machine wrote; a malformed or foreign cache counts as empty."""
    out = {}
    for url, row in cachefile.read_rows(path).items():
        result = _result(url, row)
        if result is not None:
            out[url] = result
    return out


def _save_cache(path: str, results: dict[str, LinkResult]) -> None:
    cachefile.write(path, json.dumps({u: asdict(r) for u, r in sorted(results.items())}, indent=1))


class Progress:
    """A one-line progress bar on a terminal; silent in CI or when piped."""

    def __init__(self, total: int, stream=None) -> None:
        stream = stream if stream is not None else sys.stderr
        self.total, self.done, self.stream = total, 0, stream
        self.enabled = total > 0 and stream.isatty() and not os.environ.get("CI")
        self._lock = threading.Lock()

    def step(self) -> None:
        with self._lock:
            self.done += 1
            if self.enabled:
                width = 30
                filled = width * self.done // self.total
                self.stream.write(f"\rchecking links [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}")
                if self.done == self.total:
                    self.stream.write("\n")
                self.stream.flush()


OFFLINE_AFTER = 3  # this many requests, every one failing the same way, mean no network


class Unreachable(Exception):
    """No external link could be checked: the machine has no working network."""


def check_external(
    analysis: Analysis,
    settings: Settings,
    strict: bool = False,
    checker: Checker | None = None,
    now: Callable[[], float] = time.time,
) -> list[Diagnostic]:
    """Diagnostics for dead links (`url-dead`) and permanent redirects (`url-redirect`)."""
    places = collect_urls(analysis)
    cache_path = os.path.join(settings.cache_dir, CACHE_NAME) if settings.cache_dir else ""
    cache = _load_cache(cache_path) if cache_path else {}
    ttl = settings.network.cache_ttl * 3600
    fresh = {u: r for u, r in cache.items() if u in places and now() - r.checked < ttl}
    todo = [u for u in places if u not in fresh]
    checker = checker or Checker(settings.network)
    progress = Progress(len(todo))
    results = dict(fresh)
    if todo:
        with ThreadPoolExecutor(max_workers=max(1, settings.network.workers)) as pool:

            def check_one(url: str) -> LinkResult:
                result = checker.check(url)
                progress.step()
                return result

            for result in pool.map(check_one, todo):
                results[result.url] = result
    checked = [results[u] for u in todo]
    reasons = {r.error for r in checked}
    if len(checked) >= OFFLINE_AFTER and len(reasons) == 1 and None not in reasons:
        # every request failed the same way: this machine is offline (or behind a wall), the links
        # may be fine; nothing is reported dead and nothing is cached
        raise Unreachable(f"all {len(checked)} requests failed the same way ({reasons.pop()}): offline?")
    if cache_path:
        _save_cache(cache_path, {**{u: r for u, r in cache.items() if now() - r.checked < ttl}, **results})
    out = []
    for url, where in places.items():
        r = results[url]
        for path, line, col in where:
            if r.dead:
                reason = r.error or f"HTTP {r.status}"
                d = diag(
                    path,
                    line,
                    col,
                    "url-dead",
                    f"dead link {url} ({reason})",
                    "fix or remove the link, or point it at an archived copy",
                )
                out.append(
                    Diagnostic(
                        d.path,
                        d.line,
                        d.column,
                        d.rule,
                        d.message,
                        d.hint,
                        Severity.ERROR if strict else Severity.WARNING,
                    )
                )
            elif r.permanent_redirect:
                out.append(
                    diag(
                        path,
                        line,
                        col,
                        "url-redirect",
                        f"{url} moved permanently to {r.final_url}",
                        f"link to {r.final_url}",
                    )
                )
    return out
