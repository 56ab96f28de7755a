#!/usr/bin/env bash
# Forward + backward time of every loss, Tetra C++ (bench_losses) against the same computation in
# PyTorch Python (losses_torch.py), on CPU. Prints the markdown table of docs/benchmarks.md
# ("Losses"); ratio = Python time / C++ time (> 1: Tetra is faster).
#
#   bench/run_losses.sh [BUILD_DIR]            (default build; build the bench_losses target first)
#   env: REPS (processes per configuration and side, default 1), THREADS (2),
#        PYTHON (default: the venv of scripts/setup.sh,
#        ~/.cache/tetra/venv/bin/python, or $TETRA_VENV/bin/python), CLIP_ENCODER (a TorchScript image encoder,
#        scripts/export_image_encoder.py, timed as an extra "clip" row), ONLY (comma-separated loss
#        names: run only those rows)
#
# C++ and Python runs alternate, so neighbouring runs saw about the same load of a shared machine.
# CPU time (all threads of the process) hardly changes when neighbours preempt us, so its ratio is
# the steadiest one.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bin="$build/bench/bench_losses"
source scripts/venv.sh
python=${PYTHON:-$tetra_python}
require_tetra_python "$python"
reps=${REPS:-1}
threads=${THREADS:-2}
[[ -x "$bin" ]] || { echo "no $bin: cmake --build $build --target bench_losses" >&2; exit 1; }
export OMP_WAIT_POLICY=PASSIVE

# loss batch side resolution width_divisor warmup steps
configs=(
  "l1 64 224 224 1 2 10"        "kl 64 224 224 1 2 10"
  "distill 64 224 224 1 2 20"   "siglip 64 224 224 1 2 20"
  "clip 64 224 224 1 1 5"       "perceptual 64 224 224 1 1 2"
  "lpips 8 224 224 1 1 3"       "gram 8 224 224 1 1 3"
  "perceptual 8 224 224 1 1 3"  "image_rec 8 224 224 1 1 3"
  # smoke-sized: 64 px images; LPIPS/Gram at 64 px with VGG channels / 8 and / 4, at 32 px with / 8
  "image_rec 16 64 64 8 2 10"   "image_rec 16 64 64 4 2 10"   "image_rec 16 64 32 8 2 10"
)
results=$(mktemp)
trap 'rm -f "$results"' EXIT

run_pair() {  # loss batch side resolution divisor warmup steps [extra args]
  local args=(--loss "$1" --batch "$2" --side "$3" --resolution "$4" --width-divisor "$5" --warmup "$6"
              --steps "$7" --threads "$threads" "${@:8}")
  echo "${args[*]}" >&2
  "$bin" "${args[@]}" 2>/dev/null | grep '^{"impl"' >>"$results" || { echo "bench_losses ${args[*]} failed" >&2; exit 1; }
  "$python" bench/losses_torch.py "${args[@]}" | grep '^{"impl"' >>"$results" ||
    { echo "losses_torch.py ${args[*]} failed" >&2; exit 1; }
}

for ((rep = 1; rep <= reps; rep++)); do
  for config in "${configs[@]}"; do
    read -r loss batch side resolution divisor warmup steps <<<"$config"
    [[ -z "${ONLY:-}" || ",$ONLY," == *",$loss,"* ]] || continue
    run_pair "$loss" "$batch" "$side" "$resolution" "$divisor" "$warmup" "$steps"
  done
  if [[ -n "${CLIP_ENCODER:-}" ]]; then
    run_pair clip 8 224 224 1 1 3 --clip-encoder "$CLIP_ENCODER"
  fi
done

"$python" - "$results" <<'PY'
import collections, json, statistics, sys

runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    key = (r["loss"], r["batch"], r["side"], r["resolution"], r["width_divisor"], r["threads"], r["encoder"])
    runs[key + (r["impl"],)].append(r)
print("| loss | images | side -> loss input | VGG channels | C++ ms | Python ms | Python/C++ wall | C++ / Python CPU ms | Python/C++ CPU |")
print("|---|---|---|---|---|---|---|---|---|")
for key in dict.fromkeys(k[:-1] for k in runs):
    cpp, py = runs[key + ("cpp",)], runs[key + ("python",)]
    c, p = [r["median_ms"] for r in cpp], [r["median_ms"] for r in py]
    cc, pc = [r["cpu_ms"] for r in cpp], [r["cpu_ms"] for r in py]
    loss, batch, side, res, div, _, encoder = key
    if loss == "clip":
        loss = f"clip ({'random conv encoder' if encoder == 'random' else 'TorchScript ' + encoder})"
    vgg = "-" if key[0] not in ("lpips", "gram", "perceptual", "image_rec") else ("VGG16" if div == 1 else f"VGG16 / {div}")
    print(f"| {loss} | {batch} | {side} -> {res} | {vgg} | {statistics.median(c):.1f} | {statistics.median(p):.1f} "
          f"| {statistics.median([b / a for a, b in zip(c, p)]):.2f} | {statistics.median(cc):.1f} / {statistics.median(pc):.1f} "
          f"| {statistics.median([b / a for a, b in zip(cc, pc)]):.2f} |")
PY
