#!/usr/bin/env bash
# One training step of the tokenizer, Tetra C++ (bench_train_step) against the same model in
# PyTorch Python (train_step_torch.py), for the "small" and "big" models at 1 and 2 threads. Prints
# a markdown table for docs/benchmarks.md; ratio = Python time / C++ time (> 1: Tetra is faster).
#
#   bench/run_train_step.sh [BUILD_DIR]        (default build, as scripts/setup.sh makes it; build the
#                                              bench_train_step target first)
#   env: REPS (processes per configuration and side, default 3), STEPS (timed steps, 20),
#        WARMUP (untimed steps, 3), PYTHON (default: the venv of scripts/setup.sh,
#        ~/.cache/tetra/venv/bin/python, or $TETRA_VENV/bin/python),
#        IDLE_WAIT (seconds, default 0: before each C++/Python pair wait up to this long for the
#        machine to be >= 90% idle over one second; for shared machines)
#
# Each process reports the median ms/step of its STEPS steps; the table gives the median over REPS
# processes and their range. C++ and Python runs alternate, so on a shared machine run i of each
# side saw about the same load: "paired" is the median (range) of those per-pair ratios, "best" is
# fastest Python over fastest C++ (slow runs mostly measure the neighbours). CPU time (all threads
# of the process) hardly changes when neighbours preempt us, so its ratio is the steadiest one;
# with 2 threads it counts work, not waiting.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bin="$build/bench/bench_train_step"
source scripts/venv.sh
python=${PYTHON:-$tetra_python}
require_tetra_python "$python"
reps=${REPS:-3}
steps=${STEPS:-20}
warmup=${WARMUP:-3}
idle_wait=${IDLE_WAIT:-0}
[[ -x "$bin" ]] || { echo "no $bin: cmake --build $build --target bench_train_step" >&2; exit 1; }

# Both sides the same: passive OpenMP waiting (bench_train_step would otherwise re-exec itself to
# get it) and, inside each process, the same mallopt thresholds.
export OMP_WAIT_POLICY=PASSIVE
results=$(mktemp)
trap 'rm -f "$results"' EXIT

# Percent of all CPUs idle (idle + iowait) over one second, from /proc/stat.
idle_percent() {
  local a b
  read -ra a < <(grep '^cpu ' /proc/stat)
  sleep 1
  read -ra b < <(grep '^cpu ' /proc/stat)
  local total=0 i
  for ((i = 1; i < ${#a[@]}; i++)); do total=$((total + b[i] - a[i])); done
  echo $((100 * (b[4] + b[5] - a[4] - a[5]) / (total > 0 ? total : 1)))
}

wait_for_idle() {
  local deadline=$((SECONDS + idle_wait)) idle
  while ((SECONDS < deadline)); do
    idle=$(idle_percent)
    ((idle >= 90)) && return
  done
  ((idle_wait == 0)) || echo "  machine still busy after ${idle_wait}s (idle ${idle:-?}%): measuring anyway" >&2
}

for preset in small big; do
  for threads in 1 2; do
    for ((rep = 1; rep <= reps; rep++)); do
      args=(--preset "$preset" --threads "$threads" --steps "$steps" --warmup "$warmup")
      echo "preset $preset, $threads threads, repetition $rep/$reps" >&2
      wait_for_idle
      "$bin" "${args[@]}" 2>/dev/null | grep '^{"impl"' >>"$results" ||
        { echo "bench_train_step ${args[*]} failed" >&2; exit 1; }
      "$python" bench/train_step_torch.py "${args[@]}" | grep '^{"impl"' >>"$results" ||
        { echo "train_step_torch.py ${args[*]} failed" >&2; exit 1; }
    done
  done
done

"$python" - "$results" <<'EOF'
import collections, json, statistics, sys

runs = collections.defaultdict(list)  # in run order: C++ run i and Python run i were neighbours
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs[r["width"], r["depth"], r["heads"], r["mlp"], r["threads"], r["impl"]].append(r)

def spread(values, fmt):
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}-{fmt(max(values))})"

ms, ratio = "{:.1f}".format, "{:.2f}".format
print("| model (width/depth/heads/mlp) | parameters | threads | C++ ms/step | Python ms/step | C++ tokens/s "
      "| Python tokens/s | Python/C++ wall, paired | Python/C++ wall, best | CPU ms/step C++ / Python "
      "| Python/C++ CPU time |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for key in sorted({k[:5] for k in runs}):
    cpp, py = runs[key + ("cpp",)], runs[key + ("python",)]
    if cpp[0]["params"] != py[0]["params"]:
        sys.exit(f"parameter counts differ for {key}: C++ {cpp[0]['params']}, Python {py[0]['params']}")
    c, p = [r["median_ms"] for r in cpp], [r["median_ms"] for r in py]
    c_cpu, p_cpu = [r["cpu_ms"] for r in cpp], [r["cpu_ms"] for r in py]
    tokens = cpp[0]["tokens"]
    print(f"| {key[0]}/{key[1]}/{key[2]}/{key[3]} | {cpp[0]['params']:,} | {key[4]} "
          f"| {spread(c, ms)} | {spread(p, ms)} "
          f"| {tokens / statistics.median(c) * 1e3:,.0f} | {tokens / statistics.median(p) * 1e3:,.0f} "
          f"| {spread([b / a for a, b in zip(c, p)], ratio)} | {min(p) / min(c):.2f} "
          f"| {statistics.median(c_cpu):.1f} / {statistics.median(p_cpu):.1f} "
          f"| {spread([b / a for a, b in zip(c_cpu, p_cpu)], ratio)} |")
print(f"\n{cpp[0]['tokens']} tokens per step; ms/step: median over runs (range); each run's value is the "
      "median of its steps.")
EOF
