// Data-parallel training step on CPU: how much of the gradient reduction hides behind backward, and
// what a step costs with 2 ranks against 1, for a ~20M-parameter tokenizer, over bucket sizes.
//
//   bench/run_ddp.sh                     (2 ranks under mpirun, then 1 rank; prints markdown)
//   mpirun -np 2 --bind-to none build-dp/bench/bench_ddp [--steps N] [--images N] [--compute-core C]
//
// --compute-core C pins every rank's compute (main) thread to core C, leaving the other cores to
// the MPI worker threads: a CPU stand-in for a GPU, whose reductions run beside its compute. Without
// it, on a machine with one core per rank, the reductions can only run by taking turns with
// backward on the same cores.
//
// Not Google Benchmark: its adaptive iteration counts would differ between ranks, and every rank
// must run the same number of collectives. Each configuration runs warm-up steps, then --steps
// timed steps; rank 0 prints the fastest step's numbers (the machine this was written on is
// shared, and the fastest step is the least disturbed one). Per configuration:
//   step      forward + backward + reduction (the optimizer is left out: it does not communicate)
//   backward  from loss.backward() until it returns (reductions of early buckets run meanwhile)
//   exposed   how long finish() waited for reductions after backward returned
//   done      buckets whose reduction had already completed when backward returned
// and, once per bucket size, "alone": the same bucket all-reduces with no compute around them (after
// a barrier). The reduction time with nothing to hide behind is the "after backward" row (overlap
// off: every bucket launches once backward is done, so all of it is exposed). Hidden fraction =
// (exposed without overlap - exposed with overlap) / exposed without overlap. On a CPU the
// reductions run on the same cores as backward, so hiding them is not free: compare step times.
#include <pthread.h>
#include <sched.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/tokenizer.h"
#include "parallel/data_parallel.h"
#include "parallel/mesh.h"
#include "parallel/world.h"

namespace {

using Clock = std::chrono::steady_clock;
using tetra::parallel::DataParallel;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ~20M parameters: width 384, 5 blocks in the encoder and 5 in the decoder.
tetra::model::TokenizerOptions model_options() {
  tetra::model::TokenizerOptions o;
  o.width = 384;
  o.depth = 5;
  o.heads = 6;
  o.mlp_hidden = 1536;
  o.patch = tetra::model::PatchSize{4, 16, 16, 3};
  return o;
}

// `images` 64 x 64 images per rank (16 tokens each), different on every rank.
tetra::model::PackedTokens make_batch(int64_t images, int rank, const tetra::model::PatchSize& patch) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(100 + rank);
  std::vector<tetra::model::SampleTokens> samples;
  for (int64_t i = 0; i < images; ++i)
    samples.push_back(tetra::model::patchify(at::rand({1, 64, 64, 3}, gen) * 2 - 1, patch));
  return tetra::model::pack(samples);
}

struct Timing {
  double step = 0, backward = 0, exposed = 0, alone = 0;
  int64_t done = 0;
  size_t buckets = 0;
};

// Every bucket all-reduced back to back, nothing else running.
double reductions_alone(DataParallel& dp, const tetra::parallel::Group& group) {
  group.host->barrier()->wait();
  const auto start = Clock::now();
  std::vector<std::shared_ptr<tetra::parallel::Work>> works;
  for (size_t b = 0; b < dp.reducer().plan().buckets.size(); ++b)
    works.push_back(group.device->all_reduce(dp.reducer().bucket_buffer(static_cast<int64_t>(b)),
                                             tetra::parallel::ReduceOp::kSum));
  for (auto& w : works) w->wait();
  return seconds_since(start);
}

Timing run(tetra::model::Tokenizer& model, const tetra::parallel::Group& group, const tetra::model::PackedTokens& batch,
           double bucket_mb, bool overlap, int steps) {
  tetra::parallel::DataParallelOptions options;
  options.bucket_bytes = static_cast<int64_t>(bucket_mb * (1 << 20));
  options.first_bucket_bytes = std::min<int64_t>(options.bucket_bytes, 1 << 20);
  options.overlap = overlap;
  DataParallel dp(*model, group, options);
  Timing best;
  best.step = 1e30;
  best.buckets = dp.reducer().plan().buckets.size();
  std::vector<double> alone_s;
  for (int i = 0; i < steps + 2; ++i) {  // two warm-up steps
    group.host->barrier()->wait();
    const auto start = Clock::now();
    dp.reducer().begin_step(1);
    dp.reducer().begin_micro_step();
    tetra::model::ForwardOptions forward;
    forward.sample_latent = false;
    auto out = model->forward(batch, forward);
    auto loss = (out.reconstruction - batch.features).abs().mean() / group.size();
    const auto backward_start = Clock::now();
    dp.reducer().backward(loss);
    const double backward = seconds_since(backward_start);
    const int64_t done = dp.reducer().completed_reductions();
    dp.reducer().finish();
    const double step = seconds_since(start);
    if (i < 2) continue;
    if (step < best.step) {
      best.step = step;
      best.backward = backward;
      best.exposed = dp.reducer().last_wait_seconds();
      best.done = done;
    }
    alone_s.push_back(reductions_alone(dp, group));
  }
  best.alone = *std::min_element(alone_s.begin(), alone_s.end());
  return best;
}

int arg_int(int argc, char** argv, const char* flag, int fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == flag) return std::atoi(argv[i + 1]);
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  auto world = tetra::parallel::World::Get();
  if (!world.ok()) {
    std::fprintf(stderr, "bench_ddp: %s\n", std::string(world.status().message()).c_str());
    return 2;
  }
  torch::set_num_threads(1);
  // After World::Get(): the MPI worker threads already exist and keep every core.
  const int compute_core = arg_int(argc, argv, "--compute-core", -1);
  if (compute_core >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(compute_core, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  }
  const int steps = arg_int(argc, argv, "--steps", 5);
  const int images = arg_int(argc, argv, "--images", 8);
  auto mesh = tetra::parallel::ProcessMesh::Create(**world, {});
  if (!mesh.ok()) {
    std::fprintf(stderr, "bench_ddp: %s\n", std::string(mesh.status().message()).c_str());
    return 2;
  }
  const auto& group = mesh->data_parallel();
  torch::manual_seed(0);
  tetra::model::Tokenizer model(model_options());
  const auto batch = make_batch(images, group.rank(), model->options.patch);
  const bool talk = group.rank() == 0;
  if (talk)
    std::printf("%d rank(s), %lld parameters (%.1f MiB of fp32 gradients), %d images = %lld tokens per rank, "
                "1 torch thread per rank%s, fastest of %d steps\n\n",
                group.size(), static_cast<long long>(tetra::model::count_parameters(*model)),
                tetra::model::count_parameters(*model) * 4.0 / (1 << 20), images,
                static_cast<long long>(batch.num_tokens()),
                compute_core >= 0 ? (", compute pinned to core " + std::to_string(compute_core)).c_str() : "", steps);
  if (talk)
    std::printf("| buckets | count | step (ms) | backward (ms) | done at end of backward | exposed reduction (ms) | "
                "reductions alone (ms) | hidden |\n|---|---|---|---|---|---|---|---|\n");
  const Timing serial = run(model, group, batch, 25, /*overlap=*/false, steps);
  if (talk)
    std::printf("| 25 MiB, after backward | %zu | %.0f | %.0f | %lld | %.0f | %.0f | 0%% |\n", serial.buckets,
                serial.step * 1e3, serial.backward * 1e3, static_cast<long long>(serial.done), serial.exposed * 1e3,
                serial.alone * 1e3);
  for (double mb : {1.0, 5.0, 25.0, 100.0}) {
    const Timing t = run(model, group, batch, mb, /*overlap=*/true, steps);
    char hidden[32] = "-";  // one rank: nothing to reduce
    if (group.size() > 1) std::snprintf(hidden, sizeof(hidden), "%.0f%%", 100 * (1.0 - t.exposed / serial.exposed));
    if (talk)
      std::printf("| %.0f MiB | %zu | %.0f | %.0f | %lld | %.0f | %.0f | %s |\n", mb, t.buckets, t.step * 1e3,
                  t.backward * 1e3, static_cast<long long>(t.done), t.exposed * 1e3, t.alone * 1e3, hidden);
  }
  return 0;
}
