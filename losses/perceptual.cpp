#include "losses/perceptual.h"

#include <torch/torch.h>

#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tetra::losses {

namespace {

// LPIPS's shift and scale on the images' device and dtype, made once per (device, dtype): building
// them per call would copy from the host, which on a GPU makes the host wait for the queued work.
std::pair<torch::Tensor, torch::Tensor> lpips_constants(const torch::Tensor& images) {
  static std::mutex mu;
  static std::map<std::pair<std::string, int>, std::pair<torch::Tensor, torch::Tensor>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto& entry = cache[{images.device().str(), static_cast<int>(images.scalar_type())}];
  if (!entry.first.defined()) {
    auto opts = torch::TensorOptions().dtype(images.scalar_type()).device(images.device());
    entry = {torch::tensor({-0.030, -0.088, -0.188}, opts).view({1, 3, 1, 1}),
             torch::tensor({0.458, 0.448, 0.450}, opts).view({1, 3, 1, 1})};
  }
  return entry;
}

}  // namespace

torch::Tensor lpips_input_scaling(const torch::Tensor& images) {
  const auto [shift, scale] = lpips_constants(images);
  return (images - shift) / scale;
}

LpipsHeadsImpl::LpipsHeadsImpl(const std::vector<int64_t>& channels) {
  for (size_t l = 0; l < channels.size(); ++l)
    weights.push_back(register_parameter(absl::StrCat("lin", l), torch::zeros({1, channels[l], 1, 1})));
}

std::vector<std::pair<std::string, torch::Tensor>> LpipsHeadsImpl::named_weights() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (size_t l = 0; l < weights.size(); ++l) out.emplace_back(absl::StrCat("lin", l, ".model.1.weight"), weights[l]);
  return out;
}

absl::Status LpipsHeadsImpl::load_weights(const TensorMap& file, const std::string& origin) {
  return load_strict(file, named_weights(), origin);
}

void LpipsHeadsImpl::randomize(uint64_t seed) {
  auto generator = at::detail::createCPUGenerator(seed);
  torch::NoGradGuard no_grad;
  for (auto& w : weights) w.copy_(torch::rand(w.sizes(), generator, torch::kFloat) * (2.0 / static_cast<double>(w.size(1))));
}

namespace {

torch::Tensor unit_channels(const torch::Tensor& f) {
  return f / (f.pow(2).sum(1, /*keepdim=*/true).sqrt() + 1e-10);
}

void check_layers(const std::vector<torch::Tensor>& x, const std::vector<torch::Tensor>& y, size_t layers, const char* what) {
  TORCH_CHECK(x.size() == y.size() && x.size() == layers, what, ": expected ", layers, " feature layers, got ", x.size(),
              " and ", y.size());
  for (size_t l = 0; l < layers; ++l)
    TORCH_CHECK(x[l].sizes() == y[l].sizes(), what, ": layer ", l, " features differ in shape: ", x[l].sizes(), " vs ", y[l].sizes());
}

}  // namespace

torch::Tensor lpips_distance(const std::vector<torch::Tensor>& x_features, const std::vector<torch::Tensor>& y_features,
                             LpipsHeads& heads) {
  check_layers(x_features, y_features, heads->weights.size(), "lpips_distance");
  torch::Tensor total;
  for (size_t l = 0; l < x_features.size(); ++l) {
    auto diff = (unit_channels(x_features[l]) - unit_channels(y_features[l])).pow(2);  // [B, C, H, W]
    // The 1x1 head and the spatial mean commute: average over H, W first, then weight the channels.
    auto per_image = diff.mean({2, 3}).matmul(heads->weights[l].view({-1}).to(diff.scalar_type()));  // [B]
    total = total.defined() ? total + per_image : per_image;
  }
  return total;
}

torch::Tensor gram_distance(const std::vector<torch::Tensor>& x_features, const std::vector<torch::Tensor>& y_features) {
  check_layers(x_features, y_features, x_features.size(), "gram_distance");
  torch::Tensor total;
  for (size_t l = 0; l < x_features.size(); ++l) {
    const auto& x = x_features[l];
    const int64_t b = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3);
    auto fx = x.reshape({b, c, hw}), fy = y_features[l].reshape({b, c, hw});
    // Fx Fx^T - Fy Fy^T = D Fx^T + Fy D^T with D = Fx - Fy: the same two matrix products as two Gram
    // matrices, but a good reconstruction (Gx ~ Gy) no longer loses its digits in Gx - Gy.
    auto d = fx - fy;
    auto gram_diff = (torch::bmm(d, fx.transpose(1, 2)) + torch::bmm(fy, d.transpose(1, 2))) / static_cast<double>(c * hw);
    auto per_image = gram_diff.pow(2).mean({1, 2});  // [B]
    total = total.defined() ? total + per_image : per_image;
  }
  return total;
}

}  // namespace tetra::losses
