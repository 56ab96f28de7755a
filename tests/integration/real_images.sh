#!/usr/bin/env bash
# Real photos end to end: python3-skimage's images (fetched from Debian, pinned by SHA-256) are
# packed with tetra-data (its truncated.jpg must be reported and skipped, not abort the pack),
# read back with h5py, and trained on from the shards until the held-out L1 drops.
source "$(dirname "$0")/lib.bash"
media="$("$TETRA_SOURCE_DIR/scripts/fetch_test_media.sh" skimage)" || { echo "SKIP: cannot fetch python3-skimage media (no apt?)"; exit 77; }
"$TETRA_BINARY_DIR/tetra-data" pack images --in "$media" --out "$SCRATCH/shards" --shard-size 8 > "$SCRATCH/pack.log"
grep -q "packed 33 images into 5 shards, 1 skipped" "$SCRATCH/pack.log" || fail "unexpected pack result: $(cat "$SCRATCH/pack.log")"
grep -q "^truncated.jpg: .*Premature end of JPEG" "$SCRATCH/shards/pack_report.txt" || fail "truncated.jpg not reported"

"$PY" - "$SCRATCH/shards" "$media" <<'PY'
import glob, hashlib, os, sys
import h5py
shards, media = sys.argv[1], sys.argv[2]
seen = 0
for path in sorted(glob.glob(f"{shards}/*.h5")):
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] in (b"tetra-shard", "tetra-shard"), f.attrs["format"]
        offsets, data = f["images/offsets"][:], f["images/data"]
        for i, sid in enumerate(f["images/source_id"][:]):
            sid = sid.decode() if isinstance(sid, bytes) else sid
            stored = data[offsets[i]:offsets[i + 1]].tobytes()
            original = open(os.path.join(media, sid), "rb").read()
            assert stored == original, f"{path}[{i}] ({sid}) differs from the original file"
            seen += 1
assert seen == 33, seen
print(f"h5py read {seen} samples, each byte-identical to its source file")
PY

# One image-reconstruction stage of the small model on the shards, 8 photos a step at up to 96 px,
# L1 + KL only; held out: the same shards (evaluated at the stage's start and end).
cat > "$SCRATCH/photos.yaml" <<YAML
run: {name: photos, out_dir: "$SCRATCH", log_every: 10, eval_every: 0, checkpoint_every: 0, tensorboard: false}
model: {preset: small}
data:
  source: shards
  image: {train: "$SCRATCH/shards", heldout: "$SCRATCH/shards"}
optim: {lr: 1.0e-3, min_lr: 1.0e-4, warmup_steps: 10, encoder_lr_multiplier: 1.0, ema_decay: 0.99}
loss:
  rec_weight: "1"
  kl_weight: "1e-6"
  image: {l1: "1", lpips: "0", gram: "0", clip: "0", distill: "0", siglip: "0"}
stages:
  - name: photos
    steps: 60
    image_min_side: 48
    image_max_side: 96
    tasks:
      image_rec: {share: 1, max_tokens: 4096, max_samples: 8}
YAML
"$TRAIN" --config "$SCRATCH/photos.yaml" > "$SCRATCH/train.log" 2>&1 || fail "training failed: $(tail "$SCRATCH/train.log")"
"$PY" - "$SCRATCH/photos/metrics.jsonl" <<'PY'
import json, sys
evals = [(r["step"], r["eval/image/l1"]) for r in map(json.loads, open(sys.argv[1])) if "eval/image/l1" in r]
assert [step for step, _ in evals] == [0, 60], evals
(_, first), (_, last) = evals
print(f"held-out L1 on real photos: {first:.4f} -> {last:.4f}")
assert last < 0.6 * first, evals
PY
