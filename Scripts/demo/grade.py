#!/usr/bin/env python3
"""Labels sampled generations with the demo task's metric.

    python3 Scripts/demo/grade.py GENERATIONS.jsonl [--prompts notebooks-data/task/prompts_heldout.jsonl]
                                  [--out LABELLED.jsonl] [--field text]

Each input line is a JSON object with `prompt_id` (an `id` of prompts_heldout.jsonl) and the
generated response in `text` (the response only, without the prompt); other fields are kept in
their order and `metric` is added last (replaced if present). Output goes to --out (written to
a temporary name, then renamed) or to stdout; the same input gives the same bytes. A summary
(count, mean metric, share of perfect answers) goes to stderr.

A line that is not JSON, lacks `prompt_id`/`text`, or names an unknown prompt is an error
naming the file and line number.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from arith_task import grade  # noqa: E402

DEFAULT_PROMPTS = HERE.parent.parent / "notebooks-data" / "task" / "prompts_heldout.jsonl"


class GradeInputError(Exception):
    pass


def read_jsonl(path: Path) -> list:
    rows = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise GradeInputError(f"{path}:{lineno}: not valid JSON ({e.msg}, column {e.colno})")
            if not isinstance(obj, dict):
                raise GradeInputError(f"{path}:{lineno}: expected a JSON object, got "
                                      f"{type(obj).__name__}")
            rows.append((lineno, obj))
    return rows


def load_problems(path: Path) -> dict:
    problems = {}
    for lineno, obj in read_jsonl(path):
        if "id" not in obj or "problem" not in obj:
            raise GradeInputError(f"{path}:{lineno}: a prompts file line needs `id` and `problem`")
        problems[obj["id"]] = obj["problem"]
    return problems


def label(generations: Path, prompts: Path, field: str = "text") -> tuple:
    """Returns (output lines, metrics)."""
    problems = load_problems(prompts)
    lines, metrics = [], []
    for lineno, obj in read_jsonl(generations):
        pid = obj.get("prompt_id")
        if pid is None:
            raise GradeInputError(f"{generations}:{lineno}: missing field `prompt_id`")
        if pid not in problems:
            raise GradeInputError(f"{generations}:{lineno}: prompt_id {pid!r} is not in {prompts}")
        if not isinstance(obj.get(field), str):
            raise GradeInputError(f"{generations}:{lineno}: field `{field}` must be a string")
        m = grade(problems[pid], obj[field])
        obj.pop("metric", None)
        obj["metric"] = m
        metrics.append(m)
        lines.append(json.dumps(obj, ensure_ascii=False) + "\n")
    return lines, metrics


def main() -> None:
    ap = argparse.ArgumentParser(description="Add the demo task's metric to generations.")
    ap.add_argument("generations", type=Path, help="JSONL with prompt_id and text")
    ap.add_argument("--prompts", type=Path, default=DEFAULT_PROMPTS,
                    help="prompts_heldout.jsonl holding each prompt's problem")
    ap.add_argument("--out", type=Path, help="output JSONL (default: stdout)")
    ap.add_argument("--field", default="text", help="field holding the generated response")
    args = ap.parse_args()
    try:
        lines, metrics = label(args.generations, args.prompts, args.field)
    except (GradeInputError, OSError) as e:
        sys.exit(f"grade.py: {e}")
    if args.out:
        tmp = args.out.with_name(args.out.name + ".tmp")
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.writelines(lines)
        os.replace(tmp, args.out)
    else:
        sys.stdout.writelines(lines)
    n = len(metrics)
    mean = sum(metrics) / n if n else float("nan")
    perfect = sum(m == 1.0 for m in metrics) / n if n else float("nan")
    print(f"graded {n} generations: mean metric {mean:.4f}, perfect {perfect:.3f}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
