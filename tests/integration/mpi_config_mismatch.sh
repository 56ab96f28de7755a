#!/usr/bin/env bash
# Ranks that disagree fail fast with a message that says what differs, never hang: (1) different
# --set values on the two ranks (every rank stops, rank 0 names the key and both values); (2) an
# error on one rank only (a bad value there): that rank's message reaches the terminal with its rank
# and the job is aborted rather than left waiting.
source "$(dirname "$0")/mpi_lib.bash"
args=("$TRAIN" --config "$cfg" "${tiny[@]}" --set run.steps=3)

set +e
timeout 60 mpirun --oversubscribe --bind-to none -np 1 "${args[@]}" --set optim.lr=0.001 : \
  -np 1 "${args[@]}" --set optim.lr=0.002 > "$SCRATCH/mismatch.log" 2>&1
rc=$?
set -e
[ $rc -ne 124 ] || fail "mismatched configs hung for 60 s"
[ $rc -ne 0 ] || fail "mismatched configs trained anyway"
grep -q "the ranks do not hold the same config" "$SCRATCH/mismatch.log" || fail "no clear message: $(cat "$SCRATCH/mismatch.log")"
grep -q "rank 1: optim.lr = 0.002 (rank 0: 0.001)" "$SCRATCH/mismatch.log" || fail "the key is not named: $(cat "$SCRATCH/mismatch.log")"
[ "$(grep -c "the ranks do not hold the same config" "$SCRATCH/mismatch.log")" -eq 1 ] || fail "message printed more than once"
[ ! -d "$SCRATCH/run/checkpoints" ] || fail "a checkpoint was written"

set +e
timeout 60 mpirun --oversubscribe --bind-to none -np 1 "${args[@]}" : -np 1 "${args[@]}" --set optim.lr=banana \
  > "$SCRATCH/lonely.log" 2>&1
rc=$?
set -e
[ $rc -ne 124 ] || fail "an error on one rank hung the job for 60 s"
[ $rc -ne 0 ] || fail "a rank with an invalid config trained anyway"
grep -q "tetra-train: rank 1/2: invalid configuration" "$SCRATCH/lonely.log" || fail "rank 1's error did not reach the terminal: $(cat "$SCRATCH/lonely.log")"
grep -q "optim.lr" "$SCRATCH/lonely.log" || fail "the bad key is not named: $(cat "$SCRATCH/lonely.log")"
echo "mismatched ranks stop with: $(grep "rank 1: optim.lr" "$SCRATCH/mismatch.log")"
