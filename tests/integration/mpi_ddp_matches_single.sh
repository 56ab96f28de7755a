#!/usr/bin/env bash
# Data parallelism changes nothing but speed: two ranks with per-rank batch B follow the loss curve
# of one process with batch 2B (same data, same seed; fp32 tolerance), with and without gradient
# accumulation, with and without ZeRO-1; and after training the replicas' weights are bitwise equal.
# Latent sampling is off: each rank draws its own noise, which no one-process run can reproduce.
source "$(dirname "$0")/mpi_lib.bash"
run=(--config "$cfg" "${tiny[@]}" --set run.steps=12 --set run.checkpoint_every=0 --set model.sample_latent=false)

"$TRAIN" "${run[@]}" --set run.name=one > "$SCRATCH/one.log" 2>&1 || fail "1 rank: $(tail "$SCRATCH/one.log")"
"$TRAIN" "${run[@]}" --set run.name=one_accum --set data.micro_batch_size=2 > "$SCRATCH/one_accum.log" 2>&1 \
  || fail "1 rank, accumulation: $(tail "$SCRATCH/one_accum.log")"
two() {  # name, extra --set arguments
  local name=$1; shift
  mpi 2 "$TRAIN" "${run[@]}" --set run.name="$name" "$@" > "$SCRATCH/$name.log" 2>&1 || fail "$name: $(tail -20 "$SCRATCH/$name.log")"
}
two two
two two_accum --set data.micro_batch_size=1
two two_zero --set parallel.zero1=true
two two_zero_accum --set parallel.zero1=true --set data.micro_batch_size=1
grep -q "2 data-parallel ranks (mpirun, mpi), ZeRO-1 | 2 micro-batches of 1" "$SCRATCH/two_zero_accum.log" \
  || fail "the run did not say how it was parallelised: $(head -3 "$SCRATCH/two_zero_accum.log")"

"$PY" - "$SCRATCH" <<'PY'
import json, sys
root = sys.argv[1]
def losses(run):
    return {r["step"]: r["loss"] for r in map(json.loads, open(f"{root}/{run}/metrics.jsonl")) if "loss" in r}
ref = losses("one")
assert sorted(ref) == list(range(1, 13)), sorted(ref)
for run in ("one_accum", "two", "two_accum", "two_zero", "two_zero_accum"):
    got = losses(run)
    assert sorted(got) == sorted(ref), f"{run}: steps {sorted(got)}"
    worst = max(abs(got[s] - ref[s]) / abs(ref[s]) for s in ref)
    print(f"{run:15s} max relative loss difference to one process: {worst:.2e}")
    assert worst < 1e-3, f"{run} drifts from the one-process run: {worst}"
    if run.startswith("two"):
        state = json.load(open(f"{root}/{run}/checkpoints/step-000000012/state.json"))
        digests = state["replica_sha256"]
        assert state["world_size"] == 2 and len(digests) == 2, state
        assert digests[0] == digests[1], f"{run}: replicas differ after 12 steps: {digests}"
print("2 ranks x B == 1 rank x 2B, with/without accumulation and ZeRO-1; replicas bitwise equal")
PY
