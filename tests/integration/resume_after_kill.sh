#!/usr/bin/env bash
# Kill -9 mid-run, resume, and compare with an uninterrupted run of the whole 4-stage curriculum:
# every logged value of every step and the final weights must be bitwise identical (CPU). Kills
# land so that one resume starts exactly at a stage boundary (before the latent widening) and one
# just after it (in the widened stage). Then the newest checkpoint is corrupted: it must be rejected
# by name and the previous one used. Finally a rerun without --resume must not touch the old run.
source "$(dirname "$0")/lib.bash"
cfg="$TETRA_SOURCE_DIR/configs/smoke_cpu.yaml"
common=(--set run.out_dir="$SCRATCH" --set model.preset=tiny --set run.log_every=1 --set run.eval_every=0
        --set run.keep_checkpoints=10 --set run.threads=1 --set data.heldout_samples=4 --set run.grid_samples=0
        --set stages.0.steps=6 --set stages.1.steps=4 --set stages.2.steps=4 --set stages.3.steps=3)
total=17  # stage ends: 6 (image -> video, widening), 10, 14, 17

"$TRAIN" --config "$cfg" "${common[@]}" --set run.checkpoint_every=100 --set run.name=straight > "$SCRATCH/straight.log" 2>&1 \
  || fail "uninterrupted run: $(tail "$SCRATCH/straight.log")"

kill_and_resume() {  # name, checkpoint_every, kill after step, expected resume step
  local name=$1 every=$2 kill_at=$3 resume_at=$4 rc
  set +e
  TETRA_FAULT_KILL_AFTER_STEP=$kill_at "$TRAIN" --config "$cfg" "${common[@]}" --set run.checkpoint_every="$every" \
    --set run.name="$name" > "$SCRATCH/$name.killed.log" 2>&1
  rc=$?
  set -e
  [ $rc -eq 137 ] || fail "$name: expected death by SIGKILL (exit 137), got $rc: $(tail "$SCRATCH/$name.killed.log")"
  grep -q "\"step\":$kill_at," "$SCRATCH/$name/metrics.jsonl" || fail "$name: did not reach step $kill_at"
  [ "$name" = corrupt ] && printf 'garbage' | dd of="$SCRATCH/corrupt/checkpoints/step-000000007/model.pt" bs=1 seek=100 conv=notrunc 2>/dev/null
  "$TRAIN" --config "$cfg" "${common[@]}" --set run.checkpoint_every="$every" --set run.name="$name" --resume \
    > "$SCRATCH/$name.log" 2>&1 || fail "$name: resume failed: $(tail "$SCRATCH/$name.log")"
  grep -q "resumed from .*step-0*$resume_at at step $resume_at" "$SCRATCH/$name.log" \
    || fail "$name: did not resume from step $resume_at: $(grep -E 'resumed|rejected' "$SCRATCH/$name.log")"
}
kill_and_resume at_boundary 100 8 6     # only stage-end checkpoints: resumes at the end of stage 1
kill_and_resume after_boundary 7 9 7    # resumes one step into the widened stage
kill_and_resume corrupt 7 9 6           # step 7 corrupted: rejected, falls back to step 6
grep -q "latent widened from 32 to 48" "$SCRATCH/at_boundary.log" || fail "at_boundary: the resumed run did not widen"
grep -q "rejected checkpoint .*step-000000007.*SHA-256" "$SCRATCH/corrupt.log" || fail "corrupt checkpoint not reported"

# Rerunning without --resume must not touch the finished run: it goes to straight.1.
"$TRAIN" --config "$cfg" "${common[@]}" --set run.name=straight --set stages.0.steps=1 --set stages.1.steps=1 \
  --set stages.2.steps=1 --set stages.3.steps=1 > "$SCRATCH/again.log" 2>&1
grep -q "this run writes to .*straight.1" "$SCRATCH/again.log" || fail "rerun did not move to straight.1"
[ -d "$SCRATCH/straight/checkpoints/step-0000000$total" ] || fail "rerun touched the finished run"

"$PY" "$(dirname "$0")/compare_runs.py" "$SCRATCH" straight $total at_boundary after_boundary corrupt
