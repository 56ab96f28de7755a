// One training step of Tetra's tokenizer on CPU: forward, loss, backward, global-norm gradient
// clipping and AdamW, as trainer/step.cpp runs it in a single process (minus data loading, EMA and
// logging), on a fixed packed batch of random images. bench/train_step_torch.py is the same model
// in PyTorch Python; bench/run_train_step.sh runs both and docs/benchmarks.md records the ratio.
//
// Each Google Benchmark repetition is one step (Iterations(1)), so the "median" aggregate is the
// median ms/step over --steps steps, after --warmup untimed ones: the same statistic the Python
// script reports. The model is built once per process and keeps training across repetitions.
//
//   build/bench/bench_train_step --preset small --threads 1 [--width N --depth N --heads N
//       --mlp N --latent N --batch N --sizes 48x64,64x64,64x96,96x96 --warmup N --steps N]
//
// After Google Benchmark's table it prints one JSON line in train_step_torch.py's format.
#include <benchmark/benchmark.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "model/tokenizer.h"
#include "parallel/data_parallel.h"
#include "parallel/mesh.h"
#include "parallel/world.h"
#include "trainer/config/config.h"
#include "trainer/state/optim.h"
#include "trainer/process_env.h"
#include "trainer/loop/step.h"

namespace {

using tetra::model::PackedTokens;

struct Settings {
  tetra::model::TokenizerOptions model;
  int64_t batch = 16;
  std::vector<std::pair<int64_t, int64_t>> sizes = {{48, 64}, {64, 64}, {64, 96}, {96, 96}};
  int threads = 1;
  int warmup = 3;
  int steps = 20;
};

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "bench_train_step: " << message << "\n";
  std::exit(2);
}

std::vector<std::pair<int64_t, int64_t>> parse_sizes(const std::string& text) {
  std::vector<std::pair<int64_t, int64_t>> sizes;
  std::stringstream list(text);
  std::string item;
  while (std::getline(list, item, ',')) {
    long long h = 0, w = 0;
    if (std::sscanf(item.c_str(), "%lldx%lld", &h, &w) != 2 || h <= 0 || w <= 0)
      fail("--sizes wants HxW[,HxW...], got '" + text + "'");
    sizes.emplace_back(h, w);
  }
  if (sizes.empty()) fail("--sizes is empty");
  return sizes;
}

// Flags left over after benchmark::Initialize took its own --benchmark_* ones.
Settings parse_settings(int argc, char** argv) {
  Settings s;
  tetra::model::apply_preset("small", &s.model);
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) fail(flag + " needs a value");
    const std::string value = argv[++i];
    auto number = [&]() { return std::stoll(value); };
    if (flag == "--preset") {
      // "big" is not a model/options.cpp preset: it is the benchmark's mid-size model.
      if (value == "big") {
        s.model.width = 384, s.model.depth = 4, s.model.heads = 6, s.model.mlp_hidden = 1536;
      } else if (!tetra::model::apply_preset(value, &s.model)) {
        fail("unknown --preset " + value);
      }
    } else if (flag == "--width") {
      s.model.width = number();
    } else if (flag == "--depth") {
      s.model.depth = number();
    } else if (flag == "--heads") {
      s.model.heads = number();
    } else if (flag == "--mlp") {
      s.model.mlp_hidden = number();
    } else if (flag == "--latent") {
      s.model.latent_channels = number();
    } else if (flag == "--batch") {
      s.batch = number();
    } else if (flag == "--sizes") {
      s.sizes = parse_sizes(value);
    } else if (flag == "--threads") {
      s.threads = static_cast<int>(number());
    } else if (flag == "--warmup") {
      s.warmup = static_cast<int>(number());
    } else if (flag == "--steps") {
      s.steps = static_cast<int>(number());
    } else {
      fail("unknown flag " + flag);
    }
  }
  return s;
}

// Random pixels in [-1, 1]; consecutive images share a size (blocks of batch / sizes), so packed
// attention gets runs of equal-length samples as real image batches often do.
PackedTokens make_batch(const Settings& s) {
  std::vector<tetra::model::SampleTokens> samples;
  const auto n_sizes = static_cast<int64_t>(s.sizes.size());
  for (int64_t i = 0; i < s.batch; ++i) {
    const auto [h, w] = s.sizes[i * n_sizes / s.batch];
    samples.push_back(tetra::model::patchify(torch::rand({1, h, w, 3}) * 2 - 1, s.model.patch));
  }
  return tetra::model::pack(samples);
}

// trainer/step.cpp's train_step for one rank and one micro-batch: the gradient reducer (a no-op
// exchange in a world of one, but .grad lives in its buckets as in tetra-train), clipping, and
// parallel::ShardedAdamW over whole parameters. Data loading, EMA and loss logging are left out;
// train_step_torch.py leaves out the same.
class TrainStep {
 public:
  explicit TrainStep(const Settings& s, const tetra::parallel::Group& group)
      : model_(s.model), tokens_(make_batch(s)), patch_(s.model.patch) {
    dp_ = std::make_unique<tetra::parallel::DataParallel>(*model_, group, tetra::parallel::DataParallelOptions{});
    optimizer_ = tetra::trainer::make_optimizer(dp_->names(), dp_->params(), optim_);
    optimizer_.set_step(optim_.schedule, optim_.schedule.warmup_steps, optim_.schedule.warmup_steps + 1);  // the peak lr throughout
    run_.generator = at::make_generator<at::CPUGeneratorImpl>(1);
    // L1 + KL only, as train_step_torch.py computes: no frozen networks.
    tetra::trainer::LossConfig loss;
    loss.image.lpips = loss.image.gram = loss.image.clip = loss.image.distill = "0";
    loss.sem_weight = "0";
    std::ostringstream quiet;
    composer_ = std::move(tetra::losses::LossComposer::create(loss, torch::kCPU, quiet).value());
  }

  void operator()() {
    auto& reducer = dp_->reducer();
    reducer.begin_step(/*micro_steps=*/1);
    reducer.begin_micro_step();
    const tetra::trainer::TaskBatch batch{tetra::trainer::Task::kImageReconstruction, tokens_, {}, {}};
    tetra::trainer::task_loss(*composer_, batch, model_->forward(tokens_, run_), patch_, 0).total.backward();
    reducer.finish();
    dp_->clip_grad_norm(optim_.grad_clip);
    optimizer_.adamw->step(dp_->owned_shards(), [&](int64_t p) { return !reducer.used(p); });
    dp_->gather_parameters();
  }

  int64_t parameters() const { return tetra::model::count_parameters(*model_); }
  int64_t tokens() const { return tokens_.num_tokens(); }

 private:
  tetra::trainer::OptimConfig optim_;
  std::unique_ptr<tetra::losses::LossComposer> composer_;
  tetra::model::Tokenizer model_;
  PackedTokens tokens_;
  tetra::model::PatchSize patch_;
  tetra::model::ForwardOptions run_;
  std::unique_ptr<tetra::parallel::DataParallel> dp_;
  tetra::trainer::Optimizer optimizer_;
};

std::unique_ptr<TrainStep> g_step;

void BM_TrainStep(benchmark::State& state) {
  for (auto _ : state) (*g_step)();
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(g_step->tokens() * state.iterations()), benchmark::Counter::kIsRate);
}

// The console table plus the median / mean aggregates, kept for the JSON line. A reporter passed
// to RunSpecifiedBenchmarks ignores --benchmark_color, so colour is off unless stdout is a terminal:
// its escape codes would otherwise prefix the JSON line that run_train_step.sh greps for.
class JsonLineReporter : public benchmark::ConsoleReporter {
 public:
  JsonLineReporter() : ConsoleReporter(isatty(fileno(stdout)) ? OO_Defaults : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Aggregate) continue;
      real_ms[run.aggregate_name] = run.GetAdjustedRealTime();
      cpu_ms[run.aggregate_name] = run.GetAdjustedCPUTime();
    }
  }
  std::map<std::string, double> real_ms, cpu_ms;
};

}  // namespace

int main(int argc, char** argv) {
  tetra::trainer::ensure_cpu_environment(argc, argv);
  benchmark::Initialize(&argc, argv);
  const Settings s = parse_settings(argc, argv);
  torch::set_num_threads(s.threads);
  // Without a launcher this is a world of one (MPI is never started), as for a plain tetra-train.
  auto world = tetra::parallel::World::Get();
  if (!world.ok()) fail(std::string(world.status().message()));
  auto mesh = tetra::parallel::ProcessMesh::Create(**world, tetra::parallel::MeshOptions{});
  if (!mesh.ok()) fail(std::string(mesh.status().message()));
  torch::manual_seed(0);
  g_step = std::make_unique<TrainStep>(s, mesh->data_parallel());
  std::printf("cpp: %lld parameters, %lld tokens, %d threads, libtorch %s\n",
              static_cast<long long>(g_step->parameters()), static_cast<long long>(g_step->tokens()),
              torch::get_num_threads(), TORCH_VERSION);
  for (int i = 0; i < s.warmup; ++i) (*g_step)();

  const auto& m = s.model;
  const std::string name = "train_step/width:" + std::to_string(m.width) + "/depth:" + std::to_string(m.depth) +
                           "/threads:" + std::to_string(s.threads);
  benchmark::RegisterBenchmark(name.c_str(), BM_TrainStep)
      ->Iterations(1)
      ->Repetitions(s.steps)
      ->ReportAggregatesOnly(true)
      ->UseRealTime()
      ->MeasureProcessCPUTime()  // all threads' CPU time: with 1 thread, the wall time minus preemption
      ->Unit(benchmark::kMillisecond);
  JsonLineReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  const double median = reporter.real_ms["median"];
  std::printf(
      "{\"impl\": \"cpp\", \"params\": %lld, \"tokens\": %lld, \"threads\": %d, \"width\": %lld, \"depth\": %lld, "
      "\"heads\": %lld, \"mlp\": %lld, \"steps\": %d, \"median_ms\": %.3f, \"mean_ms\": %.3f, \"cpu_ms\": %.3f, "
      "\"tokens_per_s\": %.1f}\n",
      static_cast<long long>(g_step->parameters()), static_cast<long long>(g_step->tokens()), s.threads,
      static_cast<long long>(m.width), static_cast<long long>(m.depth), static_cast<long long>(m.heads),
      static_cast<long long>(m.mlp_hidden), s.steps, median, reporter.real_ms["mean"], reporter.cpu_ms["median"],
      g_step->tokens() / median * 1e3);
  g_step.reset();
  return 0;
}
