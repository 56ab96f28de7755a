# Shared by the multi-rank integration tests (*mpi*.sh): mpirun set up for a small CI container,
# and the tiny training config they all use.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
command -v mpirun > /dev/null || { echo "SKIP: mpirun not found (install openmpi-bin)"; exit 77; }
grep -q libmpi <(ldd "$TRAIN") || { echo "SKIP: this build has no MPI (CMake found none)"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # CI runs as root in a container
export OMPI_MCA_mpi_yield_when_idle=1                             # more ranks than cores: poll politely
# Two ranks on two cores: no binding (Open MPI would pin both to one core otherwise), one torch thread.
mpi() { local ranks=$1; shift; mpirun -np "$ranks" --oversubscribe --bind-to none "$@"; }

# The tiny config: one image-reconstruction stage of 12 steps on the embedded dataset (generated
# once per test under $SCRATCH/embedded-data), 2 images per rank per step (max_samples binds: the
# token budget holds far more), in index order (data.shuffle=false) so that rank r of W reads epoch
# positions r, r+W, ...: W ranks with max_samples k see the samples of one process with k x W.
# Losses: L1 + KL only, token means, for which the data-parallel gradient equals the one-process one
# exactly. LPIPS, Gram and SigLIP are per-image or per-batch, which token weighting only approximates.
# Tests change it with --set (stages.0.steps=30, stages.0.tasks.image_rec.max_samples=4, ...).
cat > "$SCRATCH/tiny.yaml" <<YAML
run: {name: tiny, out_dir: "$SCRATCH", log_every: 1, eval_every: 0, checkpoint_every: 0, threads: 1,
      progress: plain, tensorboard: false}
model: {preset: tiny, embed_dim: 64}
data: {source: embedded, shuffle: false, heldout_samples: 8, threads: 1, video_frames: 8, video_max_stride: 2}
optim: {lr: 1.0e-3, min_lr: 1.0e-4, warmup_steps: 5, encoder_lr_multiplier: 1.0, ema_decay: 0.99}
loss:
  rec_weight: "1"
  kl_weight: "1e-6"
  image: {l1: "1", lpips: "0", gram: "0", clip: "0", distill: "0", siglip: "0"}
  video: {l1: "1", lpips: "0", gram: "0", clip: "0", siglip: "0"}
parallel: {first_bucket_mb: 0.02, bucket_mb: 0.2, timeout_s: 60}
stages:
  - name: image
    steps: 12
    image_min_side: 48
    image_max_side: 96
    video_min_side: 32
    video_max_side: 64
    tasks:
      image_rec: {share: 1, max_tokens: 4096, max_samples: 2}
YAML
tiny=(--config "$SCRATCH/tiny.yaml")
