"""The shipped knowledge base (the real notes/ and references.bib, not fixtures)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fmkb.cli import main
from fmkb.config import load_settings
from fmkb.diagnostics import Severity
from fmkb.engine import analyze

ROOT = Path(__file__).resolve().parent.parent

# Papers the seed texts name (shared/seeds), by bib key.
SEED_PAPERS = {
    "bommasani2021opportunities": "On the Opportunities and Risks of Foundation Models",
    "ouyang2022training": "InstructGPT",
    "kaplan2020scaling": "Scaling Laws for Neural Language Models",
    "touvron2023llama": "LLaMA",
    "yuan2021florence": "Florence",
    "wang2023internimage": "InternImage",
    "wang2022foundation": "Foundation Transformers",
    "fei2022towards": "multimodal foundation model of Fei et al.",
}
CONCEPTS = [
    "Foundation model",
    "Self-supervised learning",
    "Transfer learning",
    "Fine-tuning",
    "In-context learning",
    "Scaling laws",
    "Compute-optimal training",
    "Emergent abilities",
    "RLHF",
    "Reward modeling",
    "Instruction tuning",
    "Knowledge distillation",
    "Quantization",
    "Parameter-efficient fine-tuning",
    "Sparse and efficient attention",
    "Multimodal learning",
    "Vision-language models",
    "Alignment",
    "Interpretability",
    "Bias and fairness",
    "Environmental cost",
    "Homogenization",
    "Emergence",
]
MODELS = [
    "BERT",
    "GPT-3",
    "T5",
    "PaLM",
    "LLaMA",
    "Llama 2",
    "CLIP",
    "DALL-E 2",
    "Flamingo",
    "Florence",
    "InternImage",
    "SAM",
    "Whisper",
]


@pytest.fixture(scope="module")
def kb():
    return analyze(load_settings(str(ROOT / "mkdocs.yml")))


def by_kind(kb, kind):
    return [n for n in kb.vault.notes if n.kind == kind]


def test_shipped_notes_pass_fmkb_check_strict(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    code = main(["check", "--strict"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("0 errors, 0 warnings")


def test_every_seed_named_paper_has_a_note(kb):
    cited = {n.meta.get("cite") for n in by_kind(kb, "paper")}
    assert set(SEED_PAPERS) - cited == set()


def test_every_core_bib_entry_has_a_paper_note_or_is_cited(kb):
    papers = {n.meta.get("cite") for n in by_kind(kb, "paper")}
    assert len(papers) >= 40
    assert set(kb.bib.entries) - set(kb.report.cited) == set()


def test_counts_of_each_kind(kb):
    assert len(by_kind(kb, "paper")) >= 100
    assert len(by_kind(kb, "concept")) >= 35
    assert len(by_kind(kb, "model")) >= 35
    assert len(by_kind(kb, "resource")) >= 3
    assert any(n.path == "index.md" for n in kb.vault.notes)


def test_named_concepts_and_models_exist(kb):
    names = {}
    for n in kb.vault.notes:
        for name in [n.title, n.stem, *n.aliases]:
            names.setdefault(name.casefold(), n)
    missing = [c for c in CONCEPTS if names.get(c.casefold()) is None or names[c.casefold()].kind != "concept"]
    assert missing == []
    missing = [m for m in MODELS if names.get(m.casefold()) is None or names[m.casefold()].kind != "model"]
    assert missing == []


def test_paper_cite_and_year_agree_with_the_bibliography(kb):
    for n in by_kind(kb, "paper"):
        entry = kb.bib.entries[n.meta["cite"]]
        assert str(n.meta.get("year")) == entry.fields["year"], n.path


def test_every_paper_note_cites_its_paper_in_the_text(kb):
    for n in by_kind(kb, "paper"):
        keys = {i.key for c in n.citations for i in c.items}
        assert n.meta["cite"] in keys, n.path


def test_the_house_rules_are_on_at_error_for_this_knowledge_base(kb):
    """The stricter policy lives in mkdocs.yml, so `fmkb check --strict` (above) enforces it and a
    contributor gets each problem at its file and line."""
    rules = kb.settings.rules
    for rule in (
        "note-orphan",
        "note-few-links",
        "note-short",
        "paper-sections",
        "model-facts",
        "note-description",
        "note-tags",
        "link-by-title",
    ):
        assert rules.levels[rule] is Severity.ERROR, rule
    assert rules.param("note-few-links", "min") == 2
    assert rules.param("note-short", "min_words") == 150 and rules.param("note-short", "by_kind") == {"paper": 250}
    assert set(rules.param("paper-sections", "sections")) == {
        "Summary",
        "Key results",
        "Limitations and critiques",
        "Related notes",
    }
    assert set(rules.param("model-facts", "fields")) == {"organization", "released", "paper", "weights", "license"}


def test_model_notes_name_a_paper_of_the_bibliography(kb):
    for n in by_kind(kb, "model"):
        assert n.meta["paper"] in kb.bib.entries, n.path


def test_the_field_since_2024_is_covered(kb):
    recent = [n.path for n in by_kind(kb, "model") if str(n.meta["released"])[:4] >= "2024"]
    assert len(recent) >= 12
    moe = [n.path for n in by_kind(kb, "model") if "active_parameters" in n.meta]
    assert len(moe) >= 3  # mixture-of-experts models state their active parameters


CONCEPTS_2026 = [
    "Mixture of experts",
    "Reasoning and test-time compute",
    "Reinforcement learning with verifiable rewards",
    "Retrieval-augmented generation",
    "Tool use and agents",
    "State-space models",
    "Long context",
    "Efficient inference and serving",
    "Evaluation and benchmarks",
    "Pretraining data",
    "Synthetic data",
    "Open weights and licensing",
]


def test_the_2026_concepts_exist(kb):
    titles = {n.title for n in by_kind(kb, "concept")}
    assert [c for c in CONCEPTS_2026 if c not in titles] == []


def test_every_entry_added_in_2026_says_what_it_was_verified_against():
    text = (ROOT / "references.bib").read_text(encoding="utf-8")
    added = text[text.index("% ===== 2026 update") :]
    unverified = []
    for m in re.finditer(r"^@\w+\{([^,]+),", added, re.M):
        before = added[: m.start()].rstrip().rsplit("\n@", 1)[-1]
        if "% verified" not in before:
            unverified.append(m.group(1))
    assert unverified == []
