"""Shared checks of the kill-and-resume tests: read a run's metrics.jsonl, and assert that resumed
runs logged every step exactly once with bitwise the same values, and ended with the same weights,
as the uninterrupted reference run.

    compare_runs.py ROOT REFERENCE STEPS RUN [RUN ...]
"""
import hashlib
import json
import sys

# Everything a step record holds must match, except what measures the machine rather than the run.
UNTIMED = lambda key: key not in ("tokens_per_s", "elapsed_s", "mfu")


def records(root, run):
    out = {}
    for line in open(f"{root}/{run}/metrics.jsonl"):
        r = json.loads(line)
        if "loss" in r:
            out.setdefault(r["step"], []).append(r)
    return out


def weights(root, run, step):
    path = f"{root}/{run}/checkpoints/step-{step:09d}/model.pt"
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def assert_same_as_reference(root, reference, steps, runs):
    ref = records(root, reference)
    assert sorted(ref) == list(range(1, steps + 1)), f"{reference}: steps {sorted(ref)}"
    for run in runs:
        got = records(root, run)
        assert sorted(got) == list(range(1, steps + 1)), f"{run}: steps {sorted(got)}"
        for step, rs in got.items():
            assert len(rs) == 1, f"{run}: step {step} logged {len(rs)} times (stale records not dropped)"
            assert set(rs[0]) == set(ref[step][0]), f"{run} step {step}: keys {sorted(rs[0])} != {sorted(ref[step][0])}"
            for key in filter(UNTIMED, ref[step][0]):
                a, b = ref[step][0][key], rs[0][key]
                assert a == b, f"{run} step {step} {key}: {b!r} != uninterrupted {a!r}"
        assert weights(root, run, steps) == weights(root, reference, steps), f"{run}: final weights differ"
    print(f"resume is exact: {steps} steps of losses and the final weights of {', '.join(runs)} match bitwise")


if __name__ == "__main__":
    root, reference, steps, *runs = sys.argv[1:]
    assert_same_as_reference(root, reference, int(steps), runs)
