// Forward + backward time of each loss of SPEC section 3 on CPU, as the trainer runs it: through
// LossComposer, from packed 16x16 tokens of B square images (224 px by default), with only the
// measured term switched on. bench/losses_torch.py is the same computation in PyTorch Python;
// bench/run_losses.sh runs both and prints the table of docs/benchmarks.md ("Losses").
//
// The statistic is the median wall and process-CPU time over --steps steps after --warmup untimed
// ones, measured exactly as the Python script measures it (so this program times its own loop and
// prints one JSON line rather than going through Google Benchmark's runner).
//
//   build/bench/bench_losses --loss lpips --batch 8 [--side 224 --resolution 224 --width-divisor 1
//       --threads 2 --warmup 1 --steps 5 --clip-encoder FILE.pt]
//   losses: l1 kl lpips gram perceptual (lpips + gram, one VGG pass) clip image_rec (SPEC image
//   reconstruction: l1 + 10 lpips + 1000 gram + clip) distill siglip
// Frozen networks are random (same cost as trained ones); clip uses the random conv encoder unless
// --clip-encoder names a TorchScript file (scripts/export_image_encoder.py).
#include <torch/torch.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "losses/composer.h"
#include "model/heads.h"
#include "trainer/process_env.h"

namespace {

using tetra::losses::LossComposer;
using tetra::losses::LossInputs;
using tetra::losses::LossOptions;
using tetra::losses::Modality;

struct Settings {
  std::string loss = "perceptual";
  int64_t batch = 8;
  int64_t side = 224;
  int64_t resolution = 224;
  int64_t width_divisor = 1;
  int64_t embed_dim = 1152;  // pooled / text width of the so400m model
  std::string clip_encoder;
  int threads = 2;
  int warmup = 1;
  int steps = 5;
};

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "bench_losses: " << message << "\n";
  std::exit(2);
}

Settings parse_settings(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) fail("missing value after " + flag);
    const std::string value = argv[++i];
    auto integer = [&] { return std::stoll(value); };
    if (flag == "--loss") s.loss = value;
    else if (flag == "--batch") s.batch = integer();
    else if (flag == "--side") s.side = integer();
    else if (flag == "--resolution") s.resolution = integer();
    else if (flag == "--width-divisor") s.width_divisor = integer();
    else if (flag == "--embed-dim") s.embed_dim = integer();
    else if (flag == "--clip-encoder") s.clip_encoder = value;
    else if (flag == "--threads") s.threads = static_cast<int>(integer());
    else if (flag == "--warmup") s.warmup = static_cast<int>(integer());
    else if (flag == "--steps") s.steps = static_cast<int>(integer());
    else fail("unknown flag " + flag);
  }
  return s;
}

// Only the measured term has a weight; networks are random, sized like the real ones.
LossOptions options_for(const Settings& s) {
  LossOptions o;
  o.rec_weight = o.sem_weight = o.kl_weight = "1";
  o.image = tetra::losses::TermWeights{Modality::kImage, "0", "0", "0", "0", "0", "0"};
  auto& w = o.image;
  if (s.loss == "l1") w.l1 = "1";
  else if (s.loss == "lpips") w.lpips = "1";
  else if (s.loss == "gram") w.gram = "1";
  else if (s.loss == "perceptual") w.lpips = w.gram = "1";
  else if (s.loss == "clip") w.clip = "1";
  else if (s.loss == "image_rec") w = {Modality::kImage, "1", "10", "1000", "1", "0", "0"};
  else if (s.loss == "distill") w.distill = "1";
  else if (s.loss == "siglip") w.siglip = "1";
  else if (s.loss != "kl") fail("unknown loss " + s.loss);
  o.vgg.source = "random";
  o.vgg.width_divisor = s.width_divisor;
  o.vgg.resolution = s.resolution;
  o.clip.source = s.clip_encoder.empty() ? "random" : "file";
  o.clip.path = s.clip_encoder;
  o.clip.resolution = s.resolution;
  o.teacher.source = "batch";
  return o;
}

class LossStep {
 public:
  explicit LossStep(const Settings& s) : settings_(s) {
    std::ostringstream log;
    auto composer = LossComposer::create(options_for(s), torch::kCPU, log);
    if (!composer.ok()) fail(std::string(composer.status().message()));
    composer_ = std::move(*composer);
    std::vector<tetra::model::SampleTokens> samples;
    for (int64_t i = 0; i < s.batch; ++i)
      samples.push_back(tetra::model::patchify(torch::rand({1, s.side, s.side, 3}) * 2 - 1, patch_));
    targets_ = tetra::model::pack(samples);
    recon_ = (targets_.features + 0.1 * torch::randn(targets_.features.sizes())).requires_grad_(true);
    mean_ = torch::randn({targets_.num_tokens(), 32}).requires_grad_(true);
    logvar_ = torch::randn({targets_.num_tokens(), 32}).requires_grad_(true);
    pooled_ = torch::randn({s.batch, s.embed_dim}).requires_grad_(true);
    text_ = torch::randn({s.batch, s.embed_dim});
    teacher_ = torch::randn({s.batch, s.embed_dim});
  }

  void operator()() {
    for (auto* t : {&recon_, &mean_, &logvar_, &pooled_}) t->mutable_grad() = torch::Tensor();
    LossInputs in;
    in.targets = &targets_;
    in.patch = patch_;
    const bool kl = settings_.loss == "kl", semantic = settings_.loss == "distill" || settings_.loss == "siglip";
    if (kl) in.kl_per_token = tetra::model::gaussian_kl_per_token(mean_, logvar_);
    else if (semantic) in.pooled = pooled_, in.text_embeddings = text_, in.teacher_embeddings = teacher_;
    else in.reconstruction = recon_;
    auto result = composer_->compute(Modality::kImage, in, 0);
    result.total.backward();
  }
  int64_t tokens() const { return targets_.num_tokens(); }

 private:
  Settings settings_;
  tetra::model::PatchSize patch_{4, 16, 16, 3};
  std::unique_ptr<LossComposer> composer_;
  tetra::model::PackedTokens targets_;
  torch::Tensor recon_, mean_, logvar_, pooled_, text_, teacher_;
};

double process_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);  // every thread of the process, as Python's process_time()
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  tetra::trainer::ensure_cpu_environment(argc, argv);  // the trainer's OpenMP policy and malloc thresholds
  const Settings s = parse_settings(argc, argv);
  torch::set_num_threads(s.threads);
  torch::manual_seed(0);
  LossStep step(s);
  for (int i = 0; i < s.warmup; ++i) step();
  std::vector<double> wall, cpu;
  for (int i = 0; i < s.steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = process_cpu_ms();
    step();
    wall.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    cpu.push_back(process_cpu_ms() - c0);
  }
  std::printf(
      "{\"impl\": \"cpp\", \"loss\": \"%s\", \"batch\": %lld, \"side\": %lld, \"resolution\": %lld, "
      "\"width_divisor\": %lld, \"encoder\": \"%s\", \"threads\": %d, \"steps\": %d, \"median_ms\": %.3f, "
      "\"cpu_ms\": %.3f}\n",
      s.loss.c_str(), static_cast<long long>(s.batch), static_cast<long long>(s.side),
      static_cast<long long>(s.resolution), static_cast<long long>(s.width_divisor),
      s.clip_encoder.empty() ? "random" : std::filesystem::path(s.clip_encoder).filename().c_str(), s.threads, s.steps,
      median(wall), median(cpu));
  return 0;
}
