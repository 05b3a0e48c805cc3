"""`fmkb check --external` against local servers: live, moved, dead, throttled, slow, reset."""

from __future__ import annotations

import socket
import struct
import threading
import time
from pathlib import Path

import pytest
from werkzeug import Response

from conftest import make_vault
from fmkb import cachefile
from fmkb.cachefile import default_dir

YML = """\
site_name: test
docs_dir: notes
plugins:
  - fmkb:
      bibliography: references.bib
      timeout: 0.5
      retries: 2
      max_wait: 2
      cache_ttl: 1
"""

BIB = """\
@misc{site2020page,
  title = {A page},
  year = {2020},
  url = {URL}
}
"""


@pytest.fixture
def reset_url():
    """A server that accepts a connection and resets it at once."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    stop = threading.Event()

    def serve():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}/reset"
    stop.set()
    t.join()
    srv.close()


@pytest.fixture
def run(run_cli):
    return lambda root, *args: run_cli(root, "check", "--external", *args)


def vault(tmp_path, body: str, bib_url: str):
    return make_vault(tmp_path, {"index.md": body}, bib=BIB.replace("URL", bib_url), mkdocs=YML)


def test_live_links_are_clean(tmp_path, httpserver, run):
    httpserver.expect_request("/ok").respond_with_data("fine")
    root = vault(tmp_path, f"[@site2020page] [ok]({httpserver.url_for('/ok')})", httpserver.url_for("/ok"))
    code, out, _ = run(root)
    assert code == 0 and out.startswith("0 errors, 0 warnings")


def test_dead_link_is_a_warning_at_its_place_and_an_error_with_strict(tmp_path, httpserver, run):
    httpserver.expect_request("/ok").respond_with_data("fine")
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    root = vault(tmp_path, f"[@site2020page]\n\nsee [gone]({httpserver.url_for('/gone')})", httpserver.url_for("/ok"))
    code, out, _ = run(root)
    assert code == 0
    assert f"notes/index.md:3:12: warning: dead link {httpserver.url_for('/gone')} (HTTP 404) [url-dead]" in out
    code, out, _ = run(root, "--strict")
    assert code == 1 and "error: dead link" in out


def test_permanent_redirect_is_reported_with_the_new_address(tmp_path, httpserver, run):
    new = httpserver.url_for("/new")
    httpserver.expect_request("/old").respond_with_response(Response(status=301, headers={"Location": "/new"}))
    httpserver.expect_request("/new").respond_with_data("moved here")
    root = vault(tmp_path, f"[@site2020page] <{httpserver.url_for('/old')}>", new)
    code, out, _ = run(root)
    assert code == 0 and f"moved permanently to {new} [url-redirect]" in out


def test_temporary_redirect_is_followed_silently(tmp_path, httpserver, run):
    httpserver.expect_request("/tmp").respond_with_response(Response(status=302, headers={"Location": "/ok"}))
    httpserver.expect_request("/ok").respond_with_data("fine")
    root = vault(tmp_path, f"[@site2020page] {httpserver.url_for('/tmp')}", httpserver.url_for("/ok"))
    assert run(root)[1].startswith("0 errors, 0 warnings")


def test_throttled_then_ok_honours_retry_after(tmp_path, httpserver, run):
    httpserver.expect_ordered_request("/busy").respond_with_data("wait", status=429, headers={"Retry-After": "1"})
    httpserver.expect_ordered_request("/busy").respond_with_data("fine")
    root = vault(tmp_path, f"[@site2020page] {httpserver.url_for('/busy')}", httpserver.url_for("/busy"))
    started = time.monotonic()
    code, out, _ = run(root)
    assert code == 0 and "url-dead" not in out
    assert time.monotonic() - started >= 1.0


def test_head_refused_falls_back_to_get(tmp_path, httpserver, run):
    httpserver.expect_request("/nohead", method="HEAD").respond_with_data("", status=405)
    httpserver.expect_request("/nohead", method="GET").respond_with_data("fine")
    root = vault(tmp_path, f"[@site2020page] {httpserver.url_for('/nohead')}", httpserver.url_for("/nohead"))
    assert run(root)[1].startswith("0 errors, 0 warnings")


def test_slow_server_is_reported_as_dead(tmp_path, httpserver, run):
    def slow(request):
        time.sleep(1.0)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    root = vault(tmp_path, "[@site2020page]", httpserver.url_for("/slow"))
    code, out, _ = run(root)
    assert "references.bib:4:1: warning: dead link" in out and "no answer within 0.5 s" in out


def test_reset_connection_is_reported_as_dead(tmp_path, httpserver, run, reset_url):
    root = vault(tmp_path, f"[@site2020page] {reset_url}", reset_url)
    code, out, _ = run(root)
    assert out.count("connection failed or was reset") == 2  # the note's link and the bib url


def test_doi_fields_are_checked_through_doi_org(tmp_path):
    from conftest import check_vault
    from fmkb.external import collect_urls

    root = make_vault(tmp_path, {"a.md": "x"}, bib="@misc{d2020, title={T}, year={2020}, doi={10.1/abc}}\n", mkdocs=YML)
    assert collect_urls(check_vault(root)) == {"https://doi.org/10.1/abc": [("references.bib", 1, 1)]}


def test_urls_in_code_are_not_checked(tmp_path):
    from conftest import check_vault
    from fmkb.external import collect_urls

    root = make_vault(tmp_path, {"a.md": "`https://a.example/x`\n```\nhttps://b.example/\n```\n"}, bib="", mkdocs=YML)
    assert collect_urls(check_vault(root)) == {}


def test_second_run_within_ttl_makes_no_request(tmp_path, httpserver, run):
    httpserver.expect_request("/ok").respond_with_data("fine")
    root = vault(tmp_path, f"[@site2020page] {httpserver.url_for('/ok')}", httpserver.url_for("/ok"))
    run(root)
    requests_first = len(httpserver.log)
    assert requests_first >= 1
    assert (Path(default_dir(str(root))) / "external-links.json").exists()
    run(root)
    assert len(httpserver.log) == requests_first


def test_expired_cache_is_checked_again(tmp_path, httpserver, run):
    import json

    httpserver.expect_request("/ok").respond_with_data("fine")
    root = vault(tmp_path, f"[@site2020page] {httpserver.url_for('/ok')}", httpserver.url_for("/ok"))
    run(root)
    cache = str(Path(default_dir(str(root))) / "external-links.json")
    data = json.loads(cachefile.read(cache))
    for v in data.values():
        v["checked"] -= 2 * 3600  # older than the one-hour TTL
    cachefile.write(cache, json.dumps(data))
    before = len(httpserver.log)
    run(root)
    assert len(httpserver.log) > before


def test_progress_bar_only_on_a_terminal(monkeypatch):
    import io

    from fmkb.external import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("CI", raising=False)
    tty = Tty()
    p = Progress(2, tty)
    p.step()
    p.step()
    assert "2/2" in tty.getvalue()
    piped = io.StringIO()
    Progress(2, piped).step()
    assert piped.getvalue() == ""
    monkeypatch.setenv("CI", "true")
    quiet = Tty()
    Progress(2, quiet).step()
    assert quiet.getvalue() == ""


def test_per_host_limit_bounds_concurrency(tmp_path, httpserver, run):
    in_flight, peak, lock = [0], [0], threading.Lock()

    def counted(request):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.1)
        with lock:
            in_flight[0] -= 1
        return Response("ok")

    for i in range(6):
        httpserver.expect_request(f"/p{i}").respond_with_handler(counted)
    body = "[@site2020page] " + " ".join(httpserver.url_for(f"/p{i}") for i in range(6))
    root = vault(tmp_path, body, httpserver.url_for("/p0"))
    assert run(root)[0] == 0
    assert 1 <= peak[0] <= 2  # per_host defaults to 2


@pytest.mark.parametrize(
    "rows",
    [
        '{"URL": {"url": "URL", "status": "two hundred", "final_url": "URL", "permanent_redirect": false, '
        '"error": null, "checked": 1e12}}',
        '{"URL": {"url": "URL"}}',
        '["not", "a", "mapping"]',
        "not json",
    ],
)
def test_a_malformed_link_cache_is_ignored_not_a_crash(tmp_path, httpserver, run, rows):
    httpserver.expect_request("/ok").respond_with_data("fine")
    url = httpserver.url_for("/ok")
    root = vault(tmp_path, f"[@site2020page] {url}", url)
    cachefile.write(str(Path(default_dir(str(root))) / "external-links.json"), rows.replace("URL", url))
    code, out, _ = run(root)  # run_cli asserts that nothing printed a traceback
    assert code == 0 and out.startswith("0 errors")
    assert len(httpserver.log) >= 1  # the malformed rows were not trusted: the link was checked


def test_when_every_request_fails_the_same_way_it_says_offline_and_reports_nothing_dead(tmp_path, run):
    closed = "http://127.0.0.1:9"  # nothing listens on the discard port here
    body = f"[@site2020page] [a]({closed}/a) [b]({closed}/b) [c]({closed}/c)"
    root = vault(tmp_path, body, f"{closed}/d")
    code, out, err = run(root, "--strict")
    assert code == 2 and "failed the same way (connection failed or was reset): offline?" in err
    assert "dead link" not in out


def test_one_live_link_among_dead_ones_is_not_offline(tmp_path, httpserver, run):
    httpserver.expect_request("/ok").respond_with_data("fine")
    closed = "http://127.0.0.1:9"
    root = vault(
        tmp_path, f"[@site2020page] [a]({closed}/a) [b]({closed}/b) [c]({closed}/c)", httpserver.url_for("/ok")
    )
    code, out, _ = run(root, "--strict")
    assert code == 1 and out.count("dead link") == 3
