#!/usr/bin/env bash
# Real media through every packer and the loader, from the CLI: python3-imageio's clips, glmark2's
# bunny (plus two 3DS models) and tuxpaint's stamps, fetched from Debian and pinned by SHA-256.
# Bad inputs next to them must be reported, never abort a pack; h5py reads every shard back; a
# loader resumed from a printed cursor continues with exactly the batches an uninterrupted run gets.
source "$(dirname "$0")/lib.bash"
DATA="$TETRA_BINARY_DIR/tetra-data"
fetch() { "$TETRA_SOURCE_DIR/scripts/fetch_test_media.sh" "$1" || { echo "SKIP: cannot fetch $1 media (no apt?)"; exit 77; }; }
clips="$(fetch imageio)"; models="$(fetch glmark2)"; stamps="$(fetch tuxpaint)"

# --- videos ------------------------------------------------------------------------------------
mkdir -p "$SCRATCH/videos"
cp "$clips"/*.mp4 "$SCRATCH/videos/"
head -c 200000 "$clips/cockatoo.mp4" > "$SCRATCH/videos/cut.mp4"   # truncated download
: > "$SCRATCH/videos/empty.avi"
"$DATA" pack videos --in "$SCRATCH/videos" --out "$SCRATCH/v" --fps 8 --max-side 512 > "$SCRATCH/v.log"
grep -q "packed 2 videos into 1 shards, 2 skipped" "$SCRATCH/v.log" || fail "videos: $(cat "$SCRATCH/v.log")"
grep -q "^cut.mp4: " "$SCRATCH/v/pack_report.txt" || fail "the truncated clip is not reported"
grep -q "^empty.avi: " "$SCRATCH/v/pack_report.txt" || fail "the empty clip is not reported"

"$DATA" stream videos --in "$SCRATCH/v" --batches 5 --max-tokens 3000 --max-side 256 --seed 3 > "$SCRATCH/full.txt"
cursor="$(sed -n '2p' "$SCRATCH/full.txt" | sed 's/.*| next //')"
"$DATA" stream videos --in "$SCRATCH/v" --batches 3 --max-tokens 3000 --max-side 256 --seed 3 \
  --cursor "$cursor" > "$SCRATCH/resumed.txt"
diff <(sed -n '3,5p' "$SCRATCH/full.txt" | sed 's/^batch [0-9]*//') \
     <(sed -n '1,3p' "$SCRATCH/resumed.txt" | sed 's/^batch [0-9]*//') \
  || fail "a resumed loader does not continue with the same batches"
grep -q "grid 4x" "$SCRATCH/full.txt" || fail "no 16-frame window (4 latent steps) in $(cat "$SCRATCH/full.txt")"

# --- meshes ------------------------------------------------------------------------------------
mkdir -p "$SCRATCH/models"
cp "$models"/* "$SCRATCH/models/"
: > "$SCRATCH/models/empty.obj"
"$DATA" pack meshes --in "$SCRATCH/models" --out "$SCRATCH/m" > "$SCRATCH/m.log"
grep -q "packed 3 meshes into 1 shards, 1 skipped" "$SCRATCH/m.log" || fail "meshes: $(cat "$SCRATCH/m.log")"
"$DATA" stream meshes --in "$SCRATCH/m" --batches 2 --max-tokens 20000 > "$SCRATCH/ms.txt" || fail "mesh loader"

# --- images --------------------------------------------------------------------------------------
"$DATA" pack images --in "$stamps/stamps" --out "$SCRATCH/i" --shard-size 64 > "$SCRATCH/i.log"
grep -q "packed 146 images into 3 shards, 0 skipped" "$SCRATCH/i.log" || fail "stamps: $(cat "$SCRATCH/i.log")"
"$DATA" pack captions --manifest "$stamps/captions.csv" --shards "$SCRATCH/i" > "$SCRATCH/c.log"
grep -q "captioned 146 of 146 samples in 3 shards, 0 manifest paths unmatched" "$SCRATCH/c.log" \
  || fail "captions: $(cat "$SCRATCH/c.log")"

"$PY" - "$SCRATCH" "$clips" "$stamps" <<'PY'
import csv, glob, sys
import h5py, numpy as np
scratch, clips, stamps = sys.argv[1:4]
with h5py.File(f"{scratch}/v/shard-00000.h5", "r") as f:
    v = f["videos"]
    ids = list(v["source_id"].asstr()[:])
    assert ids == ["cockatoo.mp4", "realshort.mp4"], ids
    frames = np.diff(v["first_frame"][:])
    assert list(frames) == [112, 10], frames  # 14 s and 1.2 s at 8 fps
    assert list(v["source_fps"][:].round(2)) == [20.0, 30.02], v["source_fps"][:]
    assert (v["height"][0], v["width"][0]) == (288, 512), "cockatoo 720p scaled to --max-side 512"
with h5py.File(f"{scratch}/m/shard-00000.h5", "r") as f:
    m = f["meshes"]
    ids = list(m["source_id"].asstr()[:])
    assert ids == ["bunny.obj", "cat.3ds", "horse.3ds"], ids
    counts = np.diff(m["voxel_offsets"][:])
    assert counts[0] > 5000, counts
    feats = m["features"][: counts[0]]
    assert feats.dtype == np.float16 and feats.shape[1] == 768
    assert 0.0 <= feats.min() and feats.max() <= 1.0 and feats.max() > 0.5
    assert m["view_rgb"].shape[1:] == (256, 256, 3) and np.diff(m["view_offsets"][:])[0] == 16
    assert m["coords"][: counts[0]].max() < 64
captions = {row["path"]: row["caption"] for row in csv.DictReader(open(f"{stamps}/captions.csv"))}
seen = 0
for path in sorted(glob.glob(f"{scratch}/i/*.h5")):
    with h5py.File(path, "r") as f:
        for sid, cap in zip(f["images/source_id"].asstr()[:], f["text/caption"].asstr()[:]):
            assert cap == captions[sid], (sid, cap)
            seen += 1
assert seen == 146, seen
print(f"h5py: 2 clips, 3 meshes ({counts[0]} bunny voxels), {seen} captioned stamps as packed")
PY
echo "pack_media: videos, meshes, images and captions packed, read back and streamed"
