"""Every target of Package.swift declares exactly the modules its Swift sources import.

The build (`swift build --explicit-target-dependency-import-check=error`, run by `make test`)
fails on an import that is not declared; this test also fails on a declaration that no source
of the target imports, so the graph drawn in Package.swift's comment stays the true one.
Needs `swift` on PATH (it reads the manifest with `swift package dump-package`).
"""
import json
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Modules of the toolchain and the operating system: imported freely, never declared.
SYSTEM = {"Foundation", "FoundationXML", "FoundationNetworking", "Dispatch", "Glibc", "Darwin", "XCTest"}
# Multi-line string literals (which may hold Python with its own imports) are not source.
MULTILINE_STRING = re.compile(r'#*"""[\s\S]*?"""#*')
IMPORT = re.compile(r"^\s*(?:@testable\s+|@_implementationOnly\s+|@preconcurrency\s+)*import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?(\w+)", re.M)


def manifest():
    if shutil.which("swift") is None:
        pytest.skip("swift is not on PATH")
    out = subprocess.run(["swift", "package", "dump-package"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def declared(target):
    names = set()
    for dep in target["dependencies"]:
        for kind in ("byName", "target", "product"):
            if kind in dep:
                names.add(dep[kind][0])
    return names


def imported(path):
    names = set()
    for folder, _, files in os.walk(path):
        for f in files:
            if f.endswith(".swift"):
                with open(os.path.join(folder, f), encoding="utf-8") as fh:
                    names.update(IMPORT.findall(MULTILINE_STRING.sub("", fh.read())))
    return names - SYSTEM


def source_folder(target):
    if target.get("path"):
        return os.path.join(ROOT, target["path"])
    return os.path.join(ROOT, "Tests" if target["type"] == "test" else "Sources", target["name"])


def test_every_target_declares_exactly_what_it_imports():
    problems = []
    for t in manifest()["targets"]:
        if t["type"] == "system":
            continue
        have, need = declared(t), imported(source_folder(t))
        if have - need:
            problems.append(f"{t['name']} declares but never imports: {sorted(have - need)}")
        if need - have:
            problems.append(f"{t['name']} imports but does not declare: {sorted(need - have)}")
    assert not problems, "\n".join(problems)


def test_the_import_pattern_reads_every_form():
    text = ('import A\n@testable import B\nimport struct C.Thing\n  import D\n// import E\nlet s = "import F"\n'
            'let py = """\nimport G\n"""\nlet raw = #"""\nimport H\n"""#\nimport I\n')
    assert set(IMPORT.findall(MULTILINE_STRING.sub("", text))) == {"A", "B", "C", "D", "I"}
