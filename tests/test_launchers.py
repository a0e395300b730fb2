"""The readers' paths into a runnable chapter: Binder, Colab, and the buttons.

- Colab: the generated ``.ipynb`` files start with the install cell and
  execute from a clean kernel (nbclient).
- Binder: JupyterLab, set up by ``binder/postBuild`` as Binder would, opens a
  chapter at the URL path the Binder button uses as a notebook (not a text
  editor), with a kernel, and runs its first code cell (headless Chromium).
- The built pages' launch buttons point at those targets.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest
import yaml

from conftest import ROOT
from make_notebooks import (
    INSTALL_CELL,
    benchmark_results_url,
    chapters,
    repository_url,
    to_notebook,
)

CHAPTERS = chapters()
BIN = Path(sys.executable).parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def chapter_id(path: Path) -> str:
    return path.stem


# --- Colab: generated notebooks ---------------------------------------------------


def test_every_notebook_chapter_is_generated(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make_notebooks.py"), str(tmp_path)],
        check=True,
    )
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.ipynb"))
    assert generated == sorted(
        c.relative_to(ROOT).with_suffix(".ipynb") for c in CHAPTERS
    )
    assert len(generated) >= 2


@pytest.mark.parametrize("chapter", CHAPTERS, ids=chapter_id)
def test_generated_notebook_starts_with_the_install_cell(chapter: Path) -> None:
    import jupytext

    notebook = to_notebook(chapter, repository_url())
    first = notebook.cells[0]
    assert first.cell_type == "code"
    results = benchmark_results_url()
    assert first.source == INSTALL_CELL.format(
        repository=CONFIG["repository"]["url"], results=results
    )
    assert results.startswith(
        "https://raw.githubusercontent.com/"
    ) and results.endswith(f"/{CONFIG['repository']['branch']}/benchmarks/results.json")
    assert f"git+{CONFIG['repository']['url']}" in first.source
    # The rest is the chapter itself, cell for cell.
    original = jupytext.read(chapter)
    assert [c.source for c in notebook.cells[1:]] == [c.source for c in original.cells]
    assert notebook.metadata["kernelspec"]["name"] == "python3"


# Executes one generated notebook from a clean kernel in the folder given.
_EXECUTE = """
import sys, nbformat
from nbclient import NotebookClient
source, target, folder = sys.argv[1:]
notebook = nbformat.read(source, as_version=4)
client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                        resources={"metadata": {"path": folder}})
try:
    client.execute()
finally:
    nbformat.write(notebook, target)
"""


@pytest.fixture(scope="module")
def executed_notebooks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each chapter's notebook, executed as Colab would: {chapter: error text or ""}.

    The chapters train on one thread, so two run side by side on the two cores
    of the test machine: the whole book in about half the time of one by one.
    """
    if not os.environ.get("NNBOOK_DATA"):
        pytest.skip("NNBOOK_DATA is not set: run the tests with `make test`")
    env = dict(os.environ)
    # Colab would download the committed benchmark table (the install cell points
    # NNBOOK_BENCHMARKS at it); offline, the kernel gets the same file from here.
    env["NNBOOK_BENCHMARKS"] = str(ROOT / "benchmarks" / "results.json")

    def run(chapter: Path) -> tuple[str, str]:
        folder = tmp_path_factory.mktemp(chapter.stem)  # a fresh folder, as on Colab
        source, target = folder / "in.ipynb", folder / "out.ipynb"
        nbformat.write(to_notebook(chapter, repository_url()), source)
        work = folder / "work"
        work.mkdir()
        done = subprocess.run(
            [sys.executable, "-c", _EXECUTE, str(source), str(target), str(work)],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            return chapter.stem, done.stderr[-3000:] or f"exit {done.returncode}"
        errors = [
            o
            for c in nbformat.read(target, as_version=4).cells
            if c.cell_type == "code"
            for o in c.get("outputs", [])
            if o.output_type == "error"
        ]
        return chapter.stem, "\n".join(f"{e.ename}: {e.evalue}" for e in errors)

    # The longest chapters first, so that neither worker is left with one at the end.
    ordered = sorted(CHAPTERS, key=lambda c: c.stat().st_size, reverse=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, ordered))


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS, ids=chapter_id)
def test_generated_notebook_executes_from_a_clean_kernel(
    chapter: Path, executed_notebooks: dict[str, str]
) -> None:
    error = executed_notebooks[chapter.stem]
    assert not error, f"{chapter.name} as a Colab notebook failed:\n{error}"


# --- the buttons on the built pages ----------------------------------------------------


@pytest.mark.site
@pytest.mark.parametrize("chapter", CHAPTERS, ids=chapter_id)
def test_launch_buttons_point_at_runnable_targets(chapter: Path, html: Path) -> None:
    page = html / chapter.relative_to(ROOT).with_suffix(".html")
    text = page.read_text(encoding="utf-8")
    repository = urlsplit(CONFIG["repository"]["url"]).path.strip("/")
    source = chapter.relative_to(ROOT).as_posix()
    binder = f"{CONFIG['launch_buttons']['binderhub_url']}/v2/gh/{repository}/{CONFIG['repository']['branch']}?urlpath=lab/tree/{source}"
    assert binder in text, f"no Binder button for {source}"
    branch = CONFIG["sphinx"]["config"]["nnbook_notebooks_branch"]
    notebook = chapter.relative_to(ROOT).with_suffix(".ipynb").as_posix()
    colab = f"{CONFIG['launch_buttons']['colab_url']}/github/{repository}/blob/{branch}/{notebook}"
    assert colab in text, f"no Colab button for {notebook} on the {branch} branch"
    # The download buttons offer the source and the executed notebook.
    for suffix in (".md", ".ipynb"):
        download = html / "_sources" / chapter.relative_to(ROOT).with_suffix(suffix)
        assert download.is_file(), f"download target {download} missing"


# --- Binder: JupyterLab opens a chapter as a notebook ----------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory):
    """JupyterLab on 127.0.0.1, configured by binder/postBuild as on Binder."""
    config = tmp_path_factory.mktemp("jupyter-config")
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "PATH": f"{BIN}:{os.environ['PATH']}",
    }
    subprocess.run(
        ["bash", str(ROOT / "binder" / "postBuild")],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    # JupyterLab may save what it opens (jupytext rewrites the header): serve
    # a copy of the chapters, laid out as in the repository.
    root = tmp_path_factory.mktemp("binder-root")
    shutil.copytree(ROOT / "book", root / "book")
    port = _free_port()
    server = subprocess.Popen(
        [
            str(ROOT / "binder" / "start"),
            str(BIN / "jupyter"),
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--IdentityProvider.token=",
            f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("JupyterLab did not start within 60 s")
            time.sleep(0.5)
    yield url
    server.terminate()
    server.wait(timeout=30)


@pytest.mark.browser
def test_binder_opens_a_chapter_as_a_running_notebook(
    jupyterlab: str, browser, mnist_root: Path
) -> None:
    chapter = "book/mnist_data.md"  # its first code cell loads the data
    # The path the Binder button opens, after Binder's own prefix.
    query = parse_qs(urlsplit(f"https://binder/?urlpath=lab/tree/{chapter}").query)
    page = browser.new_page()
    try:
        page.goto(f"{jupyterlab}/{query['urlpath'][0]}", wait_until="domcontentloaded")
        page.wait_for_selector(
            "#jp-main-dock-panel .jp-Notebook .jp-Cell", timeout=60_000
        )
        assert page.locator("#jp-main-dock-panel .jp-FileEditor").count() == 0, (
            "opened as a text file"
        )
        page.wait_for_selector(
            ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000
        )
        # The session settles just after the kernel first reports idle; a key
        # pressed before that can land before the kernel is attached.
        page.wait_for_timeout(2_000)
        assert page.locator(".jp-Dialog").count() == 0, page.locator(
            ".jp-Dialog"
        ).inner_text()
        first_code = page.locator("#jp-main-dock-panel .jp-CodeCell").first
        first_code.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        first_code.locator(".jp-InputArea-prompt").filter(has_text="[1]").wait_for(
            timeout=120_000
        )
        assert (
            first_code.locator(
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
            ).count()
            == 0
        )
        errors = first_code.locator(".jp-OutputArea-output").filter(
            has_text="Traceback"
        )
        assert errors.count() == 0, errors.first.inner_text()
    finally:
        page.close()
