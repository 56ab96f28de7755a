# Shared by the multi-rank integration tests (*mpi*.sh): mpirun set up for a small CI container,
# and the tiny training config they all use.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
command -v mpirun > /dev/null || { echo "SKIP: mpirun not found (install openmpi-bin)"; exit 77; }
grep -q libmpi <(ldd "$TRAIN") || { echo "SKIP: this build has no MPI (CMake found none)"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # CI runs as root in a container
export OMPI_MCA_mpi_yield_when_idle=1                             # more ranks than cores: poll politely
# Two ranks on two cores: no binding (Open MPI would pin both to one core otherwise), one torch thread.
mpi() { local ranks=$1; shift; mpirun -np "$ranks" --oversubscribe --bind-to none "$@"; }
cfg="$TETRA_SOURCE_DIR/configs/smoke_cpu.yaml"
tiny=(--set run.out_dir="$SCRATCH" --set data.train_path="$SCRATCH/data" --set model.preset=tiny
      --set run.log_every=1 --set run.eval_every=0 --set run.threads=1 --set data.batch_size=4
      --set data.heldout_samples=8 --set data.embedded_train=64 --set data.embedded_heldout=8
      --set parallel.first_bucket_mb=0.02 --set parallel.bucket_mb=0.2 --set parallel.timeout_s=60
      # L1 + KL only: token means, for which the data-parallel gradient equals the one-process one
      # exactly. LPIPS and Gram are per-image means, which token-share weighting only approximates.
      --set loss.image.lpips=0 --set loss.image.gram=0)
