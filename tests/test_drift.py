"""Bibliography drift: an entry against what arXiv or Crossref says (pure comparison; the
fetching is tested with recorded answers where it is wired in)."""

from __future__ import annotations

from conftest import DPO_AUTHORS
from fmkb.bibliography import BibEntry
from fmkb.drift import compare, family_names, plain
from fmkb.fetch import Paper

DPO = Paper(
    title="Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
    authors=[
        ("Rafailov", "Rafael"),
        ("Sharma", "Archit"),
        ("Mitchell", "Eric"),
        ("Ermon", "Stefano"),
        ("Manning", "Christopher D."),
        ("Finn", "Chelsea"),
    ],
    year=2023,
    entry_type="misc",
    arxiv="2305.18290",
)


NAMES = DPO_AUTHORS


def _authors(*order: int, swap: tuple[int, str] | None = None) -> str:
    names = [NAMES[i] for i in order]
    if swap:
        names[swap[0]] = swap[1]
    return " and ".join(names)


def _entry(**fields: str) -> BibEntry:
    return BibEntry("k", fields.pop("type", "misc"), fields, 1, {})


def _fields(drifts):
    return [d.field for d in drifts]


def test_a_faithful_entry_has_no_drift():
    authors = _authors(0, 1, 2, 3, 4, 5)
    title = "Direct Preference Optimization: Your Language Model is Secretly a Reward Model"
    assert compare(_entry(title=title, author=authors, year="2023"), DPO, "arxiv") == []


def test_two_authors_in_the_wrong_order_are_drift():
    authors = _authors(0, 2, 1, 3, 4, 5)
    (d,) = compare(_entry(author=authors), DPO, "arxiv")
    assert (
        d.field == "author"
        and "another order" in d.message
        and d.source_value.startswith("Rafailov, Rafael and Sharma")
    )


def test_an_invented_coauthor_is_drift_with_its_place():
    authors = _authors(0, 1, 2, 3, 4, 5, swap=(2, "Smith, John"))
    (d,) = compare(_entry(author=authors), DPO, "arxiv")
    assert "author 3 is 'mitchell' in the source, not 'smith'" in d.message


def test_latex_braces_case_and_punctuation_do_not_count_in_a_title():
    assert plain("{D}irect {P}reference {O}ptimization --- Your {LM} is \\emph{Secretly} a Reward Model") == plain(
        "Direct preference optimization: your LM is secretly a reward model"
    )
    assert (
        compare(
            _entry(title='{Ł}ukasz and the {\\"u}ber-model'), Paper("Łukasz and the über model", [], 0, "misc"), "arxiv"
        )
        == []
    )


def test_a_title_changed_between_versions_is_drift_with_the_sources_title():
    (d,) = compare(_entry(title="Direct Preference Optimization"), DPO, "arxiv")
    assert d.field == "title" and d.source_value == DPO.title


def test_particles_and_corporate_authors_compare_by_family_name():
    source = Paper("T", [("van den Oord", "Aaron"), ("Google DeepMind", "")], 2016, "misc")
    assert compare(_entry(author="van den Oord, Aaron and {Google DeepMind}"), source, "arxiv") == []
    assert compare(_entry(author="Aaron van den Oord and {Google DeepMind}"), source, "arxiv") == []


def test_and_others_is_compared_only_as_far_as_it_goes():
    source = Paper("T", [(f"Author{i}", "A") for i in range(300)], 2023, "misc")
    listed = " and ".join(f"Author{i}, A" for i in range(10)) + " and others"
    assert compare(_entry(author=listed), source, "arxiv") == []
    assert family_names(listed)[1] is True
    wrong = " and ".join(f"Author{i}, A" for i in (0, 2, 1)) + " and others"
    assert _fields(compare(_entry(author=wrong), source, "arxiv")) == ["author"]


def test_a_missing_author_is_counted():
    (d,) = compare(_entry(author="Rafailov, Rafael and Sharma, Archit"), DPO, "arxiv")
    assert "2 authors, not 6" in d.message


def test_the_year_is_the_first_versions_unless_the_entry_cites_the_published_version():
    assert _fields(compare(_entry(year="2024"), DPO, "arxiv")) == ["year"]
    assert (
        compare(_entry(year="2024", booktitle="Advances in Neural Information Processing Systems"), DPO, "arxiv") == []
    )
    assert _fields(compare(_entry(year="2022", booktitle="NeurIPS"), DPO, "arxiv")) == ["year"]  # before v1: wrong
    assert _fields(compare(_entry(year="2024", journal="arXiv preprint arXiv:2305.18290"), DPO, "arxiv")) == ["year"]


def test_a_doi_source_checks_the_venue_and_the_issued_year():
    source = Paper(
        "Highly accurate protein structure prediction with AlphaFold",
        [("Jumper", "John")],
        2021,
        "article",
        venue="Nature",
    )
    assert compare(_entry(journal="Nature", year="2021", author="Jumper, John"), source, "doi") == []
    drifts = compare(_entry(journal="Science", year="2020", author="Jumper, John"), source, "doi")
    assert _fields(drifts) == ["year", "journal"] and drifts[1].source_value == "Nature"


def test_a_published_title_that_differs_from_arxivs_says_how_to_check_it():
    (d,) = compare(_entry(title="DPO for Everyone", booktitle="NeurIPS", year="2023"), DPO, "arxiv")
    assert d.field == "title" and "add the DOI" in d.message


def test_a_team_named_as_the_one_author_stands_for_its_members():
    source = Paper("GPT-4 Technical Report", [("OpenAI", ""), ("Achiam", "Josh"), ("Adler", "Steven")], 2023, "misc")
    assert compare(_entry(author="{OpenAI}"), source, "arxiv") == []
    assert _fields(compare(_entry(author="Achiam, Josh"), source, "arxiv")) == ["author"]  # a person is not a team


def test_a_family_name_of_several_parts_split_another_way_is_the_same_person():
    source = Paper("T", [("Chen", "Mark"), ("Pinto", "Henrique Ponde de Oliveira")], 2021, "misc")
    assert compare(_entry(author="Chen, Mark and Ponde de Oliveira Pinto, Henrique"), source, "arxiv") == []


def test_two_names_of_one_venue_agree_and_two_venues_do_not():
    from fmkb.drift import same_venue

    assert same_venue(
        "Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
        "2022 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
    )
    assert same_venue(
        "Proceedings of the 29th Symposium on Operating Systems Principles",
        "Proceedings of the 29th Symposium on Operating Systems Principles (SOSP)",
    )
    assert (
        same_venue(
            "FAccT", "Proceedings of the 2021 ACM Conference on Fairness, Accountability, and Transparency (FAccT)"
        )
        is False
    )
    assert not same_venue("Science", "Nature")


def test_authors_of_a_published_version_that_differ_from_arxiv_say_how_to_check_them():
    (d,) = compare(_entry(author=_authors(0, 1, 2, 3, 4), booktitle="NeurIPS"), DPO, "arxiv")
    assert "add the DOI" in d.message


def test_a_venue_is_not_another_that_holds_its_words():
    from fmkb.drift import same_venue

    assert not same_venue("Nature", "Nature Communications")
    assert not same_venue("Machine Learning", "Journal of Machine Learning Research")


def test_a_given_name_and_a_family_name_swapped_are_drift():
    source = Paper("T", [("Li", "Wei")], 2020, "misc")
    assert _fields(compare(_entry(author="Wei, Li"), source, "doi")) == ["author"]
