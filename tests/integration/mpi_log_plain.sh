#!/usr/bin/env bash
# Under mpirun every rank's stdout is a pseudo-terminal, even when the job's output goes to a file:
# with run.progress=auto the log must still be plain lines, without the status line's carriage
# returns and escape sequences.
source "$(dirname "$0")/mpi_lib.bash"
mpi 2 "$TRAIN" "${tiny[@]}" --set run.progress=auto --set stages.0.steps=3 > "$SCRATCH/auto.log" 2>&1 \
  || fail "run: $(tail -20 "$SCRATCH/auto.log")"
grep -q "^step 3/3" "$SCRATCH/auto.log" || fail "no plain step line: $(cat "$SCRATCH/auto.log")"
if grep -q $'\r' "$SCRATCH/auto.log" || grep -q $'\e' "$SCRATCH/auto.log"; then
  fail "the log holds in-place redraws: $(cat -A "$SCRATCH/auto.log" | head -20)"
fi
echo "ok: plain log under mpirun with run.progress=auto"
