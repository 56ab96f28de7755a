#!/usr/bin/env python3
"""Proves scripts/check_structure.py fails on what it must catch: a copy of the rules and a minimal
tree passes, then each planted violation (a model/ file including trainer/config.h, a data/ file
including LibTorch, a parallel/ CMakeLists.txt linking tetra_trainer, a function over 80 lines)
makes it exit 1 naming the file and line. Stdlib only (the size case runs only with lizard)."""
import os
import shutil
import subprocess
import sys
import tempfile

SOURCE = os.environ.get("TETRA_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECKER = os.path.join(SOURCE, "scripts", "check_structure.py")
failures = []


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def run(root, *checks):
    result = subprocess.run([sys.executable, CHECKER, "--root", root, *checks],
                            capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def minimal_tree():
    root = tempfile.mkdtemp(prefix="tetra-structure.")
    os.makedirs(os.path.join(root, "docs"))
    shutil.copy(os.path.join(SOURCE, "docs", "ARCHITECTURE.md"), os.path.join(root, "docs"))
    write(root, "model/attention.h", '#pragma once\n#include "kernels/rope.h"\n#include <torch/torch.h>\n')
    write(root, "model/CMakeLists.txt", "add_library(tetra_model a.cpp)\ntetra_torch_target(tetra_model)\n"
          "target_link_libraries(tetra_model PUBLIC tetra_kernels)\n")
    write(root, "trainer/config.h", '#pragma once\n#include "model/attention.h"\n#include "data/loader.h"\n')
    write(root, "data/loader.h", '#pragma once\n#include "common/status.h"\n')
    write(root, "data/text/encoder.cpp", '#include <torch/script.h>\n#include "data/loader.h"\n')
    write(root, "data/CMakeLists.txt", "add_library(tetra_data_text text/encoder.cpp)\n"
          "tetra_torch_target(tetra_data_text)  # data/text may use LibTorch\n")
    write(root, "parallel/CMakeLists.txt", "add_library(tetra_parallel a.cpp)\n")
    return root


def expect(name, code, output, want_code, *needles):
    ok = code == want_code and all(n in output for n in needles)
    print(f"{'ok  ' if ok else 'FAIL'} {name}: exit {code}\n{output}")
    if not ok:
        failures.append(f"{name}: wanted exit {want_code} and {needles}")


root = minimal_tree()
try:
    code, out = run(root, "deps")
    expect("the clean minimal tree passes", code, out, 0, "0 violation(s)")

    write(root, "model/attention.h", '#pragma once\n#include "kernels/rope.h"\n#include "trainer/config.h"\n')
    code, out = run(root, "deps")
    expect("a model/ file including trainer/config.h fails", code, out, 1,
           'model/attention.h:3: includes "trainer/config.h"', "model/ may include/link common, kernels")
    write(root, "model/attention.h", '#pragma once\n#include "kernels/rope.h"\n')

    write(root, "data/loader.h", '#pragma once\n#include <ATen/ATen.h>\n')
    code, out = run(root, "deps")
    expect("a data/ file including LibTorch fails", code, out, 1, "data/loader.h:2: includes LibTorch <ATen/ATen.h>")
    write(root, "data/loader.h", "#pragma once\n")

    write(root, "parallel/CMakeLists.txt", "add_library(tetra_parallel a.cpp)\n"
          "target_link_libraries(tetra_parallel\n  PUBLIC tetra_model\n  PRIVATE tetra_trainer)\n")
    code, out = run(root, "deps")
    expect("parallel/ linking tetra_trainer fails", code, out, 1,
           "parallel/CMakeLists.txt:4: tetra_parallel links tetra_trainer")
    write(root, "parallel/CMakeLists.txt", "add_library(tetra_parallel a.cpp)\n")

    try:
        import lizard  # noqa: F401
        body = "".join(f"  x += {i};\n" for i in range(85))
        write(root, "model/long.cpp", "int long_one(int x) {\n" + body + "  return x;\n}\n")
        code, out = run(root, "sizes")
        expect("a function over 80 lines fails", code, out, 1, "model/long.cpp:1: function long_one has 88 lines")
        write(root, "scripts/structure_allowlist.txt", "# exceptions\nmodel/long.cpp: long_one\n")
        code, out = run(root, "sizes")
        expect("an allowlisted function passes", code, out, 0, "1 allowlisted")
    except ImportError:
        print("skip: the size cases need lizard (scripts/setup.sh installs it)")
finally:
    shutil.rmtree(root)

if failures:
    print("\n".join(["FAILED:"] + failures))
    sys.exit(1)
print("check_structure.py catches every planted violation")
