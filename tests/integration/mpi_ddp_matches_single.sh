#!/usr/bin/env bash
# Data parallelism changes nothing but speed: two ranks that each take k samples per micro-batch
# follow the loss curve of one process taking 2k (same data, same seed; fp32 tolerance), with and
# without ZeRO-1, with reduction during or after backward, and with a cycle of two micro-batches
# (image_rec + video_rec: gradient accumulation across tasks, only the last backward reduces), and
# with an understanding task whose SigLIP and distillation losses must see every rank's texts (one process
# holds the whole global batch); after training the replicas' weights are bitwise equal.
# Latent sampling is off: each rank draws its own noise, which no one-process run can reproduce.
source "$(dirname "$0")/mpi_lib.bash"
run=("${tiny[@]}" --set model.sample_latent=false)
# Per-rank micro-batch: 4 samples per task for one process, 2 for each of two ranks.
four=(--set stages.0.tasks.image_rec.max_samples=4 --set stages.0.tasks.video_rec.max_samples=4
      --set stages.0.tasks.image_und.max_samples=4)
two_each=(--set stages.0.tasks.image_rec.max_samples=2 --set stages.0.tasks.video_rec.max_samples=2
          --set stages.0.tasks.image_und.max_samples=2)
mix=(--set stages.0.tasks.video_rec.share=1 --set stages.0.tasks.video_rec.max_tokens=4096)
und=(--set stages.0.tasks.image_und.share=1 --set stages.0.tasks.image_und.max_tokens=4096 --set model.embed_dim=64
     --set loss.sem_weight=1 --set loss.image.siglip=1 --set loss.siglip_logit_bias=-2 --set loss.image.distill=1
     --set loss.teacher.source=random --set loss.teacher.embed_dim=64 --set loss.teacher.resolution=32)

one() {  # name, extra --set arguments
  local name=$1; shift
  "$TRAIN" "${run[@]}" "${four[@]}" --set run.name="$name" "$@" > "$SCRATCH/$name.log" 2>&1 \
    || fail "$name: $(tail -20 "$SCRATCH/$name.log")"
}
two() {
  local name=$1; shift
  mpi 2 "$TRAIN" "${run[@]}" "${two_each[@]}" --set run.name="$name" "$@" > "$SCRATCH/$name.log" 2>&1 \
    || fail "$name: $(tail -20 "$SCRATCH/$name.log")"
}
one one
one one_mix "${mix[@]}"
one one_und "${und[@]}"
two two
two two_zero --set parallel.zero1=true
two two_after_backward --set parallel.overlap=false --set parallel.bucket_mb=25
two two_zero_mix --set parallel.zero1=true "${mix[@]}"
two two_und "${und[@]}"
grep -q "2 data-parallel ranks (mpirun, mpi), ZeRO-1" "$SCRATCH/two_zero_mix.log" \
  || fail "the run did not say how it was parallelised: $(head -3 "$SCRATCH/two_zero_mix.log")"
grep -q "cycle of 2 micro-batches (1x image_rec, 1x video_rec)" "$SCRATCH/two_zero_mix.log" \
  || fail "the run did not say its task cycle: $(head -5 "$SCRATCH/two_zero_mix.log")"

"$PY" - "$SCRATCH" <<'PY'
import json, sys
root = sys.argv[1]
def steps(run):
    return {r["step"]: r for r in map(json.loads, open(f"{root}/{run}/metrics.jsonl")) if "loss" in r}
for ref_name, runs in (("one", ("two", "two_zero", "two_after_backward")), ("one_mix", ("two_zero_mix",)),
                       ("one_und", ("two_und",))):
    ref = steps(ref_name)
    assert sorted(ref) == list(range(1, 13)), sorted(ref)
    keys = [k for k in ref[1] if k == "loss" or k.startswith("loss/")]
    if ref_name == "one_mix":
        assert "loss/video/l1" in keys, keys
    if ref_name == "one_und":
        assert "loss/image/siglip" in keys and "loss/image/distill" in keys, keys
    for run in runs:
        got = steps(run)
        assert sorted(got) == sorted(ref), f"{run}: steps {sorted(got)}"
        worst = max(abs(got[s][k] - ref[s][k]) / abs(ref[s][k]) for s in ref for k in keys)
        print(f"{run:20s} max relative difference of {', '.join(keys)} to {ref_name}: {worst:.2e}")
        assert worst < 1e-3, f"{run} drifts from the one-process run: {worst}"
        state = json.load(open(f"{root}/{run}/checkpoints/step-000000012/state.json"))
        digests = state["replica_sha256"]
        assert state["world_size"] == 2 and len(digests) == 2, state
        assert digests[0] == digests[1], f"{run}: replicas differ after 12 steps: {digests}"
print("2 ranks x k == 1 rank x 2k: plain, ZeRO-1, reduction after backward, a 2-task cycle, SigLIP and "
      "distillation over the global batch; replicas bitwise equal")
PY
