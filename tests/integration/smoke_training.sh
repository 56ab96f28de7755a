#!/usr/bin/env bash
# The README's main job, as configured (configs/smoke_cpu.yaml): it must finish and lower the
# held-out L1 by at least 50% from step 0; the run directory must hold what the README promises.
source "$(dirname "$0")/lib.bash"
cfg="$TETRA_SOURCE_DIR/configs/smoke_cpu.yaml"
start=$(date +%s)
"$TRAIN" --config "$cfg" --set run.out_dir="$SCRATCH" --set data.train_path="$SCRATCH/data" > "$SCRATCH/log" 2>&1 \
  || fail "smoke run failed: $(tail -20 "$SCRATCH/log")"
echo "smoke run took $(( $(date +%s) - start )) s"
run="$SCRATCH/smoke_cpu"
for f in config.yaml metrics.jsonl; do [ -s "$run/$f" ] || fail "missing $run/$f"; done
ls "$run/checkpoints" | grep -q step- || fail "no checkpoint written"
grep -E "^step [0-9]+/[0-9]+ \| loss .* lr .* gnorm .* tok/s \| eta" "$SCRATCH/log" > /dev/null || fail "no step log lines"
"$PY" - "$run/metrics.jsonl" <<'PY'
import json, sys
evals = [json.loads(l) for l in open(sys.argv[1]) if "eval/heldout_l1" in l]
first, last = evals[0]["eval/heldout_l1"], evals[-1]["eval/heldout_l1"]
print(f"held-out L1: step {evals[0]['step']} {first:.4f} -> step {evals[-1]['step']} {last:.4f} ({100*(1-last/first):.1f}% lower)")
assert evals[0]["step"] == 0, "first evaluation must be at step 0"
assert last <= 0.5 * first, f"held-out L1 fell only from {first} to {last}"
PY
