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

"$TRAIN" --config "$TETRA_SOURCE_DIR/configs/smoke_cpu.yaml" --set run.out_dir="$SCRATCH" --set run.name=photos \
  --set data.source=shards --set data.train_path="$SCRATCH/shards" --set data.heldout_path="$SCRATCH/shards" \
  --set data.max_side=96 --set data.batch_size=8 --set run.steps=60 --set run.eval_every=60 \
  --set run.checkpoint_every=0 --set optim.warmup_steps=10 --set loss.image.lpips=0 --set loss.image.gram=0 > "$SCRATCH/train.log" 2>&1 || fail "training failed: $(tail "$SCRATCH/train.log")"
"$PY" - "$SCRATCH/photos/metrics.jsonl" <<'PY'
import json, sys
evals = [json.loads(l)["eval/heldout_l1"] for l in open(sys.argv[1]) if "eval/" in l]
print(f"held-out L1 on real photos: {evals[0]:.4f} -> {evals[-1]:.4f}")
assert evals[-1] < 0.6 * evals[0], evals
PY
