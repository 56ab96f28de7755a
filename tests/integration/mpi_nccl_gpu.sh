#!/usr/bin/env bash
# The NCCL path end to end on one GPU: `mpirun -np 1` with run.device=cuda trains through an NCCL
# communicator of one rank and must follow the loss curve of the same run on CPU through MPI (fp32
# tolerance: GPU and CPU kernels sum in different orders). Skipped where no GPU is visible (CI);
# that the NCCL code compiles and links is checked by every build that found NCCL.
source "$(dirname "$0")/mpi_lib.bash"
command -v nvidia-smi > /dev/null && nvidia-smi -L > /dev/null 2>&1 || { echo "SKIP: no GPU visible (nvidia-smi)"; exit 77; }
grep -q libnccl <(ldd "$TRAIN") || { echo "SKIP: this build has no NCCL"; exit 77; }
run=("${tiny[@]}" --set stages.0.steps=8 --set model.sample_latent=false)
mpi 1 "$TRAIN" "${run[@]}" --set run.name=cpu > "$SCRATCH/cpu.log" 2>&1 || fail "CPU run: $(tail "$SCRATCH/cpu.log")"
mpi 1 "$TRAIN" "${run[@]}" --set run.name=gpu --set run.device=cuda > "$SCRATCH/gpu.log" 2>&1 || fail "GPU run: $(tail -20 "$SCRATCH/gpu.log")"
grep -q "1 data-parallel ranks (mpirun, nccl)" "$SCRATCH/gpu.log" || fail "the GPU run did not use NCCL: $(head -3 "$SCRATCH/gpu.log")"
grep -q "1 data-parallel ranks (mpirun, mpi)" "$SCRATCH/cpu.log" || fail "the CPU run did not use MPI: $(head -3 "$SCRATCH/cpu.log")"
"$PY" - "$SCRATCH" <<'PY'
import json, sys
root = sys.argv[1]
def losses(run):
    return {r["step"]: r["loss"] for r in map(json.loads, open(f"{root}/{run}/metrics.jsonl")) if "loss" in r}
cpu, gpu = losses("cpu"), losses("gpu")
assert sorted(cpu) == sorted(gpu) == list(range(1, 9)), (sorted(cpu), sorted(gpu))
worst = max(abs(gpu[s] - cpu[s]) / abs(cpu[s]) for s in cpu)
print(f"1-rank NCCL (GPU) vs 1-rank MPI (CPU): max relative loss difference {worst:.2e}")
assert worst < 2e-3, worst
PY
