#!/usr/bin/env bash
# The whole curriculum on real media packed from the CLI (configs/debug_1gpu.yaml on the CPU, tiny
# model, a few steps per stage): tuxpaint's captioned stamps, imageio's clips and glmark2's models,
# each captioned and embedded (hashed encoder), reach the trainer through the multi-modal loader;
# every stage runs and evaluates every modality it trains.
source "$(dirname "$0")/lib.bash"
DATA="$TETRA_BINARY_DIR/tetra-data"
fetch() { "$TETRA_SOURCE_DIR/scripts/fetch_test_media.sh" "$1" || { echo "SKIP: cannot fetch $1 media (no apt?)"; exit 77; }; }
clips="$(fetch imageio)"; models="$(fetch glmark2)"; stamps="$(fetch tuxpaint)"
cd "$SCRATCH"
pack() { "$DATA" pack "$@" > "$SCRATCH/pack.log" 2>&1 || fail "tetra-data pack $*: $(cat "$SCRATCH/pack.log")"; }
pack images --in "$stamps/stamps" --out data/image/train --shard-size 64
pack captions --manifest "$stamps/captions.csv" --shards data/image/train --encoder hashed:64
pack videos --in "$clips" --out data/video/train --fps 8 --max-side 256
printf 'path,caption\ncockatoo.mp4,a white cockatoo on a perch\nrealshort.mp4,a short clip\n' > videos.csv
pack captions --manifest videos.csv --shards data/video/train --encoder hashed:64
pack meshes --in "$models" --out data/3d/train --views 8 --resolution 128
printf 'path,caption\nbunny.obj,a bunny\ncat.3ds,a cat\nhorse.3ds,a horse\n' > meshes.csv
pack captions --manifest meshes.csv --shards data/3d/train --encoder hashed:64

# A folder that only stage 2 reads is checked before stage 1 trains a single step.
set +e
heldout=(--set data.image.heldout=data/image/train --set data.video.heldout=data/video/train
         --set data.3d.heldout=data/3d/train)
"$TRAIN" --config "$TETRA_SOURCE_DIR/configs/debug_1gpu.yaml" --set run.device=cpu --set run.out_dir="$SCRATCH/bad" \
  "${heldout[@]}" --set data.video.train="$SCRATCH/no-videos" > bad.log 2>&1
rc=$?
set -e
[ $rc -ne 0 ] && grep -q "stages.1.tasks.video_rec reads data.video.train: .*no-videos" bad.log \
  || fail "a missing stage-2 folder must stop the run at start: $(cat bad.log)"
[ ! -s "$SCRATCH/bad/debug_1gpu/metrics.jsonl" ] || fail "the run trained before finding the missing folder"

"$TRAIN" --config "$TETRA_SOURCE_DIR/configs/debug_1gpu.yaml" --set run.device=cpu --set model.preset=tiny \
  --set model.embed_dim=64 --set run.out_dir="$SCRATCH/runs" --set run.threads=2 --set run.log_every=1 \
  --set data.image.heldout=data/image/train --set data.video.heldout=data/video/train \
  --set data.3d.heldout=data/3d/train --set data.heldout_samples=3 \
  --set stages.0.steps=3 --set stages.1.steps=2 --set stages.2.steps=2 --set stages.3.steps=2 \
  --set stages.2.tasks.3d_rec.max_tokens=8192 --set stages.2.tasks.3d_und.max_tokens=8192 \
  --set stages.3.tasks.3d_rec.max_tokens=8192 > train.log 2>&1 || fail "training: $(tail -20 train.log)"
"$PY" - "$SCRATCH/runs/debug_1gpu" <<'PY'
import json, sys
run = sys.argv[1]
records = [json.loads(l) for l in open(f"{run}/metrics.jsonl")]
steps = [r for r in records if "loss" in r]
assert [r["step"] for r in steps] == list(range(1, 10)), [r["step"] for r in steps]
assert [r["stage"] for r in steps] == ["image"] * 3 + ["video"] * 2 + ["3d"] * 2 + ["fsq"] * 2
for key in ("loss/image/siglip", "loss/video/siglip", "loss/3d/siglip", "loss/3d/l1", "loss/video/l1"):
    assert any(key in r for r in steps), f"no step logged {key}"
final = [r for r in records if "eval/3d/psnr" in r][-1]
for m in ("image", "video", "3d"):
    for k in ("l1", "psnr", "t2v_r1", "siglip", "fsq_perplexity"):
        assert f"eval/{m}/{k}" in final, f"final evaluation lacks eval/{m}/{k}"
print("real media through all four stages: images, videos and meshes trained and evaluated")
PY
