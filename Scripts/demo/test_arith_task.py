"""Tests of the demo task: grader on hand cases, corruptions, generator and data determinism.

    python3 -m pytest -q Scripts/demo/test_arith_task.py

Offline; needs only pytest, tokenizers (and numpy nowhere, in fact).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import arith_task as at  # noqa: E402
import make_demo_data as mdd  # noqa: E402

ROOT = HERE.parent.parent
TASK = ROOT / "notebooks-data" / "task"

# Hand case: 3 steps. Tom has 3 apples, buys 5, gives 2 to Ann, doubles them.
PROBLEM = {"steps": [[3, "+", 5, 8], [8, "-", 2, 6], [6, "*", 2, 12]], "answer": 12}
L1 = "Tom buys 5 more: 3 + 5 = 8."
L2 = "Tom gives 2 to Ann: 8 - 2 = 6."
L3 = "Tom doubles them: 6 * 2 = 12."
PERFECT = f"\n{L1}\n{L2}\n{L3}\nAnswer: 12"


def test_perfect_is_one():
    assert at.grade(PROBLEM, PERFECT) == 1.0


@pytest.mark.parametrize("response, expected", [
    # wrong final answer: all steps, wrong answer line
    (f"\n{L1}\n{L2}\n{L3}\nAnswer: 8", 0.5),
    # one wrong step carried downstream: only step 1 matches, answer wrong
    ("\nTom buys 5 more: 3 + 5 = 8.\nTom gives 2 to Ann: 8 - 2 = 5.\n"
     "Tom doubles them: 5 * 2 = 10.\nAnswer: 10", 0.5 * 1 / 3),
    # one wrong step not carried: 2 of 3 steps, answer right
    ("\nTom buys 5 more: 3 + 5 = 8.\nTom gives 2 to Ann: 8 - 2 = 5.\n"
     "Tom doubles them: 6 * 2 = 12.\nAnswer: 12", 0.5 * 2 / 3 + 0.5),
    # skipped step: 2 of 3 steps present, answer right
    (f"\n{L1}\n{L3}\nAnswer: 12", 0.5 * 2 / 3 + 0.5),
    # truncated inside line 3: "6 * 2 = 1" parses as a wrong equation, no answer
    (f"\n{L1}\n{L2}\nTom doubles them: 6 * 2 = 1", 0.5 * 2 / 3),
    # repetitive: line 2 three times, no answer: 2 matched of max(3, 4) equations
    (f"\n{L1}\n{L2}\n{L2}\n{L2}", 0.5 * 2 / 4),
    # repetitive but reaching the right answer: 3 matched of 5 equations
    (f"\n{L1}\n{L2}\n{L2}\n{L2}\n{L3}\nAnswer: 12", 0.5 * 3 / 5 + 0.5),
    # answer only
    ("\nAnswer: 12", 0.5),
])
def test_hand_cases_exact_and_below_perfect(response, expected):
    got = at.grade(PROBLEM, response)
    assert got == pytest.approx(expected, abs=1e-12)
    assert got < 1.0


@pytest.mark.parametrize("junk", [
    "", " ", "\n\n", "asdf qwer", "Answer:", "Answer: twelve", "= = = + 3",
    "\u00ff\u0000\ufffd" * 50, None, 12, b"\nAnswer: 12", "3 + 5 = 9", "Answer: -12",
])
def test_junk_is_zero(junk):
    assert at.grade(PROBLEM, junk) == 0.0


def test_robust_parsing():
    # extra spaces, CRLF, 'x' and '×' for times, swapped operands of + and *, lower-case
    # answer, trailing chatter: all still perfect
    text = ("\r\nTom buys 5 more:5+3=8 \r\nTom gives 2 to Ann:  8 -  2 =6\r\n"
            "Tom doubles them: 2 x 6 = 12!!\r\nanswer : 12. That is all.")
    assert at.grade(PROBLEM, text) == 1.0
    assert at.grade(PROBLEM, PERFECT.replace("6 * 2", "6 × 2")) == 1.0
    # subtraction is not commutative
    assert at.grade(PROBLEM, PERFECT.replace("8 - 2 = 6", "2 - 8 = 6")) < 1.0
    # only the first answer counts
    assert at.grade(PROBLEM, PERFECT + "\nAnswer: 13") == 1.0
    assert at.grade(PROBLEM, PERFECT.replace("Answer: 12", "Answer: 13\nAnswer: 12")) == 0.5
    # a very long junk response is bounded and graded low
    assert at.grade(PROBLEM, "1 + 1 = 2\n" * 100000) == 0.0


def test_grade_accepts_problem_forms():
    rng = at.SeededGenerator(5)
    p = at.make_problem(rng)
    assert at.grade(p, p.response) == 1.0
    assert at.grade(p.as_json(), p.response) == 1.0
    assert at.grade({"id": "x", "problem": p.as_json()}, p.response) == 1.0
    with pytest.raises(TypeError):
        at.grade("not a problem", p.response)


def test_every_corruption_grades_strictly_lower():
    rng = at.SeededGenerator(11)
    for _ in range(300):
        p = at.make_problem(rng)
        assert at.grade(p, p.response) == 1.0
        assert 2 <= len(p.steps) <= 4
        for kind in at.SUBSETS:
            assert at.grade(p, at.corrupt(p, kind, rng)) < 1.0, kind
    with pytest.raises(ValueError):
        at.corrupt(p, "nonsense", rng)


def test_problem_format():
    p = at.make_problem(at.SeededGenerator(3))
    assert p.prompt.startswith("Question: ") and p.prompt.endswith("\nSolution:")
    assert p.response.startswith("\n") and p.response.endswith(f"\nAnswer: {p.answer}")
    assert len(p.response.strip("\n").split("\n")) == len(p.steps) + 1
    for a, op, b, c in p.steps:
        assert c == {"+": a + b, "-": a - b, "*": a * b}[op] and c >= 1


def test_generator_is_deterministic_and_seed_sensitive():
    a = [at.make_problem(at.SeededGenerator(42)).prompt for _ in range(1)]
    r1, r2, r3 = at.SeededGenerator(42), at.SeededGenerator(42), at.SeededGenerator(43)
    s1 = [r1.next() for _ in range(5)]
    assert s1 == [r2.next() for _ in range(5)]
    assert s1 != [r3.next() for _ in range(5)]
    assert all(0 <= x < 2**64 for x in s1)
    assert a == [at.make_problem(at.SeededGenerator(42)).prompt]
    counts = [0] * 3
    rng = at.SeededGenerator(1)
    for _ in range(3000):
        counts[rng.below(3)] += 1
    assert all(900 < c < 1100 for c in counts)


def test_regeneration_is_byte_identical(tmp_path):
    mdd.generate(tmp_path / "a", verbose=False)
    mdd.generate(tmp_path / "b", verbose=False)
    assert mdd.same_tree(tmp_path / "a", tmp_path / "b") == []
    if (TASK / "meta.json").exists():   # the committed data are what the generator makes
        assert mdd.same_tree(tmp_path / "a", ROOT / "notebooks-data") == []


def _jsonl(name):
    with open(TASK / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.mark.skipif(not (TASK / "meta.json").exists(), reason="data not generated")
def test_committed_data_contract():
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(TASK / "tokenizer.json"))
    assert tok.token_to_id("<|bos|>") == 0 and tok.token_to_id("<|eos|>") == 1
    assert 384 <= tok.get_vocab_size() <= 512
    assert tok.encode("Question").ids[0] == 0            # post-processor adds BOS once
    assert tok.encode("\nAnswer", add_special_tokens=False).ids[0] != 0
    pairs = _jsonl("pairs_heldout.jsonl")
    assert list(pairs[0]) == ["id", "subset", "prompt", "chosen", "rejected", "chosen_metric",
                              "rejected_metric", "problem"]
    for r in pairs:
        assert r["chosen_metric"] > r["rejected_metric"]
        assert at.grade(r["problem"], r["chosen"]) == r["chosen_metric"]
        assert at.grade(r["problem"], r["rejected"]) == r["rejected_metric"]
        assert mdd.token_count(tok, r["prompt"], r["rejected"]) <= mdd.MAX_TOKENS
    assert sorted({r["subset"] for r in pairs}) == sorted(at.SUBSETS)
    heldout = _jsonl("prompts_heldout.jsonl")
    train = _jsonl("demos_train.jsonl")
    seen = {r["prompt"] for r in train}
    for r in heldout:
        assert r["prompt"] not in seen
        assert at.grade(r, r["reference"]) == 1.0
    for r in train + _jsonl("demos_val.jsonl"):
        assert mdd.token_count(tok, r["prompt"], r["response"]) <= mdd.MAX_TOKENS
    # the separator makes separate tokenization equal to joint tokenization
    for r in train[:300]:
        joint = tok.encode(r["prompt"] + r["response"]).ids
        split = tok.encode(r["prompt"]).ids + tok.encode(r["response"],
                                                         add_special_tokens=False).ids
        assert joint == split
    assert sum(f.stat().st_size for f in TASK.iterdir()) < 3 * 2**20


@pytest.mark.skipif(not (TASK / "meta.json").exists(), reason="data not generated")
def test_grade_script(tmp_path):
    heldout = _jsonl("prompts_heldout.jsonl")
    gens = tmp_path / "gens.jsonl"
    rows = [{"prompt_id": heldout[0]["id"], "sample": 0, "text": heldout[0]["reference"]},
            {"prompt_id": heldout[1]["id"], "sample": 1, "text": "\nAnswer: 0"},
            {"prompt_id": heldout[2]["id"], "sample": 2, "text": "", "metric": 7}]
    gens.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "labelled.jsonl"
    cmd = [sys.executable, str(HERE / "grade.py"), str(gens), "--out", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    first = out.read_bytes()
    subprocess.run(cmd, check=True, capture_output=True)
    assert out.read_bytes() == first
    got = [json.loads(line) for line in first.decode().splitlines()]
    assert [list(r) for r in got] == [["prompt_id", "sample", "text", "metric"]] * 3
    assert got[0]["metric"] == 1.0 and got[2]["metric"] == 0.0
    assert got[1]["metric"] == (0.5 if heldout[1]["problem"]["answer"] == 0 else 0.0)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt_id": "heldout-0000", "text": "x"}\n{"prompt_id": "nope", "text": ""}\n')
    res = subprocess.run([sys.executable, str(HERE / "grade.py"), str(bad)],
                         capture_output=True, text=True)
    assert res.returncode != 0 and "bad.jsonl:2" in res.stderr


# --- step-labelled solutions (issue 17) ----------------------------------------------------

STEPS_RIGHT = ["\n" + L1, L2, L3, "Answer: 12"]


@pytest.mark.parametrize("steps, label", [
    (STEPS_RIGHT, -1),
    # arithmetic slip in step 1, carried forward
    (["\n" + L1, "Tom gives 2 to Ann: 8 - 2 = 5.", "Tom doubles them: 5 * 2 = 10.", "Answer: 10"], 1),
    # wrong operation in step 0
    (["\nTom buys 5 more: 3 - 5 = -2.", "Tom gives 2 to Ann: -2 - 2 = -4.", "x", "Answer: 0"], 0),
    # skipped event: step 1 is event 2 on the old total
    (["\n" + L1, "Tom doubles them: 8 * 2 = 16.", "Answer: 16"], 1),
    # wrong answer line only
    (["\n" + L1, L2, L3, "Answer: 13"], 3),
    # commuted operands are still right
    (["\nTom buys 5 more: 5 + 3 = 8.", L2, "Tom doubles them: 2 * 6 = 12.", "Answer: 12"], -1),
    # two equations in one step, an extra step, a missing answer line
    (["\n" + L1 + " " + L2, L3, "Answer: 12"], 0),
    (STEPS_RIGHT + ["Answer: 12"], 4),
    (STEPS_RIGHT[:3], 3),
])
def test_first_wrong_step_hand_cases(steps, label):
    assert at.first_wrong_step(PROBLEM, steps) == label


def test_step_solutions_errors_are_where_they_were_made():
    rng = at.SeededGenerator(17)
    kinds, labels = set(), set()
    for _ in range(200):
        p = at.make_problem(rng)
        sols = at.step_solutions(p, rng)
        assert sum(1 for _, label, _ in sols if label == -1) == 1
        for steps, label, kind in sols:
            assert "\n".join(steps).startswith("\n") and steps[-1].startswith("Answer: ")
            assert at.first_wrong_step(p, steps) == label
            kinds.add(kind)
            labels.add(label)
    assert kinds == set(at.STEP_ERRORS) | {None}
    assert labels >= {-1, 0, 1, 2, 3}


def _carried_consistently(steps, label):
    """After the first error every equation starts from the previous result and is computed
    right (the error itself may be a slip), and the answer line repeats the last result."""
    prev = None
    for i, s in enumerate(steps[:-1]):
        eqs, _ = at.parse_response(s)
        assert len(eqs) == 1, s
        m = at.EQUATION.search(s)
        a, op, b, c = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
        if prev is not None:
            assert a == prev, (i, s)
        if i != label:
            assert c == at._apply(a, op, b), (i, s)
        prev = c
    assert at.parse_response(steps[-1])[1] is not None
    if label != len(steps) - 1:
        assert at.parse_response(steps[-1])[1] == prev


@pytest.mark.skipif(not (TASK / "steps_meta.json").exists(), reason="data not generated")
@pytest.mark.parametrize("name, prompts_file, at_least", [
    ("steps_val.jsonl", "prompts_val.jsonl", 300), ("steps_heldout.jsonl", "prompts_heldout.jsonl", 300)])
def test_committed_step_files_regrade(name, prompts_file, at_least):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(TASK / "tokenizer.json"))
    problems = {r["id"]: r for r in _jsonl(prompts_file)}
    rows = _jsonl(name)
    assert len(rows) >= at_least and len({r["id"] for r in rows}) == len(rows)
    assert list(rows[0])[:4] == ["id", "problem_id", "prompt", "steps"] and "label" in rows[0]
    for r in rows:
        p = problems[r["problem_id"]]
        assert r["prompt"] == p["prompt"]
        steps = r["steps"]
        assert steps and all(isinstance(s, str) and s for s in steps)
        assert steps[0].startswith("\n") and not any("\n" in s for s in steps[1:])
        assert -1 <= r["label"] < len(steps)
        # the label is what re-grading each step gives, and the grade of the whole response agrees
        assert at.first_wrong_step(p, steps) == r["label"], r["id"]
        assert (at.grade(p, "\n".join(steps)) == 1.0) == (r["label"] == -1), r["id"]
        assert (r["error"] is None) == (r["label"] == -1)
        _carried_consistently(steps, r["label"])
        assert mdd.token_count(tok, r["prompt"], "\n".join(steps)) <= mdd.MAX_TOKENS
    labels = [r["label"] for r in rows]
    assert labels.count(-1) * 3 == len(rows)                  # 1 correct + 2 erroneous per problem
    assert {label for label in labels if label >= 0} >= {0, 1, 2, 3}   # first errors at varied positions
    meta = json.loads((TASK / "steps_meta.json").read_text())
    assert meta["files"][name[:-6]]["solutions"] == len(rows)


@pytest.mark.skipif(not (TASK / "prompts_val.jsonl").exists(), reason="data not generated")
def test_validation_prompts_match_demos_val():
    val, prompts = _jsonl("demos_val.jsonl"), _jsonl("prompts_val.jsonl")
    assert [r["id"] for r in val] == [r["id"] for r in prompts] and len(prompts) == 200
    for v, p in zip(val, prompts):
        assert list(p) == ["id", "prompt", "problem", "reference"]
        assert p["prompt"] == v["prompt"] and p["reference"] == v["response"]
        assert at.grade(p, v["response"]) == 1.0
