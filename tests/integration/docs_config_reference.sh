#!/usr/bin/env bash
# docs/configuration.md must list every config key exactly as the binary describes it.
source "$(dirname "$0")/lib.bash"
"$TRAIN" --config-reference > "$SCRATCH/reference.md"
missing=0
while IFS= read -r row; do
  grep -qxF -- "$row" "$TETRA_SOURCE_DIR/docs/configuration.md" || { echo "stale or missing in docs/configuration.md: $row"; missing=1; }
done < "$SCRATCH/reference.md"
[ $missing -eq 0 ] || fail "regenerate the table with: build/tetra-train --config-reference"
echo "docs/configuration.md lists all $(grep -c '^| `' "$SCRATCH/reference.md") keys"
