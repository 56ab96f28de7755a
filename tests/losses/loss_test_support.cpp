#include "loss_test_support.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "support/run_command.h"

namespace tetra::losses::testing {

std::filesystem::path test_dir() {
  const char* source = std::getenv("TETRA_SOURCE_DIR");
  if (source != nullptr && *source != '\0') return std::filesystem::path(source) / "tests" / "losses";
  return std::filesystem::path(__FILE__).parent_path();
}

std::string golden_dir() { return (test_dir() / "golden").string(); }

std::string golden_path(const std::string& name) { return golden_dir() + "/" + name; }

const TensorMap& golden() {
  static const TensorMap map = [] {
    std::ifstream in(golden_path("golden.safetensors"), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    auto parsed = parse_safetensors(bytes.str(), "golden.safetensors");
    TORCH_CHECK(parsed.ok(), parsed.status().ToString(), " (rerun tests/losses/make_golden.py)");
    return *parsed;
  }();
  return map;
}

torch::Tensor golden(const std::string& key) {
  auto it = golden().find(key);
  if (it == golden().end()) {
    ADD_FAILURE() << "golden.safetensors has no '" << key << "'; rerun tests/losses/make_golden.py";
    return torch::zeros({1});
  }
  return it->second;
}

::testing::AssertionResult close_relative(const torch::Tensor& actual, const torch::Tensor& expected, double rtol) {
  if (actual.sizes() != expected.sizes())
    return ::testing::AssertionFailure() << "shape " << actual.sizes() << " vs expected " << expected.sizes();
  auto a = actual.detach().to(torch::kCPU, torch::kDouble), e = expected.detach().to(torch::kCPU, torch::kDouble);
  const double err = (a - e).abs().max().item<double>();
  const double scale = e.abs().max().item<double>();
  if (err <= rtol * scale || (scale == 0 && err == 0)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "max |difference| " << err << " exceeds " << rtol << " x max |expected| ("
                                       << scale << "); relative " << err / scale;
}

void expect_gradients_match_finite_differences(const std::function<torch::Tensor(const std::vector<torch::Tensor>&)>& f,
                                               std::vector<torch::Tensor> inputs, double rtol) {
  for (auto& x : inputs) x = x.detach().to(torch::kDouble).requires_grad_(true);
  auto value = f(inputs);
  ASSERT_EQ(value.numel(), 1);
  auto grads = torch::autograd::grad({value}, inputs);
  torch::NoGradGuard no_grad;
  const double h = 1e-6;
  auto generator = at::detail::createCPUGenerator(7);
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::vector<torch::Tensor> directions;
    for (int k = 0; k < 3; ++k) directions.push_back(torch::randn(inputs[i].sizes(), generator, torch::kDouble));
    for (int k = 0; k < 3; ++k) {  // single coordinates, spread over the tensor
      auto unit = torch::zeros(inputs[i].sizes(), torch::kDouble);
      unit.view(-1)[(k * 7919) % inputs[i].numel()] = 1.0;
      directions.push_back(unit);
    }
    for (const auto& v : directions) {
      auto shifted = [&](double sign) {
        auto moved = inputs;
        moved[i] = inputs[i] + sign * h * v;
        return f(moved).item<double>();
      };
      const double numeric = (shifted(1.0) - shifted(-1.0)) / (2 * h);
      const double analytic = (grads[i] * v).sum().item<double>();
      const double scale = std::max({std::abs(numeric), std::abs(analytic), grads[i].abs().max().item<double>() * 1e-3});
      EXPECT_LE(std::abs(numeric - analytic), rtol * scale + 1e-10)
          << "input " << i << ": finite difference " << numeric << " vs autograd " << analytic;
    }
  }
}

model::PackedTokens pack_images(const std::vector<torch::Tensor>& images, const model::PatchSize& patch) {
  std::vector<model::SampleTokens> samples;
  for (const auto& image : images) samples.push_back(model::patchify(image.unsqueeze(0), patch));
  return model::pack(samples);
}

std::vector<torch::Tensor> unpack_images(const torch::Tensor& features, const model::PackedTokens& tokens,
                                         const model::PatchSize& patch) {
  std::vector<torch::Tensor> out;
  for (int64_t s = 0; s < tokens.num_samples(); ++s) {
    const int64_t start = tokens.offsets[s], count = tokens.offsets[s + 1] - start;
    out.push_back(model::unpatchify(features.narrow(0, start, count), tokens.grids[s], patch)[0]);
  }
  return out;
}

bool run_python(const std::string& script, const std::vector<std::string>& args, std::string* why) {
  const char* python = std::getenv("TETRA_PYTHON");
  if (python == nullptr || *python == '\0') {
    *why = "TETRA_PYTHON unset (ctest sets it): the Python reference comparison is skipped";
    return false;
  }
  std::vector<std::string> quoted{absl::StrCat("'", python, "'"),
                                  absl::StrCat("'", (test_dir() / script).string(), "'")};
  for (const auto& a : args) quoted.push_back(absl::StrCat("'", a, "'"));
  const std::string command = absl::StrJoin(quoted, " ");
  const auto result = test_support::run_command(command);
  EXPECT_EQ(result.exit_code, 0) << command << " failed:\n" << result.output;
  return result.exit_code == 0;
}

std::string scratch_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / absl::StrCat("tetra_losses_", name, "_", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace tetra::losses::testing
