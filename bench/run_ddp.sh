#!/usr/bin/env bash
# The data-parallel benchmark of docs/benchmarks.md: bench_ddp as 2 MPI ranks, then as 1 process.
#   bench/run_ddp.sh [BUILD_DIR] [--steps N] [--images N]       (BUILD_DIR default: build)
set -euo pipefail
build="${1:-build}"
shift || true
bench="$build/bench/bench_ddp"
[ -x "$bench" ] || { echo "build $bench first (cmake --build $build --target bench_ddp)" >&2; exit 2; }
source "$(dirname "$0")/../launch/env.sh"
export OMP_NUM_THREADS=1 OMPI_MCA_mpi_yield_when_idle=1
echo "## 2 ranks"
mpirun -np 2 --oversubscribe --bind-to none -x OMP_NUM_THREADS -x OMP_WAIT_POLICY "$bench" "$@"
echo
echo "## 1 rank"
"$bench" "$@"
