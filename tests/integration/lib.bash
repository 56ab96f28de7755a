# Shared by the integration scripts: paths, a scratch folder, and a tiny fast config.
set -euo pipefail
: "${TETRA_BINARY_DIR:?run through ctest (TETRA_BINARY_DIR is set there)}"
: "${TETRA_SOURCE_DIR:?run through ctest}"
PY="${TETRA_PYTHON:-python3}"
TRAIN="$TETRA_BINARY_DIR/tetra-train"
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/tetra-it.XXXXXX")"
trap 'rm -rf "$SCRATCH"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
