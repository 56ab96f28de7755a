#!/usr/bin/env bash
# The README's main job, as configured (configs/smoke_cpu.yaml): the whole curriculum (images ->
# videos -> 3D -> FSQ) must finish; within every stage the held-out reconstruction must improve from
# the stage's start to its end (L1 of every stage's trained modalities, PSNR of images and videos); retrieval must end above chance for every modality; the run
# directory must hold what the README promises, and TensorBoard's own reader must open its logs.
source "$(dirname "$0")/lib.bash"
cfg="$TETRA_SOURCE_DIR/configs/smoke_cpu.yaml"
start=$(date +%s)
"$TRAIN" --config "$cfg" --set run.out_dir="$SCRATCH" > "$SCRATCH/log" 2>&1 || fail "smoke run failed: $(tail -20 "$SCRATCH/log")"
echo "smoke run took $(( $(date +%s) - start )) s"
run="$SCRATCH/smoke_cpu"
for f in config.yaml metrics.jsonl frozen_networks.json; do [ -s "$run/$f" ] || fail "missing $run/$f"; done
ls "$run/checkpoints" | grep -q step- || fail "no checkpoint written"
ls "$run/tensorboard" | grep -q events.out.tfevents || fail "no TensorBoard event file"
grep -E "^step [0-9]+/[0-9]+ \| loss .* lr .* gnorm .* tok/s \| eta .* \| stage [0-9]/4 " "$SCRATCH/log" > /dev/null \
  || fail "no step log lines"
grep -q "latent widened from 32 to 48" "$SCRATCH/log" || fail "stage 2 did not widen the latent"
grep -q "discrete latent (FSQ" "$SCRATCH/log" || fail "stage 4 did not switch to FSQ"
"$PY" - "$run" <<'PY'
import json, sys
run = sys.argv[1]
evals = [r for r in map(json.loads, open(f"{run}/metrics.jsonl")) if any(k.startswith("eval/") for k in r)]
stages = []
for r in evals:
    if not stages or stages[-1] != r["stage"]:
        stages.append(r["stage"])
assert stages == ["image", "video", "3d", "fsq"], stages
for stage in stages:
    rs = [r for r in evals if r["stage"] == stage]
    first, last = rs[0], rs[-1]
    modalities = sorted({k.split("/")[1] for k in first if k.startswith("eval/")})
    for m in modalities:
        a, b = first[f"eval/{m}/psnr"], last[f"eval/{m}/psnr"]
        la, lb = first[f"eval/{m}/l1"], last[f"eval/{m}/l1"]
        print(f"stage {stage:5s} {m:5s}: PSNR {a:6.2f} -> {b:6.2f} dB, L1 {la:.4f} -> {lb:.4f} (step {first['step']} -> {last['step']})")
        if m == stage:  # the modality the stage brings in: its held-out L1 and PSNR must improve
            assert lb < 0.95 * la, f"stage {stage}: held-out {m} L1 fell only from {la} to {lb}"
            assert b > a + (1.0 if m != "3d" else 0.2), f"stage {stage}: {m} PSNR rose only from {a:.2f} to {b:.2f} dB"
    # Every stage (FSQ too: it starts from the quantised latent) must improve what it trains.
    mean = lambda r, k: sum(r[f"eval/{m}/{k}"] for m in modalities) / len(modalities)
    assert mean(last, "l1") < mean(first, "l1"), f"stage {stage}: mean held-out L1 rose"
    assert mean(last, "psnr") > mean(first, "psnr"), f"stage {stage}: mean held-out PSNR fell"
final = evals[-1]
for m in ("image", "video", "3d"):
    r1 = (final[f"eval/{m}/t2v_r1"] + final[f"eval/{m}/v2t_r1"]) / 2
    chance = final[f"eval/{m}/chance_r1"]
    print(f"final {m:5s}: retrieval R@1 {r1:.3f} (chance {chance:.3f}), R@5 t2v {final[f'eval/{m}/t2v_r5']:.3f}")
    assert r1 > 1.5 * chance, f"{m}: retrieval R@1 {r1} not above chance {chance}"
assert final["eval/image/fsq_perplexity"] > 1.0, "FSQ codebook collapsed to one code"
assert all(final[f"eval/3d/fsq_group{g}/perplexity"] > 1.0 for g in range(8)), "an FSQ group collapsed"

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
acc = EventAccumulator(f"{run}/tensorboard", size_guidance={"images": 0, "scalars": 0})
acc.Reload()
tags = acc.Tags()
for tag in ("loss", "lr", "grad_norm", "tokens_per_s", "loss/image/l1", "loss/3d/siglip", "eval/video/psnr"):
    assert tag in tags["scalars"], f"TensorBoard lacks scalar {tag}: {sorted(tags['scalars'])[:20]}"
for tag in ("reconstruction/image", "reconstruction/video", "reconstruction/3d", "views/3d"):
    assert tag in tags["images"], f"TensorBoard lacks image {tag}: {tags['images']}"
steps = [e.step for e in acc.Scalars("loss")]
import yaml
total = sum(stage["steps"] for stage in yaml.safe_load(open(f"{run}/config.yaml"))["stages"])
assert steps == sorted(steps) and steps[-1] == total, (steps[-5:], total)
print("TensorBoard reads", len(tags["scalars"]), "scalar tags and", len(tags["images"]), "image tags")
PY
