#!/usr/bin/env bash
# Every shipped config parses and validates (the reference recipes need data and weights to run,
# but a typo in a key must never reach a user).
source "$(dirname "$0")/lib.bash"
n=0
while IFS= read -r cfg; do
  "$TRAIN" --config "$cfg" --print-config > "$SCRATCH/out.yaml" 2> "$SCRATCH/err" || fail "$cfg: $(cat "$SCRATCH/err")"
  grep -q "^stages:" "$SCRATCH/out.yaml" || fail "$cfg: resolved config has no stages"
  n=$((n + 1))
done < <(find "$TETRA_SOURCE_DIR/configs" -name '*.yaml' | sort)
[ "$n" -ge 4 ] || fail "expected at least 4 configs, found $n"
echo "$n configs parse"
