"""The GitHub workflow: valid, and doing what the README says CI does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def test_there_is_a_workflow() -> None:
    assert WORKFLOWS


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_the_schema(workflow: Path) -> None:
    # check-jsonschema ships GitHub's workflow schema, so this works offline.
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(workflow),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def test_build_job_runs_the_readme_test_command() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    runs = [step.get("run", "") for step in _steps(workflow["jobs"]["build"])]
    assert any(run.startswith("make test") for run in runs)
    assert "make test" in (ROOT / "README.md").read_text()
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_pull_requests_build_but_only_main_deploys() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    triggers = (
        workflow[True] if True in workflow else workflow["on"]
    )  # YAML reads `on` as True
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    for job in ("deploy", "notebooks"):
        condition = workflow["jobs"][job]["if"]
        assert (
            "github.event_name == 'push'" in condition
            and "refs/heads/main" in condition
        )


def test_execution_cache_is_keyed_on_chapters_package_and_pins() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    (cache,) = [
        s
        for s in _steps(workflow["jobs"]["build"])
        if s.get("with", {}).get("path") == "_build/.jupyter_cache"
    ]
    key = cache["with"]["key"]
    for part in ("book/**", "src/nnbook/**", "requirements.txt"):
        assert part in key


def test_notebooks_branch_is_the_one_the_colab_buttons_use() -> None:
    workflow = (ROOT / ".github" / "workflows" / "book.yml").read_text()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    branch = config["sphinx"]["config"]["nnbook_notebooks_branch"]
    assert f"git init -q -b {branch}" in workflow and f" {branch}\n" in workflow
