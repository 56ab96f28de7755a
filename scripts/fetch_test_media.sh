#!/usr/bin/env bash
# Real test media from Debian packages: apt-get download + dpkg-deb -x, pinned by version and
# SHA-256, cached outside the source tree. Prints the media folder on stdout.
#   scripts/fetch_test_media.sh skimage     photos shipped with python3-skimage (PNG and JPEG)
set -euo pipefail
cache="${TETRA_MEDIA_DIR:-$HOME/.cache/tetra/media}"
log() { printf '[media] %s\n' "$*" >&2; }

# name  package  version  sha256-of-.deb  folder-inside-package
pins=(
  "skimage python3-skimage 0.19.3-8 728d88c3e3440f1f3712de0805dc834d29248ff07e1eec8c0f3da07606f752f9 usr/lib/python3/dist-packages/skimage/data"
)

fetch() {
  local want="$1" line name pkg version sha inner
  for line in "${pins[@]}"; do
    read -r name pkg version sha inner <<< "$line"
    [ "$name" = "$want" ] || continue
    local out="$cache/$name"
    if [ -f "$out/.sha256" ] && [ "$(cat "$out/.sha256")" = "$sha" ]; then echo "$out"; return; fi
    local work; work="$(mktemp -d)"
    log "downloading $pkg=$version"
    (cd "$work" && apt-get download -qq "$pkg=$version" 2>/dev/null) || {
      log "apt-get download $pkg=$version failed: run 'apt-get update' (this version may have left the archive; update the pin)"
      rm -rf "$work"; exit 1; }
    local deb; deb="$(ls "$work"/*.deb)"
    echo "$sha  $deb" | sha256sum -c --quiet - || { log "$deb does not match the pinned SHA-256"; rm -rf "$work"; exit 1; }
    dpkg-deb -x "$deb" "$work/root"
    rm -rf "$out" && mkdir -p "$out"
    find "$work/root/$inner" -maxdepth 1 -type f \( -iname '*.png' -o -iname '*.jpg' -o -iname '*.jpeg' \) \
      -exec cp {} "$out/" \;
    echo "$sha" > "$out/.sha256"  # written last: a partial extraction is never taken as done
    rm -rf "$work"
    log "$(ls "$out" | wc -l) files in $out"
    echo "$out"
    return
  done
  log "unknown media set '$want' (known: skimage)"; exit 2
}

fetch "${1:-skimage}"
