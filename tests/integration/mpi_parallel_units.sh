#!/usr/bin/env bash
# The parallel unit tests (tests/parallel) as two MPI ranks: communicator ops, process mesh groups,
# gradient equality with one process (uneven ranks, accumulation, unused parameters, an empty
# rank), overlap order, ZeRO-1, bitwise-equal replicas, the cross-rank config check.
source "$(dirname "$0")/mpi_lib.bash"
tests="$TETRA_BINARY_DIR/tests/test_parallel"
[ -x "$tests" ] || fail "missing $tests (build the test_parallel target)"
set +e
OMP_NUM_THREADS=1 mpi 2 --output-filename "$SCRATCH/out" "$tests" --gtest_color=no > "$SCRATCH/mpirun.log" 2>&1
rc=$?
set -e
for rank in 0 1; do
  log=$(ls "$SCRATCH"/out/*/rank.$rank/stdout 2> /dev/null || true)
  [ -n "$log" ] || fail "rank $rank wrote no output (mpirun exit $rc): $(cat "$SCRATCH/mpirun.log")"
  grep -q "^\[  PASSED  \]" "$log" || fail "rank $rank: $(grep -E 'FAILED|Failure' -A8 "$log" | head -60)"
  grep -q "FAILED" "$log" && fail "rank $rank: $(grep -E 'FAILED|Failure' -A8 "$log" | head -60)"
  echo "rank $rank: $(grep '^\[  PASSED  \]' "$log")"
done
[ $rc -eq 0 ] || fail "mpirun exited with $rc: $(tail -20 "$SCRATCH/mpirun.log")"
