"""The demo task: short templated arithmetic word problems with worked steps, and their grader.

A problem is a start quantity followed by 2-4 events, each one arithmetic step on the running
total (+, -, * by 2 or 3). The expert solution writes one step per line and ends with the
answer line:

    prompt:   "Question: Tom has 3 apples. He buys 5 more. Then he gives 2 to Ann.
               How many apples does Tom have now?\\nSolution:"
    response: "\\nTom buys 5 more: 3 + 5 = 8.\\nTom gives 2 to Ann: 8 - 2 = 6.\\nAnswer: 6"

The prompt ends with "\\nSolution:" and every response starts with "\\n", so prompt and
response tokenize separately (softq's convention) without a token straddling the boundary.

Grade (in [0, 1]); K = number of ground-truth steps, M = number of equations found in the
response, matched = number of ground-truth equations present in the response (multiset
intersection; + and * match with their operands swapped), ans = 1 if the first
"Answer: <int>" equals the ground-truth answer else 0:

    metric = 0.5 * matched / max(K, M) + 0.5 * ans

Dividing by max(K, M) means extra or repeated equations cost credit, so a response that
lists many equations cannot score more than one that lists exactly the right ones.

Randomness: xoshiro256** seeded through SplitMix64 (the same generator as softq's
SoftQBase.SeededGenerator), written out here so that the data do not depend on the Python or
NumPy version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MASK64 = (1 << 64) - 1


class SeededGenerator:
    """xoshiro256** seeded through SplitMix64; integers by rejection sampling (unbiased)."""

    def __init__(self, seed: int):
        sm = seed & MASK64
        state = []
        for _ in range(4):
            sm = (sm + 0x9E3779B97F4A7C15) & MASK64
            z = sm
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
            state.append(z ^ (z >> 31))
        self.s = state

    @staticmethod
    def _rotl(x: int, k: int) -> int:
        return ((x << k) | (x >> (64 - k))) & MASK64

    def next(self) -> int:
        s = self.s
        result = (self._rotl((s[1] * 5) & MASK64, 7) * 9) & MASK64
        t = (s[1] << 17) & MASK64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return result

    def below(self, n: int) -> int:
        """Uniform integer in [0, n)."""
        if n <= 0:
            raise ValueError(f"below() needs a positive bound, got {n}")
        limit = (1 << 64) - ((1 << 64) % n)  # reject the biased tail
        while True:
            x = self.next()
            if x < limit:
                return x % n

    def between(self, lo: int, hi: int) -> int:
        """Uniform integer in [lo, hi] (both inclusive)."""
        return lo + self.below(hi - lo + 1)

    def choice(self, items):
        return items[self.below(len(items))]

    def shuffle(self, items: list) -> None:
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]


# ---------------------------------------------------------------------------------------------
# Templates. Each scene has a start sentence, events per operation (question sentence and the
# solution line's prefix), and the question. {s} is the subject, {p} the pronoun, {n} the
# operand, {o} the object, {f} a friend's name.

NAMES = ["Tom", "Ann", "Sam", "Mia", "Leo", "Eva", "Max", "Zoe", "Ben", "Ivy", "Dan", "Amy"]
PRONOUN = {"Tom": "he", "Sam": "he", "Leo": "he", "Max": "he", "Ben": "he", "Dan": "he",
           "Ann": "she", "Mia": "she", "Eva": "she", "Zoe": "she", "Ivy": "she", "Amy": "she"}


@dataclass(frozen=True)
class Scene:
    name: str
    objects: tuple
    start: str                 # question sentence for the start quantity
    add: tuple                 # (question sentence, solution prefix) pairs
    sub: tuple
    mul: tuple                 # operand fixed to 2 or 3 via {n}: "doubles"/"triples" words
    question: str


SCENES = [
    Scene("person", ("apples", "marbles", "stickers", "coins", "cards", "shells"),
          "{s} has {n} {o}.",
          (("{p} buys {n} more.", "{s} buys {n} more"),
           ("{p} finds {n} more.", "{s} finds {n} more"),
           ("{p} gets {n} from {f}.", "{s} gets {n} from {f}")),
          (("{p} gives {n} to {f}.", "{s} gives {n} to {f}"),
           ("{p} loses {n}.", "{s} loses {n}"),
           ("{p} sells {n}.", "{s} sells {n}")),
          (("{p} {m} them.", "{s} {m} them"),),
          "How many {o} does {s} have now?"),
    Scene("bakery", ("cakes", "pies", "muffins", "buns"),
          "The bakery has {n} {o}.",
          (("It bakes {n} more.", "The bakery bakes {n} more"),
           ("{f} brings {n} more.", "{f} brings {n} more")),
          (("It sells {n}.", "The bakery sells {n}"),
           ("{f} buys {n}.", "{f} buys {n}")),
          (("It {m} its stock.", "The bakery {m} its stock"),),
          "How many {o} does the bakery have now?"),
    Scene("bus", ("people",),
          "A bus carries {n} {o}.",
          (("At a stop {n} get on.", "{n} get on"),),
          (("At a stop {n} get off.", "{n} get off"),),
          (("At the station the crowd {m}.", "The crowd {m}"),),
          "How many {o} are on the bus now?"),
    Scene("shelf", ("books", "toys", "boxes"),
          "A shelf holds {n} {o}.",
          (("{f} puts {n} more on it.", "{f} puts {n} more on it"),),
          (("{f} takes {n} away.", "{f} takes {n} away"),),
          (("{f} {m} the number.", "{f} {m} the number"),),
          "How many {o} are on the shelf now?"),
]
MUL_WORD = {2: "doubles", 3: "triples"}


@dataclass
class Problem:
    """One problem: its text and the ground-truth steps (a, op, b, c) with c = a op b."""
    scene: str
    question: str
    lines: list                # solution lines, one per step, without the answer line
    steps: list                # [[a, op, b, c], ...]
    answer: int
    extra: dict = field(default_factory=dict)

    @property
    def prompt(self) -> str:
        return f"Question: {self.question}\nSolution:"

    @property
    def response(self) -> str:
        return response_text(self.lines, self.answer)

    def as_json(self) -> dict:
        return {"scene": self.scene, "steps": [list(s) for s in self.steps],
                "answer": self.answer}


def response_text(lines: list, answer) -> str:
    """'\\n' + one step per line + 'Answer: N' (answer None: no answer line)."""
    body = list(lines) + ([f"Answer: {answer}"] if answer is not None else [])
    return "".join("\n" + line for line in body)


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def step_line(prefix: str, a: int, op: str, b: int, c: int) -> str:
    return f"{prefix}: {a} {op} {b} = {c}."


def make_problem(rng: SeededGenerator) -> Problem:
    """Draws one problem: 2-4 steps, operands 1-12, totals kept in 1..99 and steps distinct."""
    while True:
        scene = rng.choice(SCENES)
        obj = rng.choice(scene.objects)
        subject = rng.choice(NAMES) if scene.name == "person" else None
        friends = [n for n in NAMES if n != subject]
        k = rng.between(2, 4)
        total = rng.between(2, 20)
        fill = {"s": subject or "", "p": PRONOUN.get(subject, "it"), "o": obj}
        sentences = [scene.start.format(n=total, **fill)]
        lines, steps = [], []
        used_mul = False
        for i in range(k):
            kinds = ["add", "sub"] + (["mul"] if not used_mul and total <= 15 else [])
            if total <= 1:
                kinds = ["add"] + (["mul"] if "mul" in kinds else [])
            kind = rng.choice(kinds)
            f = rng.choice(friends)
            if kind == "add":
                q, s = rng.choice(scene.add)
                n, op = rng.between(1, 12), "+"
                c = total + n
            elif kind == "sub":
                q, s = rng.choice(scene.sub)
                n, op = rng.between(1, min(total - 1, 12)), "-"
                c = total - n
            else:
                q, s = scene.mul[0]
                n, op = rng.between(2, 3), "*"
                c = total * n
                used_mul = True
            words = dict(fill, n=n, f=f, m=MUL_WORD.get(n, ""))
            sent = q.format(**words)
            if i == 0:
                sent = _cap(sent)
            elif not sent.startswith(tuple(NAMES)):   # keep names capitalised
                sent = "Then " + sent[0].lower() + sent[1:]
            else:
                sent = "Then " + sent
            sentences.append(sent)
            lines.append(step_line(_cap(s.format(**words)), total, op, n, c))
            steps.append([total, op, n, c])
            total = c
        keys = [canonical(*s) for s in steps]
        if len(set(keys)) != len(keys) or total > 99:
            continue
        sentences.append(scene.question.format(**fill))
        return Problem(scene.name, " ".join(sentences), lines, steps, total)


# ---------------------------------------------------------------------------------------------
# Grading.

EQUATION = re.compile(r"(-?\d+)\s*([+\-*x×])\s*(-?\d+)\s*=\s*(-?\d+)")
ANSWER = re.compile(r"Answer\s*:\s*(-?\d+)", re.IGNORECASE)
ANSWER_WEIGHT = 0.5


def canonical(a, op, b, c) -> tuple:
    """An equation as a comparable key; + and * are commutative, 'x'/'×' mean '*'."""
    op = "*" if op in ("x", "×") else op
    a, b, c = int(a), int(b), int(c)
    if op in ("+", "*") and b < a:
        a, b = b, a
    return (a, op, b, c)


def parse_response(text) -> tuple:
    """Equations (canonical keys, in order) and the first 'Answer: N' (or None); junk-safe."""
    if not isinstance(text, str):
        return [], None
    text = text[:20000]  # bound the work on pathological inputs
    eqs = []
    for m in EQUATION.finditer(text):
        try:
            eqs.append(canonical(*m.groups()))
        except ValueError:
            continue
    m = ANSWER.search(text)
    answer = int(m.group(1)) if m else None
    return eqs, answer


def _steps_of(problem) -> tuple:
    """Accepts a Problem or its JSON form ({'steps': [...], 'answer': N})."""
    if isinstance(problem, Problem):
        return problem.steps, problem.answer
    if isinstance(problem, dict) and "steps" in problem and "answer" in problem:
        return problem["steps"], problem["answer"]
    if isinstance(problem, dict) and "problem" in problem:   # a prompts_heldout.jsonl line
        return _steps_of(problem["problem"])
    raise TypeError("grade() needs a Problem, a problem dict with 'steps' and 'answer', "
                    f"or a prompts_heldout line; got {type(problem).__name__}")


def grade(problem, response) -> float:
    """metric = 0.5 * matched / max(K, M) + 0.5 * [first answer == truth] (see module doc)."""
    steps, truth = _steps_of(problem)
    gold = [canonical(*s) for s in steps]
    eqs, answer = parse_response(response)
    remaining = list(gold)
    matched = 0
    for e in eqs:
        if e in remaining:
            remaining.remove(e)
            matched += 1
    step_credit = matched / max(len(gold), len(eqs)) if gold else 0.0
    ans = 1.0 if answer is not None and answer == int(truth) else 0.0
    return (1 - ANSWER_WEIGHT) * step_credit + ANSWER_WEIGHT * ans


# ---------------------------------------------------------------------------------------------
# Corruptions: realistic ways a worked answer goes wrong. Each returns a response text.

SUBSETS = ["wrong_answer", "wrong_step", "skipped_step", "truncated", "repetitive"]


def corrupt(problem: Problem, kind: str, rng: SeededGenerator) -> str:
    steps, lines, truth = problem.steps, problem.lines, problem.answer
    prefixes = [line.rsplit(":", 1)[0] for line in lines]
    if kind == "wrong_answer":
        # every step right, the final line reports another number (off by a little, or an
        # intermediate result copied by mistake)
        candidates = [s[3] for s in steps[:-1] if s[3] != truth]
        delta = rng.choice([-2, -1, 1, 2, 10])
        wrong = rng.choice(candidates) if candidates and rng.below(2) else truth + delta
        if wrong == truth or wrong < 0:
            wrong = truth + 1
        return response_text(lines, wrong)
    if kind == "wrong_step":
        # one step's result is off; later steps carry the wrong value forward consistently,
        # so the final answer is wrong too
        j = rng.below(len(steps))
        out, carry = [], None
        for i, (a, op, b, c) in enumerate(steps):
            if carry is not None:
                a = carry
                c = a + b if op == "+" else a - b if op == "-" else a * b
            if i == j:
                c = c + rng.choice([-3, -2, -1, 1, 2, 3])
                if c == steps[i][3] or c < 0:
                    c = steps[i][3] + 1
            out.append(step_line(prefixes[i], a, op, b, c))
            carry = c if (carry is not None or i == j) else None
        return response_text(out, carry)
    if kind == "skipped_step":
        # an intermediate step is done "in the head": its line is missing, the next one
        # starts from the right value, the answer is right
        j = rng.below(len(steps) - 1)
        return response_text(lines[:j] + lines[j + 1:], truth)
    if kind == "truncated":
        # cut before the answer line, at a character inside the last written line
        full = response_text(lines, None)
        cut = rng.between(len(full) // 3, len(full) - 2)
        return full[:cut]
    if kind == "repetitive":
        # degenerate loop: a step line repeated until the length limit, no answer
        j = rng.below(len(steps))
        reps = rng.between(2, 3)
        return response_text(lines[:j + 1] + [lines[j]] * reps, None)
    raise ValueError(f"unknown corruption {kind!r}; expected one of {SUBSETS}")


# ---------------------------------------------------------------------------------------------
# Step-labelled solutions (ProcessBench's labelling: the index of the first wrong step, or -1).
# A solution is a list of steps; "\n".join(steps) is the response, so the first step starts
# with "\n" like every demo response, and the last step is the "Answer: N" line.

STEP_ERRORS = ["arithmetic_slip", "wrong_operation", "wrong_operand", "skipped_event",
               "wrong_answer"]


def _apply(a: int, op: str, b: int) -> int:
    return a + b if op == "+" else a - b if op == "-" else a * b


def solution_steps(lines: list, answer) -> list:
    """The steps of a response written as `response_text(lines, answer)`."""
    body = list(lines) + [f"Answer: {answer}"]
    return ["\n" + body[0]] + body[1:]


def first_wrong_step(problem, steps: list) -> int:
    """Re-grades a step-labelled solution: the index of its first wrong step, or -1.

    Step i < K (K ground-truth steps) is right iff it holds exactly one equation, equal to the
    i-th ground-truth equation (canonical form: + and * commute), and no answer; step K is
    right iff it holds no equation and its answer is the true one; any later step is wrong.
    A solution with fewer than K + 1 steps is wrong at its first missing or misplaced step.
    """
    gold, truth = _steps_of(problem)
    keys = [canonical(*s) for s in gold]
    for i, step in enumerate(steps):
        eqs, answer = parse_response(step)
        if i < len(keys):
            ok = eqs == [keys[i]] and answer is None
        elif i == len(keys):
            ok = eqs == [] and answer is not None and answer == int(truth)
        else:
            ok = False
        if not ok:
            return i
    return -1 if len(steps) == len(keys) + 1 else len(steps)


def erroneous_solution(problem: Problem, kind: str, rng: SeededGenerator):
    """One solution whose first error is of `kind` at a random position, or None when this
    draw cannot make that error here (a negative running total, a coincidentally right step:
    the caller draws again). Later steps carry the wrong value forward consistently, as a
    solver who does not notice the mistake would; they count as wrong too."""
    steps, truth = problem.steps, problem.answer
    prefixes = [line.rsplit(":", 1)[0] for line in problem.lines]
    k = len(steps)
    numbers = sorted({int(n) for n in re.findall(r"\d+", problem.question)})
    if kind == "wrong_answer":
        candidates = [s[3] for s in steps[:-1] if s[3] != truth]
        wrong = rng.choice(candidates) if candidates and rng.below(2) else truth + rng.choice([-2, -1, 1, 2, 10])
        if wrong == truth or wrong < 0:
            return None
        return solution_steps(problem.lines, wrong), k
    j = rng.below(k)
    out, carry = [], None
    for i, (a, op, b, c) in enumerate(steps):
        if carry is not None:
            a = carry
            c = _apply(a, op, b)
        if kind == "skipped_event" and i == j:
            carry = a                       # the event is forgotten: the total stays
            continue
        if i == j:
            if kind == "arithmetic_slip":
                c = c + rng.choice([-3, -2, -1, 1, 2, 3])
            elif kind == "wrong_operation":
                op = {"+": rng.choice(["-", "*"]), "-": "+", "*": "+"}[op]
                c = _apply(a, op, b)
            elif kind == "wrong_operand":   # another number of the question copied instead
                others = [n for n in numbers if n != b]
                if not others:
                    return None
                b = rng.choice(others)
                c = _apply(a, op, b)
            else:
                raise ValueError(f"unknown step error {kind!r}; expected one of {STEP_ERRORS}")
        if c < 0:
            return None
        out.append(step_line(prefixes[i], a, op, b, c))
        carry = c if (carry is not None or i == j) else None
    return solution_steps(out, carry), j


def step_solutions(problem: Problem, rng: SeededGenerator, erroneous: int = 2,
                   fits=lambda steps: True) -> list:
    """The correct solution and `erroneous` erroneous ones (distinct error kinds), in a
    seeded order: [(steps, label, kind or None)]. Labels come from `first_wrong_step`; an
    erroneous draw is kept only if it is wrong exactly where it was made wrong and `fits`
    (the token budget), else drawn again (up to 20 times per kind, then the next kind)."""
    right = solution_steps(problem.lines, problem.answer)
    assert first_wrong_step(problem, right) == -1
    out = [(right, -1, None)]
    kinds = list(STEP_ERRORS)
    rng.shuffle(kinds)
    for kind in kinds:
        if len(out) > erroneous:
            break
        for _ in range(20):
            made = erroneous_solution(problem, kind, rng)
            if made is not None and first_wrong_step(problem, made[0]) == made[1] and fits(made[0]):
                out.append((made[0], made[1], kind))
                break
    rng.shuffle(out)
    return out
