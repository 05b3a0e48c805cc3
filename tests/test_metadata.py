"""`fmkb check --metadata`: the bibliography against recorded arXiv and Crossref answers, served
by a local server (no network)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import DPO_AUTHORS, api_yml, make_vault

FIXTURES = Path(__file__).parent / "fixtures"

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <id>http://arxiv.org/api/recorded</id>
  <entry>
    <id>http://arxiv.org/abs/2305.18290v3</id>
    <published>2023-05-29T17:57:46Z</published>
    <title>Direct Preference Optimization: Your Language Model is Secretly a Reward
  Model</title>
    <author><name>Rafael Rafailov</name></author>
    <author><name>Archit Sharma</name></author>
    <author><name>Eric Mitchell</name></author>
    <author><name>Stefano Ermon</name></author>
    <author><name>Christopher D. Manning</name></author>
    <author><name>Chelsea Finn</name></author>
  </entry>
  <entry>
    <id>http://arxiv.org/abs/2101.00001v2</id>
    <published>2021-01-01T00:00:00Z</published>
    <title>A Result We No Longer Stand By</title>
    <author><name>Ann Author</name></author>
    <arxiv:comment>This paper has been withdrawn by the author due to an error in Lemma 2</arxiv:comment>
  </entry>
</feed>
"""

SWAPPED = " and ".join(DPO_AUTHORS[i] for i in (0, 2, 1, 3, 4, 5))  # the bib's entry: two authors swapped
BIB = """\
@inproceedings{rafailov2023direct,
  title     = {Direct Preference Optimization: Your Language Model is Secretly a Reward Model},
  author    = {SWAPPED},
  booktitle = {Advances in Neural Information Processing Systems},
  year      = {2023},
  eprint    = {2305.18290},
  archivePrefix = {arXiv}
}

@misc{author2021result,
  title  = {A Result We No Longer Stand By},
  author = {Author, Ann},
  year   = {2021},
  eprint = {2101.00001v1},
  archivePrefix = {arXiv}
}

@article{jumper2021highly,
  title   = {Highly accurate protein structure prediction with {AlphaFold}},
  author  = {Jumper, John and Evans, Richard and Pritzel, Alexander and others},
  journal = {Science},
  year    = {2021},
  doi     = {10.1038/s41586-021-03819-2}
}

@article{ghost2020paper,
  title   = {A Paper That Is Not There},
  author  = {Ghost, Casper},
  journal = {Nowhere},
  year    = {2020},
  doi     = {10.9999/no-such-doi}
}
"""


BIB = BIB.replace("SWAPPED", SWAPPED)


def _yml(server) -> str:
    return api_yml(server, retries=1, max_wait=1)


def _serve(httpserver) -> None:
    httpserver.expect_request("/api/query").respond_with_data(FEED, content_type="application/atom+xml")
    crossref = (FIXTURES / "crossref_s41586-021-03819-2.json").read_text()
    httpserver.expect_request("/works/10.1038/s41586-021-03819-2").respond_with_data(
        crossref, content_type="application/json"
    )
    httpserver.expect_request("/works/10.9999/no-such-doi").respond_with_data("Resource not found.", status=404)


def _vault(tmp_path, httpserver):
    notes = {"index.md": "[@rafailov2023direct] [@author2021result] [@jumper2021highly] [@ghost2020paper]\n"}
    return make_vault(tmp_path, notes, bib=BIB, mkdocs=_yml(httpserver))


def _drift(out: str) -> list[tuple[int, str]]:
    return [(d["line"], d["message"]) for d in json.loads(out)["diagnostics"] if d["rule"] == "bib-metadata-drift"]


def test_each_disagreement_is_reported_at_its_field_with_the_sources_value(tmp_path, httpserver, run_cli):
    _serve(httpserver)
    root = _vault(tmp_path, httpserver)
    code, out, err = run_cli(root, "check", "--metadata", "--format", "json")
    found = _drift(out)
    assert any(
        line == 3 and m.startswith("'rafailov2023direct': the authors are in another order (arXiv lists 6")
        for line, m in found
    )
    hints = {d["line"]: d["hint"] for d in json.loads(out)["diagnostics"] if d["rule"] == "bib-metadata-drift"}
    assert hints[3].startswith("the source says: Rafailov, Rafael and Sharma, Archit and Mitchell, Eric")
    assert (14, "'author2021result': arXiv 2101.00001 has been withdrawn") in found
    assert (21, "'jumper2021highly': the journal differs from Crossref's") in found
    assert hints[21] == "the source says: Nature"
    assert (31, "'ghost2020paper': DOI 10.9999/no-such-doi does not resolve (Crossref knows no such DOI)") in found
    assert len(found) == 4  # the DPO year (2023, as its first version) and the 'others' list agree
    assert code == 0  # warnings; --strict makes them errors


def test_the_arxiv_ids_are_asked_in_one_batch_and_answers_are_cached(tmp_path, httpserver, run_cli):
    _serve(httpserver)
    root = _vault(tmp_path, httpserver)
    run_cli(root, "check", "--metadata", "--format", "json")
    arxiv = [r for r, _ in httpserver.log if r.path == "/api/query"]
    assert len(arxiv) == 1 and arxiv[0].args["id_list"] == "2101.00001,2305.18290"
    before = len(httpserver.log)
    code, out, _ = run_cli(root, "check", "--metadata", "--strict", "--format", "json")
    assert len(httpserver.log) == before and len(_drift(out)) == 4 and code == 1


def test_offline_it_says_so_once_and_reports_nothing(tmp_path, run_cli, httpserver):
    root = _vault(tmp_path, httpserver)
    yml = (root / "mkdocs.yml").read_text().replace(httpserver.url_for("/"), "http://127.0.0.1:9/")
    (root / "mkdocs.yml").write_text(yml)
    code, out, err = run_cli(root, "check", "--metadata")
    assert code == 2 and err.count("offline?") == 1 and "bib-metadata-drift" not in out


def test_fix_takes_the_named_fields_from_the_sources_and_keeps_every_other_byte(tmp_path, httpserver, run_cli):
    _serve(httpserver)
    root = _vault(tmp_path, httpserver)
    before = (root / "references.bib").read_text()
    code, out, err = run_cli(root, "check", "--metadata", "--fix", "--fields", "author,journal", "--format", "json")
    after = (root / "references.bib").read_text()
    assert "took 2 fields from the sources" in err
    fixed = "{" + " and ".join(DPO_AUTHORS) + "}"
    assert fixed in after and "journal = {Nature}" in after
    assert after.replace(fixed, "{" + SWAPPED + "}").replace("{Nature}", "{Science}") == before
    assert [line for line, _ in _drift(out)] == [14, 31]  # the withdrawn paper and the unknown DOI remain


def test_fix_needs_the_fields_named(tmp_path, httpserver, run_cli):
    root = _vault(tmp_path, httpserver)
    code, _, err = run_cli(root, "check", "--metadata", "--fix")
    assert code == 2 and "--fields title,author,year,journal,booktitle" in err


def test_hostile_or_malformed_answers_are_reported_never_a_traceback(tmp_path, httpserver, run_cli):
    httpserver.expect_request("/api/query").respond_with_data("<feed", content_type="application/atom+xml")
    record = {
        "message": {
            "title": "Highly accurate protein structure prediction with <i>AlphaFold</i>",
            "author": [{"family": "Jumper", "given": "John"}],
            "issued": "2021",
            "container-title": "Nature",
        }
    }
    httpserver.expect_request("/works/10.1038/s41586-021-03819-2").respond_with_data(
        json.dumps(record), content_type="application/json"
    )
    httpserver.expect_request("/works/10.9999/no-such-doi").respond_with_data(
        "busy", status=503, headers={"Retry-After": "\u00b2"}
    )
    root = _vault(tmp_path, httpserver)
    code, out, err = run_cli(root, "check", "--metadata", "--format", "json")
    assert "Traceback" not in err and "not checked" in err and "not valid XML" in err
    assert code == 0 and json.loads(out)["summary"]["notes"] == 1


def test_a_feed_about_other_papers_is_not_taken_for_an_answer(tmp_path, httpserver, run_cli):
    other = FEED.replace("2305.18290", "2999.00001").replace("2101.00001", "2999.00002")
    httpserver.expect_request("/api/query").respond_with_data(other, content_type="application/atom+xml")
    crossref = (FIXTURES / "crossref_s41586-021-03819-2.json").read_text()
    httpserver.expect_request("/works/10.1038/s41586-021-03819-2").respond_with_data(
        crossref, content_type="application/json"
    )
    httpserver.expect_request("/works/10.9999/no-such-doi").respond_with_data("Resource not found.", status=404)
    root = _vault(tmp_path, httpserver)
    code, out, err = run_cli(root, "check", "--metadata", "--format", "json")
    assert "other papers than those asked" in err
    assert not any("has no paper" in m or "withdrawn" in m for _, m in _drift(out))


def test_fix_writes_latex_and_special_characters_so_that_a_second_run_is_clean(tmp_path, httpserver, run_cli):
    feed = FEED.replace("A Result We No Longer Stand By", "The $\\alpha$-$\\beta$ Trick &amp; 100% of #1").replace(
        "<arxiv:comment>This paper has been withdrawn by the author due to an error in Lemma 2</arxiv:comment>",
        "<arxiv:comment>v2 replaces a withdrawn earlier draft</arxiv:comment>",
    )
    httpserver.expect_request("/api/query").respond_with_data(feed, content_type="application/atom+xml")
    root = make_vault(
        tmp_path,
        {"index.md": "[@author2021result]\n"},
        bib=BIB[BIB.index("@misc{author2021result") : BIB.index("@article{jumper")],
        mkdocs=_yml(httpserver),
    )
    bib = root / "references.bib"
    bib.write_text(
        bib.read_text().replace("title  = {A Result We No Longer Stand By}", 'title  = "The {"}Old{"} Title"')
    )
    code, out, err = run_cli(root, "check", "--metadata", "--fix", "--fields", "title", "--format", "json")
    text = bib.read_text()
    assert "title  = {The $\\alpha$-$\\beta$ Trick \\& 100\\% of \\#1}" in text and "Old" not in text, err + text
    assert _drift(out) == []  # not withdrawn: the comment only mentions a withdrawn draft
    before = text
    code, out, err = run_cli(root, "check", "--metadata", "--fix", "--fields", "title", "--format", "json")
    assert bib.read_text() == before and "took" not in err
