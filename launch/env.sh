# Environment defaults for Tetra's ranks, sourced by launch/tetra-mpirun and launch/slurm.sbatch.
# A variable that is already set keeps its value: export your own before launching to override.

# NCCL says why something failed, and is quiet otherwise. (Network choice, NCCL_SOCKET_IFNAME and
# NCCL_IB_HCA, is site-specific: set it in the job script when NCCL picks the wrong interface.)
export NCCL_DEBUG="${NCCL_DEBUG:-WARN}"
# CPU threads sleep when idle instead of spinning: ranks share cores with MPI's progress threads.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# Open MPI refuses to start as root unless told; containers and CI run as root.
if [ "$(id -u)" = 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT="${OMPI_ALLOW_RUN_AS_ROOT:-1}"
  export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}"
fi
# Tetra moves CUDA tensors with NCCL, never with MPI: keep Open MPI from probing CUDA devices.
export OMPI_MCA_opal_cuda_support="${OMPI_MCA_opal_cuda_support:-0}"
