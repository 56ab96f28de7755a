#!/usr/bin/env bash
# Real test media from Debian packages: apt-get download + dpkg-deb -x, pinned by version and
# SHA-256, cached outside the source tree. Prints the media folder on stdout.
#   scripts/fetch_test_media.sh skimage   photos shipped with python3-skimage (PNG and JPEG)
#   scripts/fetch_test_media.sh imageio   the clips cockatoo.mp4 and realshort.mp4 (python3-imageio)
#   scripts/fetch_test_media.sh glmark2   bunny.obj, horse.3ds and cat.3ds (glmark2-data)
#   scripts/fetch_test_media.sh tuxpaint  the animal stamps of tuxpaint-stamps-default (PNG) and
#                                         captions.csv (path,caption: each stamp's English text)
set -euo pipefail
cache="${TETRA_MEDIA_DIR:-$HOME/.cache/tetra/media}"
log() { printf '[media] %s\n' "$*" >&2; }

# name  package  version  sha256-of-.deb  folder-inside-package
pins=(
  "skimage python3-skimage 0.19.3-8 728d88c3e3440f1f3712de0805dc834d29248ff07e1eec8c0f3da07606f752f9 usr/lib/python3/dist-packages/skimage/data"
  "imageio python3-imageio 2.4.1-5 4467164fe9fc96f24ef2a50133ef71734294116845c3fc28ca5b102e1d6041e8 usr/lib/python3/dist-packages/imageio/resources/images"
  "glmark2 glmark2-data 2023.01+dfsg-1 14a62322c6131ac9d846f428f06056a1de85caded38c77cb497b73e9ec316bd9 usr/share/glmark2/models"
  "tuxpaint tuxpaint-stamps-default 2022.06.04-1 6db6c1bfc870a47f1499d6203b083522eacb57c5f9c87d468f2e92eb6d9d5f34 usr/share/tuxpaint/stamps"
)

# select_<name> SRC OUT: copies the files a media set keeps from the extracted package folder.
select_skimage() {
  find "$1" -maxdepth 1 -type f \( -iname '*.png' -o -iname '*.jpg' -o -iname '*.jpeg' \) -exec cp {} "$2/" \;
}
select_imageio() { cp "$1/cockatoo.mp4" "$1/realshort.mp4" "$2/"; }
select_glmark2() { cp "$1/bunny.obj" "$1/horse.3ds" "$1/cat.3ds" "$2/"; }
# Each stamp's caption is the first line of its .txt (English); stamps without one are kept
# uncaptioned. CSV quoting doubles embedded quotes.
select_tuxpaint() {
  local src="$1/animals" out="$2" png rel txt caption
  mkdir -p "$out/stamps"
  printf 'path,caption\n' > "$out/captions.csv"
  while IFS= read -r png; do
    rel="${png#"$src"/}"
    mkdir -p "$out/stamps/$(dirname "$rel")"
    cp "$png" "$out/stamps/$rel"
    txt="${png%.png}.txt"
    [ -f "$txt" ] || continue
    caption="$(head -n 1 "$txt" | tr -d '\r')"
    printf '%s,"%s"\n' "$rel" "${caption//\"/\"\"}" >> "$out/captions.csv"
  done < <(find "$src" -type f -name '*.png' | LC_ALL=C sort)
}

# Safe when several processes fetch one set at once (ctest -j runs tests that share a set): one
# lock per set, a re-check of the stamp once it is held, and download + extraction in a temporary
# folder inside the cache that one rename moves into place, so no reader ever sees a partial set.
fetch() {
  local want="$1" line name pkg version sha inner
  for line in "${pins[@]}"; do
    read -r name pkg version sha inner <<< "$line"
    [ "$name" = "$want" ] || continue
    local out="$cache/$name"
    if is_done "$out" "$sha"; then echo "$out"; return; fi
    mkdir -p "$cache"
    local lock_fd
    exec {lock_fd}> "$cache/.$name.lock"
    flock "$lock_fd"
    # Another process may have finished the set while this one waited for the lock.
    if is_done "$out" "$sha"; then echo "$out"; return; fi
    work="$(mktemp -d "$cache/.$name.tmp.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    log "downloading $pkg=$version"
    (cd "$work" && apt-get download -qq "$pkg=$version" 2>/dev/null) || {
      log "apt-get download $pkg=$version failed: run 'apt-get update' (this version may have left the archive; update the pin)"
      exit 1; }
    local deb; deb="$(ls "$work"/*.deb)"
    echo "$sha  $deb" | sha256sum -c --quiet - || { log "$deb does not match the pinned SHA-256"; exit 1; }
    dpkg-deb -x "$deb" "$work/root"
    mkdir "$work/set"
    "select_$name" "$work/root/$inner" "$work/set"
    echo "$sha" > "$work/set/.sha256"
    # An older set (another pin) moves aside first: rename only replaces an empty folder.
    [ ! -e "$out" ] || mv -T "$out" "$work/old"
    mv -T "$work/set" "$out"
    log "$(find "$out" -type f ! -name .sha256 | wc -l) files in $out"
    echo "$out"
    return
  done
  log "unknown media set '$want' (known: skimage imageio glmark2 tuxpaint)"; exit 2
}
is_done() { [ -f "$1/.sha256" ] && [ "$(cat "$1/.sha256")" = "$2" ]; }

fetch "${1:-skimage}"
