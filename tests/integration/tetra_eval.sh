#!/usr/bin/env bash
# tetra-eval scores a checkpoint outside training: on the run's own held-out data it must reproduce
# the trainer's final evaluation exactly (same weights, same samples, same code path); pointed at a
# single-modality shard folder it scores just that modality; bad input gets a clear error.
source "$(dirname "$0")/lib.bash"
EVAL="$TETRA_BINARY_DIR/tetra-eval"
"$TRAIN" --config "$TETRA_SOURCE_DIR/configs/smoke_cpu.yaml" --set run.out_dir="$SCRATCH" --set model.preset=tiny \
  --set run.threads=1 --set data.heldout_samples=6 --set stages.0.steps=2 --set stages.1.steps=2 \
  --set stages.2.steps=2 --set stages.3.steps=2 > "$SCRATCH/train.log" 2>&1 || fail "training: $(tail "$SCRATCH/train.log")"
ckpt="$SCRATCH/smoke_cpu/checkpoints/step-000000008"
[ -d "$ckpt" ] || fail "no final checkpoint"
"$EVAL" --checkpoint "$ckpt" --set data.heldout_samples=6 --out "$SCRATCH/eval.jsonl" > "$SCRATCH/eval.log" 2>&1 \
  || fail "tetra-eval: $(cat "$SCRATCH/eval.log")"
grep -q "eval/3d" "$SCRATCH/eval.log" || fail "no table: $(cat "$SCRATCH/eval.log")"
"$EVAL" --checkpoint "$ckpt" --data "$SCRATCH/embedded-data/video/heldout" --set data.heldout_samples=6 \
  --out "$SCRATCH/video.jsonl" > "$SCRATCH/video.log" 2>&1 || fail "tetra-eval --data: $(cat "$SCRATCH/video.log")"
"$PY" - "$SCRATCH" <<'PY'
import json, sys
root = sys.argv[1]
trained = [json.loads(l) for l in open(f"{root}/smoke_cpu/metrics.jsonl") if '"eval/' in l][-1]
evaluated = json.loads(open(f"{root}/eval.jsonl").readline())
keys = [k for k in evaluated if k.startswith("eval/")]
assert len(keys) >= 20, keys
for k in keys:
    assert evaluated[k] == trained[k], f"{k}: tetra-eval {evaluated[k]} != trainer {trained[k]}"
video = json.loads(open(f"{root}/video.jsonl").readline())
assert sorted({k.split("/")[1] for k in video if k.startswith("eval/")}) == ["video"], video
assert video["eval/video/psnr"] == trained["eval/video/psnr"]
print(f"tetra-eval reproduces the trainer's final evaluation: {len(keys)} metrics equal")
PY
set +e
"$EVAL" --checkpoint "$SCRATCH/nope" > "$SCRATCH/bad.log" 2>&1; rc=$?
set -e
[ $rc -ne 0 ] && grep -q "nope" "$SCRATCH/bad.log" || fail "a missing checkpoint must fail naming it: $(cat "$SCRATCH/bad.log")"
