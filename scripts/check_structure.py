#!/usr/bin/env python3
"""Checks the structure rules of docs/ARCHITECTURE.md on the source tree (ctest label `structure`).

  deps   every `#include "folder/..."` in a folder's .h/.cpp/.cu/.cuh (subfolders included), every
         LibTorch include, and every target_link_libraries / tetra_torch_target of the folder's
         CMakeLists.txt must be allowed by the table under "## Allowed dependencies".
  sizes  no C++ file over 500 lines, no function over 80 lines (lizard counts a function's lines,
         from its signature to its closing brace); exceptions are listed, exactly, in
         scripts/structure_allowlist.txt.

Exits 1 listing every violation as `path:line: what: the rule`; 77 (ctest: skipped) when the size
check cannot run for want of lizard (scripts/setup.sh installs it). Stdlib only apart from lizard.
  scripts/check_structure.py [--root DIR] [--allowlist FILE] [deps] [sizes]
"""
import argparse
import os
import re
import sys

MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 80
CPP_SUFFIXES = (".h", ".hpp", ".cpp", ".cc", ".cu", ".cuh")
RULES_DOC = "docs/ARCHITECTURE.md"
RULES_HEADING = "## Allowed dependencies"
# Includes that mean LibTorch (ATen and c10 are parts of it).
TORCH_INCLUDE = re.compile(r"^(torch|ATen|c10)/")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


class Rule:
    def __init__(self, folder, allowed, torch):
        self.folder = folder    # "model"
        self.allowed = allowed  # set of folders, or None for anything
        self.torch = torch      # True, False, or a list of subfolders ("data/text") that may use it

    def allows(self, folder):
        return self.allowed is None or folder == self.folder or folder in self.allowed

    def allows_torch(self, path):
        if isinstance(self.torch, bool):
            return self.torch
        return any(path == sub or path.startswith(sub + "/") for sub in self.torch)

    def describe(self):
        deps = "anything" if self.allowed is None else (", ".join(sorted(self.allowed)) or "nothing of ours")
        if isinstance(self.torch, bool):
            torch = "LibTorch: yes" if self.torch else "LibTorch: no"
        else:
            torch = "LibTorch: only in " + ", ".join(s + "/" for s in self.torch)
        return f"{self.folder}/ may include/link {deps}; {torch} ({RULES_DOC}, {RULES_HEADING[3:]})"


def cell_words(cell):
    return [w.strip().strip("`").rstrip("/") for w in cell.split(",") if w.strip()]


def parse_rules(root):
    """The table under RULES_HEADING: | folder | may include/link | LibTorch |."""
    path = os.path.join(root, RULES_DOC)
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    try:
        start = lines.index(RULES_HEADING)
    except ValueError:
        sys.exit(f"{path}: no '{RULES_HEADING}' heading with the table of allowed dependencies")
    rules = {}
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) < 3 or cells[0] == "folder" or set(cells[0]) <= set("-: "):
            continue
        folder = cells[0].strip("`").rstrip("/")
        deps = cells[1].lower()
        allowed = None if deps.startswith("anything") else (set() if deps.startswith("nothing") else set(cell_words(cells[1])))
        torch_cell = cells[2].lower()
        if torch_cell.startswith("yes"):
            torch = True
        elif torch_cell.startswith("no"):
            torch = False
        elif torch_cell.startswith("only in"):
            torch = cell_words(cells[2][len("only in"):])
        else:
            sys.exit(f"{path}: LibTorch cell of {folder} must be yes, no or 'only in `sub/`': {cells[2]}")
        rules[folder] = Rule(folder, allowed, torch)
    if not rules:
        sys.exit(f"{path}: the table under '{RULES_HEADING}' is empty")
    return rules


def walk(root, folder, suffixes):
    base = os.path.join(root, folder)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(suffixes):
                yield os.path.relpath(os.path.join(dirpath, name), root)


def read_lines(root, rel):
    with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
        return f.read().splitlines()


def check_includes(root, rules, rule, violations):
    for rel in walk(root, rule.folder, CPP_SUFFIXES):
        for number, line in enumerate(read_lines(root, rel), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = m.group(2)
            top = target.split("/", 1)[0]
            if "/" in target and top in rules and not rule.allows(top):
                violations.append(f'{rel}:{number}: includes "{target}": {rule.describe()}')
            elif TORCH_INCLUDE.match(target) and not rule.allows_torch(os.path.dirname(rel)):
                violations.append(f"{rel}:{number}: includes LibTorch <{target}>: {rule.describe()}")


def cmake_calls(text, command):
    """Every `command(...)` in CMake text, comments removed, as a list of (line, argument)."""
    code = re.sub(r"#[^\n]*", lambda m: " " * len(m.group(0)), text)
    for m in re.finditer(r"\b" + command + r"\s*\(([^)]*)\)", code):
        yield [(code.count("\n", 0, m.start(1) + a.start()) + 1, a.group(0))
               for a in re.finditer(r"\S+", m.group(1))]


def target_path(root, rules, name):
    """The folder (or subfolder, e.g. data/text for tetra_data_text) a tetra_* target belongs to."""
    if not name.startswith("tetra_"):
        return None
    parts = name[len("tetra_"):].split("_")
    for n in range(len(parts), 0, -1):
        candidate = "/".join(parts[:n])
        if candidate in rules or (n > 1 and os.path.isdir(os.path.join(root, candidate))):
            return candidate
    return None  # tetra_pch and other build plumbing


def check_cmake(root, rules, rule, violations):
    for rel in walk(root, rule.folder, ("CMakeLists.txt",)):
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            text = f.read()
        for call in cmake_calls(text, "target_link_libraries"):
            target = call[0][1]
            for number, lib in call[1:]:
                path = target_path(root, rules, lib)
                if path and not rule.allows(path.split("/")[0]):
                    violations.append(f"{rel}:{number}: {target} links {lib}: {rule.describe()}")
                elif lib == "torch" and not rule.allows_torch(target_path(root, rules, target) or rule.folder):
                    violations.append(f"{rel}:{number}: {target} links LibTorch: {rule.describe()}")
        for call in cmake_calls(text, "tetra_torch_target"):
            number, target = call[0]
            if not rule.allows_torch(target_path(root, rules, target) or rule.folder):
                violations.append(f"{rel}:{number}: {target} uses LibTorch (tetra_torch_target): {rule.describe()}")


def check_dependencies(root):
    rules = parse_rules(root)
    violations = []
    for folder in sorted(rules):
        if not os.path.isdir(os.path.join(root, folder)):
            continue  # a folder of the table not written yet (e.g. common/)
        check_includes(root, rules, rules[folder], violations)
        check_cmake(root, rules, rules[folder], violations)
    return violations, len(rules)


def read_allowlist(path):
    """Entries `path` (a file over the limit) or `path: function` (a function over the limit)."""
    entries = set()
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    entries.add(re.sub(r"\s*:\s*", ": ", line, count=1))
    return entries


def check_sizes(root, allowlist_path):
    rules = parse_rules(root)
    allowed = read_allowlist(allowlist_path)
    violations, used = [], set()
    files = [rel for folder in sorted(rules) if os.path.isdir(os.path.join(root, folder))
             for rel in walk(root, folder, CPP_SUFFIXES)]
    for rel in files:
        count = len(read_lines(root, rel))
        if count > MAX_FILE_LINES:
            if rel in allowed:
                used.add(rel)
            else:
                violations.append(f"{rel}:1: file has {count} lines: files stay under {MAX_FILE_LINES} lines")
    try:
        import lizard
    except ImportError:
        return violations, used, allowed, False
    for rel in files:
        analysis = lizard.analyze_file(os.path.join(root, rel))
        for fn in analysis.function_list:
            length = fn.end_line - fn.start_line + 1
            if length <= MAX_FUNCTION_LINES:
                continue
            key = f"{rel}: {fn.name}"
            if key in allowed:
                used.add(key)
            else:
                violations.append(f"{rel}:{fn.start_line}: function {fn.name} has {length} lines: "
                                  f"functions stay under {MAX_FUNCTION_LINES} lines")
    return violations, used, allowed, True


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=os.path.dirname(here), help="source tree (default: this script's)")
    parser.add_argument("--allowlist", help="size exceptions (default: ROOT/scripts/structure_allowlist.txt)")
    parser.add_argument("checks", nargs="*", metavar="deps|sizes", help="what to check (default: both)")
    args = parser.parse_args()
    for check in args.checks:
        if check not in ("deps", "sizes"):
            parser.error(f"unknown check '{check}' (deps, sizes)")
    root = os.path.abspath(args.root)
    checks = args.checks or ["deps", "sizes"]
    status = 0
    if "deps" in checks:
        violations, n = check_dependencies(root)
        for v in violations:
            print(v)
        print(f"deps: {len(violations)} violation(s) of the {n} folder rules in {RULES_DOC}")
        status = status or (1 if violations else 0)
    if "sizes" in checks:
        allowlist = args.allowlist or os.path.join(root, "scripts", "structure_allowlist.txt")
        violations, used, allowed, had_lizard = check_sizes(root, allowlist)
        for v in violations:
            print(v)
        for entry in sorted(allowed - used) if had_lizard else []:
            print(f"note: {os.path.relpath(allowlist, root)}: '{entry}' is within the limits now: remove it")
        print(f"sizes: {len(violations)} violation(s), {len(used)} allowlisted")
        if violations:
            status = 1
        elif not had_lizard:
            print("sizes: function lengths not checked: lizard is not installed (scripts/setup.sh installs it)")
            status = status or 77
    return status


if __name__ == "__main__":
    sys.exit(main())
