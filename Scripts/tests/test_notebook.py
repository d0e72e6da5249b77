"""Executes notebooks-data/example.ipynb headless (part of `make test`).

Skipped, with the reason printed, when nbclient, ipykernel, matplotlib, pandas or h5py cannot
be imported (`make setup` installs them) or when the example runs are missing.
"""
import os
import shutil
import tempfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NB = os.path.join(ROOT, "notebooks-data", "example.ipynb")


def test_example_notebook_runs_headless():
    for mod in ("nbclient", "nbformat", "ipykernel", "matplotlib", "pandas", "h5py"):
        pytest.importorskip(mod, reason=f"{mod} is not installed; `make setup` installs it")
    import nbformat
    from nbclient import NotebookClient

    runs = os.path.join(ROOT, "notebooks-data", "example-runs")
    if not os.path.isdir(runs) or not os.listdir(runs):
        pytest.skip("notebooks-data/example-runs is missing; `make demo` writes it")
    with tempfile.TemporaryDirectory() as tmp:
        # Run in a scratch folder holding a link to the example runs, so the plots it saves
        # never land in the repository.
        os.symlink(runs, os.path.join(tmp, "example-runs"))
        nb = nbformat.read(NB, as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp}}).execute()
        for png in ("margins.png", "tokens.png"):
            assert os.path.getsize(os.path.join(tmp, png)) > 1000, png
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        assert not any(o.get("output_type") == "error" for o in outputs)
        assert any("tokens.h5 sums equal pairs.jsonl" in o.get("text", "") for o in outputs)
