"""The sharded full-text search of a large site: the index fulltext.py writes, and the search
box fmkb.js answers from it in Chromium."""

from __future__ import annotations

import bisect
import json
import re

import pytest

from fmkb import fulltext
from fmkb.fulltext import IndexWriter, phrase, terms

pytestmark = pytest.mark.xdist_group("sharded-site")


def decode(encoded: list[int]) -> dict[int, int]:
    if encoded and encoded[0] < 0:  # a list cut to its best pages: minus how many were left out
        encoded = encoded[1:]
    pages, page = {}, 0
    for i in range(0, len(encoded), 2):
        page += encoded[i]
        pages[page] = encoded[i + 1]
    return pages


def shard_of(firsts: list[str], term: str) -> int:
    """The shard fmkb.js reads for `term`: the last one whose first term is not after it."""
    return max(0, bisect.bisect_right(firsts, term) - 1)


def writer_of(n: int) -> IndexWriter:
    w = IndexWriter()
    for i in range(n):
        w.add(f"p{i}/", f"Page {i}", [("", f"common words here and a rare word{i} deep down")])
    return w


def test_terms_are_lower_cased_letter_and_digit_runs_without_accents():
    assert terms("Müller's GPT-4 (1.5B) naïve_Bayes Straße") == [
        "muller",
        "s",
        "gpt",
        "4",
        "1",
        "5b",
        "naive",
        "bayes",
        "straße",
    ]


def test_a_run_too_long_to_be_typed_is_not_a_term():
    assert terms("x" * 41 + " kept") == ["kept"]


def test_a_term_is_measured_as_javascript_measures_it():
    deseret = "\U00010428"  # a letter outside the BMP: 2 UTF-16 units
    assert terms(deseret * 20) == [deseret * 20] and terms(deseret * 21) == []


def test_chinese_and_japanese_runs_are_split_into_pairs_of_characters():
    assert terms("机器学习模型 日本語 中") == ["机器", "器学", "学习", "习模", "模型", "日本", "本語", "中"]


def test_shards_are_ordered_as_javascript_compares_strings(monkeypatch):
    monkeypatch.setattr(fulltext, "SHARD_BYTES", 50)
    w = IndexWriter()
    w.add("a/", "A", [("", "\ufe73x " * 3 + "\U00010428y " * 3 + "plain")])
    manifest, shards, _ = w.shards()
    order = [term for shard in shards for term in shard]
    assert order == sorted(order, key=lambda t: t.encode("utf-16-be"))
    assert order.index("\U00010428y") < order.index("\ufe73x")  # a surrogate pair sorts before U+FE73
    assert manifest["shards"] == [next(iter(shard)) for shard in shards]


def test_each_term_is_in_the_shard_its_first_term_bisects_to(monkeypatch):
    monkeypatch.setattr(fulltext, "SHARD_BYTES", 200)
    manifest, shards, _files = writer_of(60).shards()
    assert len(shards) > 5 and manifest["shards"] == sorted(manifest["shards"])
    for i, shard in enumerate(shards):
        assert manifest["shards"][i] == min(shard)
        for term in shard:
            assert shard_of(manifest["shards"], term) == i


def test_a_deep_word_finds_its_one_page():
    manifest, shards, files = writer_of(120).shards()
    shard = shards[shard_of(manifest["shards"], "word77")]
    pages = decode(shard["word77"])
    assert list(pages) == [77]
    assert files[77 // manifest["per_file"]][77 % manifest["per_file"]][:2] == ["p77/", "Page 77"]


def test_a_term_on_every_page_keeps_only_its_best_pages(monkeypatch):
    monkeypatch.setattr(fulltext, "MAX_POSTINGS", 10)
    w = IndexWriter()
    for i in range(30):  # page i says "common" i+1 times in a text of the same length
        w.add(f"p{i}/", f"Page {i}", [("", " ".join(["common"] * (i + 1) + ["filler"] * (40 - i)))])
    manifest, shards, _ = w.shards()
    encoded = shards[shard_of(manifest["shards"], "common")]["common"]
    assert encoded[0] == -20  # the box can say there are more
    assert sorted(decode(encoded)) == list(range(20, 30))


def test_a_title_word_outweighs_the_same_word_in_a_body():
    w = IndexWriter()
    w.add("a/", "Attention", [("", "a short note")])
    w.add("b/", "Other", [("", "attention attention attention in a body of similar length")])
    manifest, shards, _ = w.shards()
    scores = decode(shards[shard_of(manifest["shards"], "attention")]["attention"])
    assert scores[0] > scores[1]


def test_titles_and_aliases_are_exact_match_terms():
    w = IndexWriter()
    w.add("c/", "Training Compute-Optimal LLMs", [("", "text")], ("Chinchilla", "hoffmann2022training"))
    manifest, shards, _ = w.shards()
    merged = {k: v for s in shards for k, v in s.items()}
    for name in ("Training compute optimal llms", "CHINCHILLA", "hoffmann2022training"):
        assert decode(merged[phrase(name)]) == {0: 100000}


def test_writing_again_removes_the_shards_of_a_larger_index(tmp_path, monkeypatch):
    monkeypatch.setattr(fulltext, "SHARD_BYTES", 200)
    writer_of(200).write(str(tmp_path))
    many = len(list(tmp_path.glob("t*.json")))
    (tmp_path / "keep.txt").write_text("not ours")
    writer_of(3).write(str(tmp_path))
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert len(list(tmp_path.glob("t*.json"))) == len(manifest["shards"]) < many
    assert len(list(tmp_path.glob("d*.json"))) == 1
    assert (tmp_path / "keep.txt").exists()


# --- a sharded site --------------------------------------------------------------------------

BIB = """\
@misc{vaswani2017attention,
  title = {Attention Is All You Need},
  author = {Vaswani, Ashish and Shazeer, Noam},
  year = {2017}, eprint = {1706.03762}, archivePrefix = {arXiv}
}
"""
FILLER = "Attention heads and attention maps: attention everywhere, attention again. " * 3
NOTES = {
    "index.md": "# Home\n\nStart at [[Attention]].\n",
    "concepts/Attention.md": (
        "---\ntitle: Attention\nkind: concept\n---\n# Attention\n\nWeights over a sequence.\n\n"
        + "## Details\n\n"
        + "Many words about queries, keys and values. " * 40
        + "\n\nThe last paragraph mentions a zebrafish once.\n"
    ),
    "papers/Attention Is All You Need.md": (
        "---\ntitle: Attention Is All You Need\nkind: paper\ncite: vaswani2017attention\nyear: 2017\n"
        "aliases: [Original Transformer]\n---\n# Attention Is All You Need\n\n"
        "The Transformer [@vaswani2017attention]. See [[Attention]].\n"
    ),
    **{f"concepts/Filler {i}.md": f"# Filler {i}\n\n{FILLER}\n\nMüller wrote ledger{i}.\n" for i in range(14)},
    "concepts/Empty.md": "",  # as Obsidian creates a note: published with its name as title
    "concepts/中文笔记.md": "# 中文笔记\n\n这是一个关于机器学习模型的很长的中文句子。\n",
}
MKDOCS = (
    "site_name: sharded\ndocs_dir: notes\nsite_dir: site\ntheme:\n  name: material\n"
    "plugins:\n  - search\n  - tags\n  - fmkb:\n      bibliography: references.bib\n      search_index: sharded\n"
)


@pytest.fixture(scope="module")
def sharded_site(tmp_path_factory):
    from conftest import build_site

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fulltext, "SHARD_BYTES", 300)  # many small shards: lookups cross them
        mp.setattr(fulltext, "PAGES_PER_FILE", 4)
        return build_site(tmp_path_factory.mktemp("sharded"), NOTES, BIB, MKDOCS)


def test_a_sharded_site_indexes_every_page_and_leaves_materials_index_empty(sharded_site):
    assert json.loads((sharded_site / "search" / "search_index.json").read_text())["docs"] == []
    manifest = json.loads((sharded_site / "search" / "fmkb" / "manifest.json").read_text())
    pages = {p.parent.relative_to(sharded_site).as_posix() + "/" for p in sharded_site.rglob("index.html")}
    pages = {"" if p == "./" else p for p in pages}
    indexed = {
        row[0]
        for i in range(-(-manifest["pages"] // manifest["per_file"]))
        for row in json.loads((sharded_site / "search" / "fmkb" / f"d{i}.json").read_text())
    }
    assert indexed == pages
    assert len(manifest["shards"]) > 5
    home = (sharded_site / "index.html").read_text()
    assert '<meta name="fmkb:search" content="sharded">' in home


def test_no_page_text_is_held_until_the_end_of_the_build(tmp_path):
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from conftest import make_vault

    make_vault(tmp_path, NOTES, BIB, MKDOCS)
    config = load_config(str(tmp_path / "mkdocs.yml"))
    seen: list[int] = []
    fmkb = config.plugins["fmkb"]
    index_page = fmkb._index_page

    def spy(page, entries):  # the search plugin's entries, as each page hands them over
        seen.append(len(entries))
        index_page(page, entries)
        assert entries == []

    fmkb._index_page = spy
    build(config)
    assert len(seen) >= len(NOTES) and max(seen) >= 2  # a page's sections, then nothing kept


def test_auto_shards_the_index_above_the_threshold(tmp_path):
    from conftest import build_site

    notes = {f"N{i}.md": f"# N{i}\n\nText.\n" for i in range(3)}
    auto = MKDOCS.replace("search_index: sharded", "sharded_search_above: 2")
    site = build_site(tmp_path, notes, BIB, auto)
    assert json.loads((site / "search" / "fmkb" / "manifest.json").read_text())["pages"] >= 3
    assert json.loads((site / "search" / "search_index.json").read_text())["docs"] == []


def test_a_small_site_keeps_materials_own_index(tmp_path):
    from conftest import build_site

    site = build_site(tmp_path, {"index.md": "# Home\n\nText.\n"}, BIB, MKDOCS.replace("search_index: sharded", ""))
    assert json.loads((site / "search" / "search_index.json").read_text())["docs"]
    assert not (site / "search" / "fmkb").exists()
    assert "fmkb:search" not in (site / "index.html").read_text()


@pytest.fixture(scope="module")
def sharded_url(sharded_site):
    from conftest import serve

    url, server = serve(sharded_site)
    yield url
    server.shutdown()


def results(page, query: str, typed: bool = False) -> list[str]:
    """The result titles for `query` once the list answers it (the list says which query it
    answers). `typed`: key by key, as a reader types."""
    page.locator("label.md-search__icon, .md-search__input").first.click()
    box = page.locator("input.md-search__input")
    if typed:
        box.type(query, delay=30)
    else:
        box.fill(query)
    page.wait_for_function(
        "q => { const box = document.querySelector('.fmkb-search-result');"
        " return box && box.getAttribute('data-fmkb-answered') === q; }",
        arg=query,
    )
    return page.locator(".fmkb-search-result li.md-search-result__item article h1").all_inner_texts()


RANKED = [
    ("zebrafish", "Attention"),  # a word only in the last paragraph of a long note
    ("attention", "Attention"),  # the exact title first, above notes that say it more often
    ("original transformer", "Attention Is All You Need"),  # an alias
    ("vaswani2017attention", "Attention Is All You Need"),  # the bib key
    ("ledger3", "Filler 3"),
    ("ledger1", "Filler 1"),  # the word itself before the longer words it begins (ledger10...)
    ("muller ledger5", "Filler 5"),  # the note with every word first; accents do not matter
    ("MÜLLER'S LEDGER5!", "Filler 5"),  # the box splits a query as the index split the pages
    ("机器学习", "中文笔记"),  # a word inside a run of Chinese
    ("empty", "Empty"),  # a note with no text is found by its title
]


def test_the_search_box_ranks_the_expected_note_first(page, sharded_url):
    page.goto(sharded_url)  # one page, a query after another, as a reader searches
    for query, first in RANKED:
        shown = results(page, query)
        assert shown and shown[0] == first, (query, shown[:3])


def test_a_word_being_typed_matches_as_a_prefix(page, sharded_url):
    page.goto(sharded_url)
    assert results(page, "zebraf", typed=True)[0] == "Attention"


def test_a_word_in_no_note_says_so(page, sharded_url):
    page.goto(sharded_url)
    assert results(page, "quokka") == []
    assert page.locator(".fmkb-search-result .md-search-result__meta").inner_text() == "No matching notes"


def test_ten_results_show_first_and_a_button_shows_the_rest(page, sharded_url):
    page.goto(sharded_url)
    assert len(results(page, "filler")) == 10
    assert page.locator(".fmkb-search-result .md-search-result__meta").inner_text() == "14 matching notes"
    button = page.get_by_role("button", name="Show 4 more")
    button.dblclick()  # a second click adds nothing twice
    shown = page.locator(".fmkb-search-result li.md-search-result__item article h1")
    shown.nth(13).wait_for()
    page.wait_for_load_state("networkidle")
    titles = shown.all_inner_texts()
    assert len(titles) == len(set(titles)) == 14


def test_materials_own_result_list_stays_hidden(page, sharded_url):
    page.goto(sharded_url)
    results(page, "attention")
    assert not page.locator(".md-search-result:not(.fmkb-search-result)").is_visible()


def test_the_arrow_keys_and_enter_open_a_result(page, sharded_url):
    page.goto(sharded_url)
    assert results(page, "ledger6") == ["Filler 6"]
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.classList.contains('md-search-result__link')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"filler-6/$"))
    assert page.locator("h1").first.inner_text() == "Filler 6"


def test_enter_right_after_a_new_query_opens_that_querys_first_result(page, sharded_url):
    page.goto(sharded_url)
    assert results(page, "ledger2")[0] == "Filler 2"
    page.locator("input.md-search__input").fill("zebrafish")  # Enter before the list has answered it
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"concepts/attention/$"))


def test_the_not_found_page_answers_the_search_box_too(sharded_site):
    assert '<meta name="fmkb:search" content="sharded">' in (sharded_site / "404.html").read_text()


def test_enter_in_the_box_opens_the_first_result(page, sharded_url):
    page.goto(sharded_url)
    results(page, "zebrafish")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"concepts/attention/$"))
