// 4D RoPE on CPU: our loop kernel (rope4d_forward) against the same math from unfused ATen ops
// (rope4d_reference), N = 4096 tokens x 12 heads, head_dim 64 and 72, fp32 and bf16, 1 and 2
// threads, coordinates in the model's patch-grid order (the kernel reuses angles of repeated
// coordinates) or uniformly random (every angle computed). After the usual table it prints the
// ATen/kernel time ratio for every configuration. The PyTorch Python baseline for the same shapes
// is bench/rope_torch.py; results go to docs/benchmarks.md.
//
//   OMP_WAIT_POLICY=PASSIVE ./bench_rope --benchmark_repetitions=3
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "kernels/rope.h"

namespace {

constexpr int64_t kTokens = 4096;
constexpr int64_t kHeads = 12;
constexpr double kBase = 10000.0;

enum class Impl { kKernel, kAten };

// The model's token order: (t, row, column, z = 0) over 4 frames of 32 x 32 patches = kTokens.
torch::Tensor grid_coords() {
  const auto opts = torch::TensorOptions().dtype(torch::kInt32);
  const auto grid = torch::meshgrid(
      {torch::arange(4, opts), torch::arange(32, opts), torch::arange(32, opts)}, "ij");
  return torch::stack({grid[0], grid[1], grid[2], torch::zeros_like(grid[0])}, -1)
      .reshape({kTokens, 4});
}

void BM_Rope(benchmark::State& state, Impl impl) {
  const int64_t head_dim = state.range(0);
  const auto dtype = state.range(1) != 0 ? torch::kBFloat16 : torch::kFloat32;
  torch::set_num_threads(static_cast<int>(state.range(2)));
  torch::NoGradGuard no_grad;
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({kTokens, kHeads, head_dim}).to(dtype);
  const torch::Tensor coords =
      state.range(3) != 0 ? torch::randint(-64, 64, {kTokens, 4}, torch::kInt32) : grid_coords();

  for (auto _ : state) {
    const torch::Tensor y = impl == Impl::kKernel
                                ? tetra::kernels::rope4d_forward(x, coords, kBase, false)
                                : tetra::kernels::rope4d_reference(x, coords, kBase);
    benchmark::DoNotOptimize(y.data_ptr());
  }
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["tokens/s"] =
      benchmark::Counter(kTokens * iterations, benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(2 * x.nbytes() * iterations));  // read x, write out
}

// ArgNames keep "kernel" and "aten" runs with identical suffixes, which the ratio report relies on.
void configure(benchmark::internal::Benchmark* b) {
  b->ArgsProduct({{64, 72}, {0, 1}, {1, 2}, {0, 1}})
      ->ArgNames({"head_dim", "bf16", "threads", "random_coords"})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();  // with 2 threads the main thread's CPU time undercounts the work
}
BENCHMARK_CAPTURE(BM_Rope, kernel, Impl::kKernel)->Apply(configure);
BENCHMARK_CAPTURE(BM_Rope, aten, Impl::kAten)->Apply(configure);

// Console output plus, at the end, unfused-ATen time / kernel time for each configuration (best of
// --benchmark_repetitions).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration && !run.error_occurred) {
        // Fastest repetition: on a shared machine the slow ones measure the neighbours.
        const auto [it, fresh] =
            real_ms_.try_emplace(run.benchmark_name(), run.GetAdjustedRealTime());
        if (!fresh) it->second = std::min(it->second, run.GetAdjustedRealTime());
      }
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    const std::string kernel = "BM_Rope/kernel/", aten = "BM_Rope/aten/";
    std::printf("\nunfused ATen / kernel (real time, best repetition)\n");
    for (const auto& [name, kernel_ms] : real_ms_) {
      if (name.rfind(kernel, 0) != 0) continue;
      const std::string suffix = name.substr(kernel.size());
      const auto it = real_ms_.find(aten + suffix);
      if (it == real_ms_.end()) continue;
      std::printf("  %-40s kernel %8.3f ms  aten %8.3f ms  ratio %5.2fx\n", suffix.c_str(),
                  kernel_ms, it->second, it->second / kernel_ms);
    }
  }

 private:
  std::map<std::string, double> real_ms_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
