#!/usr/bin/env bash
# Distributed checkpoints. (1) Two ranks with ZeRO-1 and shuffled data; rank 1 is SIGKILLed after
# step 25 (mpirun takes rank 0 down); both restart with --resume from step 20: every later loss and
# the final weights equal an uninterrupted run bitwise. (2) A 2-rank ZeRO-1 checkpoint resumed by
# one process: optimizer state re-cut, data continuing at the same global position (data in index
# order, the one process taking both ranks' samples per step); its loss curve follows the 2-rank
# run's (fp32 tolerance; latent sampling off so that the curves are comparable).
source "$(dirname "$0")/mpi_lib.bash"
run=("${tiny[@]}" --set stages.0.steps=30 --set run.checkpoint_every=10 --set run.keep_checkpoints=5
     --set parallel.zero1=true --set data.shuffle=true)

mpi 2 "$TRAIN" "${run[@]}" --set run.name=straight > "$SCRATCH/straight.log" 2>&1 || fail "$(tail "$SCRATCH/straight.log")"
set +e
TETRA_FAULT_KILL_AFTER_STEP=25 TETRA_FAULT_KILL_RANK=1 mpi 2 -x TETRA_FAULT_KILL_AFTER_STEP -x TETRA_FAULT_KILL_RANK \
  "$TRAIN" "${run[@]}" --set run.name=killed > "$SCRATCH/killed.log" 2>&1
rc=$?
set -e
[ $rc -ne 0 ] || fail "the run with a killed rank exited 0"
[ -d "$SCRATCH/killed/checkpoints/step-000000020" ] || fail "no step-20 checkpoint before the kill"
[ ! -d "$SCRATCH/killed/checkpoints/step-000000030" ] || fail "the killed run finished anyway"
mpi 2 "$TRAIN" "${run[@]}" --set run.name=killed --resume > "$SCRATCH/resumed.log" 2>&1 || fail "$(tail "$SCRATCH/resumed.log")"
grep -q "resumed from .*step-000000020 at step 20" "$SCRATCH/resumed.log" || fail "did not resume from step 20: $(cat "$SCRATCH/resumed.log")"

# (2) 2 ranks x 2 samples to step 20, and one process x 4 samples resuming the 2-rank checkpoint of
# step 10.
flat=("${tiny[@]}" --set stages.0.steps=20 --set run.checkpoint_every=10 --set parallel.zero1=true
      --set model.sample_latent=false)
mpi 2 "$TRAIN" "${flat[@]}" --set run.name=two > "$SCRATCH/two.log" 2>&1 || fail "$(tail "$SCRATCH/two.log")"
mkdir -p "$SCRATCH/onto_one/checkpoints"
cp -r "$SCRATCH/two/checkpoints/step-000000010" "$SCRATCH/onto_one/checkpoints/"
"$TRAIN" "${flat[@]}" --set stages.0.tasks.image_rec.max_samples=4 --set run.name=onto_one --resume \
  > "$SCRATCH/onto_one.log" 2>&1 || fail "$(tail "$SCRATCH/onto_one.log")"
grep -q "resharded a 2-rank checkpoint onto 1 ranks" "$SCRATCH/onto_one.log" \
  || fail "no resharding note: $(head -5 "$SCRATCH/onto_one.log")"
grep -q "resumed from .*step-000000010 at step 10" "$SCRATCH/onto_one.log" \
  || fail "did not resume from step 10: $(head -5 "$SCRATCH/onto_one.log")"

"$PY" "$(dirname "$0")/compare_runs.py" "$SCRATCH" straight 30 killed

"$PY" - "$SCRATCH" "$(dirname "$0")" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[2])
from compare_runs import records
root = sys.argv[1]
state = json.load(open(f"{root}/killed/checkpoints/step-000000030/state.json"))
assert len(set(state["replica_sha256"])) == 1 and state["zero1"], state

# The one process went on from global position 40 of epoch 0 (2 ranks x 2 samples x 10 steps) and
# took 4 a step: its step-20 cursor has the epoch re-striped from 40, and 40 samples emitted since.
state = json.load(open(f"{root}/onto_one/checkpoints/step-000000020/state.json"))
assert state["world_size"] == 1, state
cursor = dict(kv.split("=", 1) for kv in state["data_cursors"][0]["image_rec"].split())
assert (cursor["epoch"], cursor["start"], cursor["world"], cursor["emitted"]) == ("0", "40", "1", "40"), cursor

two, one = records(root, "two"), records(root, "onto_one")
assert sorted(one) == list(range(11, 21)), sorted(one)
worst = max(abs(one[s][0][k] - two[s][0][k]) / abs(two[s][0][k]) for s in range(11, 21)
            for k in ("loss", "loss/image/l1", "loss/image/kl"))
print(f"2-rank checkpoint resumed on 1 rank: steps 11-20 within {worst:.1e} of the 2-rank run")
assert worst < 1e-3, worst
PY
