#!/usr/bin/env bash
# Ranks that disagree fail fast with a message that says what differs, never hang: (1) different
# --set values on the two ranks, top-level or in a stage (every rank stops, rank 0 names the key and
# both values); (2) an error on one rank only (a bad value there): that rank's message reaches the
# terminal with its rank and the job is aborted rather than left waiting.
source "$(dirname "$0")/mpi_lib.bash"
args=("$TRAIN" "${tiny[@]}" --set stages.0.steps=3)

# must_fail NAME rank0-extra-args -- rank1-extra-args: two ranks that must stop within 60 s, not exit 0.
must_fail() {
  local name=$1 rc; shift
  local first=() second=()
  while [ "$1" != -- ]; do first+=("$1"); shift; done
  shift
  second=("$@")
  set +e
  timeout 60 mpirun --oversubscribe --bind-to none -np 1 "${args[@]}" "${first[@]}" : -np 1 "${args[@]}" "${second[@]}" \
    > "$SCRATCH/$name.log" 2>&1
  rc=$?
  set -e
  [ $rc -ne 124 ] || fail "$name: the job hung for 60 s"
  [ $rc -ne 0 ] || fail "$name: the job trained anyway"
}

must_fail mismatch --set optim.lr=0.001 -- --set optim.lr=0.002
grep -q "the ranks do not hold the same config" "$SCRATCH/mismatch.log" || fail "no clear message: $(cat "$SCRATCH/mismatch.log")"
grep -q "rank 1: optim.lr = 0.002 (rank 0: 0.001)" "$SCRATCH/mismatch.log" || fail "the key is not named: $(cat "$SCRATCH/mismatch.log")"
[ "$(grep -c "the ranks do not hold the same config" "$SCRATCH/mismatch.log")" -eq 1 ] || fail "message printed more than once"
[ ! -d "$SCRATCH/tiny/checkpoints" ] || fail "a checkpoint was written"

# A key of a stage: named by its list index.
must_fail stage_mismatch -- --set stages.0.tasks.image_rec.max_samples=3
grep -q "rank 1: stages.0.tasks.image_rec.max_samples = 3 (rank 0: 2)" "$SCRATCH/stage_mismatch.log" \
  || fail "the stage key is not named: $(cat "$SCRATCH/stage_mismatch.log")"

must_fail lonely -- --set optim.lr=banana
grep -q "tetra-train: rank 1/2: invalid configuration" "$SCRATCH/lonely.log" || fail "rank 1's error did not reach the terminal: $(cat "$SCRATCH/lonely.log")"
grep -q "optim.lr" "$SCRATCH/lonely.log" || fail "the bad key is not named: $(cat "$SCRATCH/lonely.log")"
echo "mismatched ranks stop with: $(grep "rank 1: optim.lr" "$SCRATCH/mismatch.log")"
