#!/usr/bin/env bash
# scripts/fetch_test_media.sh under concurrency (ctest -j runs tests that share a media set): two
# fetches of one set into an empty cache, and two more over a stale set from an older pin, must
# each leave exactly the set's files and its stamp, and both fetches must print the same folder.
# The small imageio set keeps the download cheap. Skips (77) when apt-get cannot reach the archive.
source "$(dirname "$0")/lib.bash"
FETCH="$TETRA_SOURCE_DIR/scripts/fetch_test_media.sh"
export TETRA_MEDIA_DIR="$SCRATCH/media"
sha="4467164fe9fc96f24ef2a50133ef71734294116845c3fc28ca5b102e1d6041e8"  # the imageio pin

# Starts two fetches at once and checks both outputs and the resulting set.
fetch_twice() {
  local label="$1" rc_a=0 rc_b=0
  "$FETCH" imageio > "$SCRATCH/a.out" 2> "$SCRATCH/a.err" & local pid=$!
  "$FETCH" imageio > "$SCRATCH/b.out" 2> "$SCRATCH/b.err" || rc_b=$?
  wait "$pid" || rc_a=$?
  if [ "$rc_a" -ne 0 ] && [ "$rc_b" -ne 0 ] && grep -q "apt-get download .* failed" "$SCRATCH/a.err" "$SCRATCH/b.err"; then
    echo "SKIP: apt-get download cannot reach the archive: $(cat "$SCRATCH/a.err")"; exit 77
  fi
  [ "$rc_a" -eq 0 ] || fail "$label: first fetch failed ($rc_a): $(cat "$SCRATCH/a.err")"
  [ "$rc_b" -eq 0 ] || fail "$label: second fetch failed ($rc_b): $(cat "$SCRATCH/b.err")"
  local want="$TETRA_MEDIA_DIR/imageio"
  [ "$(cat "$SCRATCH/a.out")" = "$want" ] || fail "$label: first fetch printed '$(cat "$SCRATCH/a.out")', not $want"
  [ "$(cat "$SCRATCH/b.out")" = "$want" ] || fail "$label: second fetch printed '$(cat "$SCRATCH/b.out")', not $want"
  [ "$(cat "$want/.sha256")" = "$sha" ] || fail "$label: the stamp is not the pin's SHA-256"
  local files; files="$(cd "$want" && find . -type f | LC_ALL=C sort | tr '\n' ' ')"
  [ "$files" = "./.sha256 ./cockatoo.mp4 ./realshort.mp4 " ] || fail "$label: the set holds '$files'"
  [ -s "$want/cockatoo.mp4" ] && [ -s "$want/realshort.mp4" ] || fail "$label: an empty clip"
  # No temporary folder is left behind in the cache.
  local left; left="$(find "$TETRA_MEDIA_DIR" -maxdepth 1 -name '.imageio.tmp.*')"
  [ -z "$left" ] || fail "$label: temporary folders left in the cache: $left"
  grep -c "downloading" "$SCRATCH/a.err" "$SCRATCH/b.err" | awk -F: '{n += $2} END {exit n == 1 ? 0 : 1}' \
    || fail "$label: the set was downloaded more than once: $(cat "$SCRATCH/a.err" "$SCRATCH/b.err")"
}

fetch_twice "empty cache"

# A set left by an older pin (other stamp, other files) is replaced whole.
rm -rf "$TETRA_MEDIA_DIR/imageio"
mkdir -p "$TETRA_MEDIA_DIR/imageio"
echo "0000" > "$TETRA_MEDIA_DIR/imageio/.sha256"
echo "old" > "$TETRA_MEDIA_DIR/imageio/old_clip.mp4"
fetch_twice "stale set"
echo "OK: concurrent fetches leave one complete set"
