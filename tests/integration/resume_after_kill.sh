#!/usr/bin/env bash
# Kill -9 mid-run, resume, and compare with an uninterrupted run: every logged loss after the
# checkpoint and the final weights must be bitwise identical (CPU). Then the same with the newest
# checkpoint corrupted: it must be rejected by name and the previous one used.
source "$(dirname "$0")/lib.bash"
cfg="$TETRA_SOURCE_DIR/configs/smoke_cpu.yaml"
common=(--set run.out_dir="$SCRATCH" --set data.train_path="$SCRATCH/data" --set model.preset=tiny
        --set run.steps=30 --set run.log_every=1 --set run.eval_every=0 --set run.checkpoint_every=10
        --set run.keep_checkpoints=5 --set run.threads=1 --set data.batch_size=4 --set data.heldout_samples=8
        --set data.embedded_train=64 --set data.embedded_heldout=8)

"$TRAIN" --config "$cfg" "${common[@]}" --set run.name=straight > "$SCRATCH/straight.log"

set +e
TETRA_FAULT_KILL_AFTER_STEP=25 "$TRAIN" --config "$cfg" "${common[@]}" --set run.name=killed > "$SCRATCH/killed.log" 2>&1
rc=$?
set -e
[ $rc -eq 137 ] || fail "expected the run to die by SIGKILL (exit 137), got $rc"
grep -q '"step":25' "$SCRATCH/killed/metrics.jsonl" || fail "killed run did not reach step 25"

"$TRAIN" --config "$cfg" "${common[@]}" --set run.name=killed --resume > "$SCRATCH/resumed.log" 2>&1
grep -q "resumed from .*step-000000020 at step 20" "$SCRATCH/resumed.log" || fail "did not resume from step 20: $(cat "$SCRATCH/resumed.log")"

# Same again, but the newest checkpoint (step 20) is corrupted before resuming.
set +e
TETRA_FAULT_KILL_AFTER_STEP=25 "$TRAIN" --config "$cfg" "${common[@]}" --set run.name=corrupt > /dev/null 2>&1
set -e
printf 'garbage' | dd of="$SCRATCH/corrupt/checkpoints/step-000000020/model.pt" bs=1 seek=100 conv=notrunc 2>/dev/null
"$TRAIN" --config "$cfg" "${common[@]}" --set run.name=corrupt --resume > "$SCRATCH/corrupt.log" 2>&1
grep -q "rejected checkpoint .*step-000000020.*SHA-256" "$SCRATCH/corrupt.log" || fail "corrupt checkpoint not reported: $(cat "$SCRATCH/corrupt.log")"
grep -q "resumed from .*step-000000010 at step 10" "$SCRATCH/corrupt.log" || fail "did not fall back to step 10"

# Rerunning without --resume must not touch the finished run: it goes to straight.1.
"$TRAIN" --config "$cfg" "${common[@]}" --set run.name=straight --set run.steps=2 > "$SCRATCH/again.log"
grep -q "this run writes to .*straight.1" "$SCRATCH/again.log" || fail "rerun did not move to straight.1"
[ -d "$SCRATCH/straight/checkpoints/step-000000030" ] || fail "rerun touched the finished run"

"$PY" "$(dirname "$0")/compare_runs.py" "$SCRATCH" straight 30 killed corrupt
