#!/usr/bin/env bash
# A fresh run can start at any stage from another run's checkpoint (run.init_from, run.start_stage):
# run B starts at stage 2 from run A's end-of-stage-1 checkpoint, widens the latent itself, and its
# stage-start evaluation (live and EMA weights) equals run A's own at that point exactly. A missing
# or mismatched checkpoint stops the run with the key and the fix.
source "$(dirname "$0")/lib.bash"
cfg="$TETRA_SOURCE_DIR/configs/smoke_cpu.yaml"
common=(--set run.out_dir="$SCRATCH" --set model.preset=tiny --set run.threads=1 --set data.heldout_samples=4
        --set run.grid_samples=0 --set run.keep_checkpoints=10 --set stages.0.steps=2 --set stages.1.steps=1
        --set stages.2.steps=1 --set stages.3.steps=1)
"$TRAIN" --config "$cfg" "${common[@]}" --set run.name=a > "$SCRATCH/a.log" 2>&1 || fail "run a: $(tail "$SCRATCH/a.log")"
from="$SCRATCH/a/checkpoints/step-000000002"
"$TRAIN" --config "$cfg" "${common[@]}" --set run.name=b --set run.init_from="$from" --set run.start_stage=1 \
  > "$SCRATCH/b.log" 2>&1 || fail "run b: $(tail "$SCRATCH/b.log")"
grep -q "initialised from .*step-000000002 (stage 'image', step 2).*starting at stage 2 'video' (step 2)" "$SCRATCH/b.log" \
  || fail "run b did not say where it started: $(head -5 "$SCRATCH/b.log")"
grep -q "latent widened from 32 to 48" "$SCRATCH/b.log" || fail "run b did not widen at its first stage"
"$PY" - "$SCRATCH" <<'PY'
import json, sys
root = sys.argv[1]
a = [json.loads(l) for l in open(f"{root}/a/metrics.jsonl")]
b = [json.loads(l) for l in open(f"{root}/b/metrics.jsonl")]
at_a = [r for r in a if r.get("stage") == "video" and "eval/image/l1" in r][0]
at_b = [r for r in b if "eval/image/l1" in r][0]
keys = [k for k in at_a if k.startswith("eval")]
assert at_b["step"] == 2 and at_b["stage"] == "video" and len(keys) > 20, (at_b["step"], at_b["stage"], keys)
for k in keys:
    assert at_b[k] == at_a[k], f"{k}: run b {at_b[k]} != run a {at_a[k]}"
assert [r["step"] for r in b if "loss" in r] == [3, 4, 5]
print(f"run b starts where run a stood: {len(keys)} evaluation metrics equal")
PY
set +e
"$TRAIN" --config "$cfg" "${common[@]}" --set run.name=c --set run.init_from="$SCRATCH/nope" > "$SCRATCH/c.log" 2>&1
rc_missing=$?
"$TRAIN" --config "$cfg" "${common[@]}" --set run.name=d --set run.init_from="$SCRATCH/a/checkpoints/step-000000005" \
  --set model.preset=small > "$SCRATCH/d.log" 2>&1
rc_mismatch=$?
set -e
[ $rc_missing -ne 0 ] && grep -q "nope" "$SCRATCH/c.log" || fail "a missing init_from must fail naming it: $(cat "$SCRATCH/c.log")"
[ $rc_mismatch -ne 0 ] && grep -q "run.init_from: checkpoint .* does not fit this model" "$SCRATCH/d.log" \
  || fail "a checkpoint of another model size must fail clearly: $(tail -3 "$SCRATCH/d.log")"
