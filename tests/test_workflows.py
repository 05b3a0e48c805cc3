"""The contributor path's files: workflows parse, and every command they run exists."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from fmkb.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def run_commands(workflow: dict) -> list[str]:
    out = []
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            for line in str(step.get("run", "")).splitlines():
                out.extend(part.strip() for part in line.split("&&") if part.strip())
    return out


def check_command(command: str) -> None:
    if "|" in command:  # a pipe into tee keeps the output as a file too
        command, _, rest = command.partition("|")
        assert shlex.split(rest)[0] == "tee", rest
    words = shlex.split(command)
    if words[0] == "sudo":
        words = words[1:]
    if words[0] == "fmkb":
        build_parser().parse_args(words[1:])  # raises SystemExit on an unknown option
    elif words[:3] == ["python", "-m", "pip"] or words[:3] == ["python", "-m", "pytest"]:
        pass
    elif words[:4] == ["python", "-m", "playwright", "install"]:
        assert words[-1] == "chromium"
    elif words[0] == "mkdocs":
        assert words[1] in {"build", "serve", "gh-deploy"}
        assert shutil.which("mkdocs")
    elif words[0] == "apt-get":
        assert words[1] in {"update", "install"}
    elif words[0] in {"ruff", "mypy"}:
        assert shutil.which(words[0]), f"{words[0]} is installed by the test extra"
    else:
        raise AssertionError(f"unexpected command in a workflow: {command}")


def test_there_are_pr_deploy_and_weekly_workflows():
    names = {p.name for p in WORKFLOWS}
    assert {"ci.yml", "deploy.yml", "external-links.yml"} <= names


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_parses_and_runs_existing_commands(path):
    workflow = yaml.safe_load(path.read_text())
    assert workflow["jobs"]
    commands = run_commands(workflow)
    assert commands
    for command in commands:
        check_command(command)


def test_pull_requests_get_annotations_tests_and_a_strict_build():
    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as True
    commands = run_commands(workflow)
    assert "fmkb check --strict --format github" in commands
    assert "python -m pytest" in commands and "mkdocs build --strict" in commands


def test_pull_requests_start_from_an_earlier_runs_fmkb_cache():
    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    steps = workflow["jobs"]["check"]["steps"]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache"))
    assert cache["with"]["path"] == "~/.cache/fmkb" and cache["with"]["restore-keys"] == "fmkb-"
    check = next(i for i, s in enumerate(steps) if s.get("run") == "fmkb check --strict --format github")
    assert steps.index(cache) < check


def test_deploy_publishes_to_pages_from_main():
    workflow = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text())
    assert workflow[True]["push"]["branches"] == ["main"]
    uses = [s.get("uses", "") for j in workflow["jobs"].values() for s in j["steps"]]
    assert any(u.startswith("actions/deploy-pages") for u in uses)


def test_weekly_external_link_check():
    workflow = yaml.safe_load((ROOT / ".github/workflows/external-links.yml").read_text())
    assert workflow[True]["schedule"][0]["cron"].split()[-1] == "1"
    assert any(c.startswith("fmkb check --external --strict --format github") for c in run_commands(workflow))


def test_pre_commit_hook_runs_fmkb_check():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "fmkb-check" and hook["language"] == "python"
    check_command(hook["entry"])


def test_contributing_and_pr_template_exist():
    text = (ROOT / "CONTRIBUTING.md").read_text()
    assert "fmkb new paper --arxiv" in text and "[@kaplan2020scaling]" in text and "fmkb check" in text
    assert (ROOT / ".github" / "pull_request_template.md").exists()


def test_the_pull_request_check_comes_first_then_the_site_build():
    commands = run_commands(yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text()))
    fmkb = commands.index("fmkb check --strict --format github")
    assert fmkb < commands.index("mkdocs build --strict") < commands.index("python -m pytest")
    assert not any(c.startswith(("ruff", "mypy", "python -m pytest")) for c in commands[:fmkb])


def test_the_weekly_link_check_fails_on_dead_links():
    commands = run_commands(yaml.safe_load((ROOT / ".github" / "workflows" / "external-links.yml").read_text()))
    assert any(c.startswith("fmkb check --external --strict") for c in commands)


def test_the_project_ships_its_pre_commit_hooks():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    entries = [hook["entry"] for repo in config["repos"] for hook in repo["hooks"]]
    assert "fmkb check --strict" in entries
    for entry in entries:
        check_command(entry)
