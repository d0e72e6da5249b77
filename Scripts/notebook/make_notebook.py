#!/usr/bin/env python3
"""Writes notebooks-data/example.ipynb: loads the example run directories of the demo
(notebooks-data/example-runs/<policy>/: pairs.jsonl, pairs.csv, tokens.h5, summary.json, made by
`softq score`) with pandas and h5py, checks that the exports agree with each other, and
recreates two plots of the report: the margin histograms of MLE vs IQLearn, and the per-token
rewards of one pair.

Run from the repository root: python3 Scripts/notebook/make_notebook.py
The notebook is executed headless by Scripts/tests/test_notebook.py (part of `make test`).
"""
import os

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

cells = [
    new_markdown_cell(
        "# softq exports in pandas and h5py\n\n"
        "This notebook reads the run directories that `softq score` wrote for two demo policies "
        "(`notebooks-data/example-runs/mle-seed1` and `iqlearn-seed1`) and recreates two plots of "
        "`softq report`. Regenerate the runs with `make demo` (or the `softq score` command in "
        "`Scripts/notebook/make_example_runs.sh`)."),
    new_code_cell(
        "import json, os\n"
        "import h5py\n"
        "import numpy as np\n"
        "import pandas as pd\n"
        "import matplotlib\n"
        "matplotlib.use('Agg')\n"
        "import matplotlib.pyplot as plt\n\n"
        "HERE = os.path.abspath('.')\n"
        "RUNS = os.path.join(HERE, 'example-runs') if os.path.isdir(os.path.join(HERE, 'example-runs')) \\\n"
        "    else os.path.join(HERE, 'notebooks-data', 'example-runs')\n"
        "policies = sorted(os.listdir(RUNS))\n"
        "policies"),
    new_markdown_cell("## Per-pair table: `pairs.jsonl` and `pairs.csv` hold the same numbers"),
    new_code_cell(
        "pairs = {p: pd.read_json(os.path.join(RUNS, p, 'pairs.jsonl'), lines=True, precise_float=True) for p in policies}\n"
        "csv = {p: pd.read_csv(os.path.join(RUNS, p, 'pairs.csv'), keep_default_na=False) for p in policies}\n"
        "for p in policies:\n"
        "    assert np.array_equal(pairs[p]['margin'].to_numpy(), csv[p]['margin'].to_numpy())\n"
        "    chosen = pd.json_normalize(pairs[p]['chosen'])\n"
        "    assert np.array_equal(chosen['sum'].to_numpy(), csv[p]['chosen_sum'].to_numpy())\n"
        "summary = {p: json.load(open(os.path.join(RUNS, p, 'summary.json'))) for p in policies}\n"
        "pd.DataFrame({p: {'accuracy': s['accuracy'], 'ties': s['ties'], 'mean margin': s['margin']['mean'],\n"
        "                  'Brier': s['calibration']['brier'], 'ECE': s['calibration']['ece']}\n"
        "              for p, s in summary.items()})"),
    new_markdown_cell("## Plot 1: margin histograms (the report's *margins* section)"),
    new_code_cell(
        "fig, ax = plt.subplots(figsize=(7, 3.5))\n"
        "bins = np.linspace(min(pairs[p]['margin'].min() for p in policies), max(pairs[p]['margin'].max() for p in policies), 31)\n"
        "for p in policies:\n"
        "    ax.hist(pairs[p]['margin'], bins=bins, alpha=0.55, label=f\"{p} (accuracy {summary[p]['accuracy']:.3f})\")\n"
        "ax.axvline(0, color='k', lw=0.8)\n"
        "ax.set_xlabel('margin = R(chosen) − R(rejected)  [aggregate: sum]')\n"
        "ax.set_ylabel('pairs')\n"
        "ax.legend()\n"
        "fig.tight_layout()\n"
        "fig.savefig('margins.png', dpi=80)"),
    new_markdown_cell("## Per-token values: `tokens.h5` agrees with `pairs.jsonl`"),
    new_code_cell(
        "def responses(run):\n"
        "    with h5py.File(os.path.join(RUNS, run, 'tokens.h5'), 'r') as f:\n"
        "        off = f['responses/offsets'][()]\n"
        "        t = {k: f['tokens/' + k][()] for k in ('token_ids', 'logprob', 'q', 'value_before', 'value_after', 'reward')}\n"
        "        pieces = [s.decode() if isinstance(s, bytes) else s for s in f['tokens/pieces'][()]]\n"
        "        side = [s.decode() if isinstance(s, bytes) else s for s in f['responses/side'][()]]\n"
        "        pair = f['responses/pair'][()]\n"
        "    return off, t, pieces, side, pair\n\n"
        "for p in policies:\n"
        "    off, t, pieces, side, pair = responses(p)\n"
        "    for k in range(len(off) - 1):\n"
        "        want = pairs[p].iloc[pair[k]][side[k]]\n"
        "        got = t['reward'][off[k]:off[k + 1]].sum()\n"
        "        assert abs(got - want['sum']) <= 1e-9 * max(1.0, abs(want['sum'])), (p, k)\n"
        "        assert off[k + 1] - off[k] == want['tokens']\n"
        "print('tokens.h5 sums equal pairs.jsonl for', len(off) - 1, 'responses per policy')"),
    new_markdown_cell("## Plot 2: per-token rewards of one pair (the report's *tokens* section)"),
    new_code_cell(
        "p = policies[0]\n"
        "off, t, pieces, side, pair = responses(p)\n"
        "k = 0  # the first pair: responses 0 (chosen) and 1 (rejected)\n"
        "fig, axes = plt.subplots(2, 1, figsize=(9, 4.5), sharey=True)\n"
        "for ax, r in zip(axes, (0, 1)):\n"
        "    sl = slice(off[r], off[r + 1])\n"
        "    rw = t['reward'][sl]\n"
        "    ax.bar(range(len(rw)), rw, color=['tab:blue' if v >= 0 else 'tab:red' for v in rw])\n"
        "    ax.set_xticks(range(len(rw)))\n"
        "    ax.set_xticklabels([repr(s)[1:-1] for s in pieces[sl]], rotation=90, fontsize=6)\n"
        "    ax.set_title(f'{p}, pair {pairs[p].iloc[pair[r]][\"id\"]}, {side[r]}: r per token (sum {rw.sum():.2f})', fontsize=9)\n"
        "    ax.axhline(0, color='k', lw=0.6)\n"
        "fig.tight_layout()\n"
        "fig.savefig('tokens.png', dpi=80)"),
]

nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
path = os.path.join(ROOT, "notebooks-data", "example.ipynb")
with open(path, "w", encoding="utf-8") as f:
    nbformat.write(nb, f)
print("wrote", path)
