#include "losses/vgg.h"

#include <torch/torch.h>

#include "absl/strings/str_cat.h"

namespace tetra::losses {
namespace {

constexpr int64_t kBlockWidths[] = {64, 128, 256, 512, 512};
constexpr int64_t kBlockConvs[] = {2, 2, 3, 3, 3};

}  // namespace

std::vector<int64_t> Vgg16Options::channels() const {
  std::vector<int64_t> out;
  for (int64_t w : kBlockWidths) out.push_back(std::max<int64_t>(1, w / width_divisor));
  return out;
}

Vgg16FeaturesImpl::Vgg16FeaturesImpl(const Vgg16Options& o) : options(o) {
  // torchvision numbers every layer of `features`: conv, relu, conv, relu, [pool], ... so a conv's
  // index advances by 2 per conv and by 1 more per max-pool.
  int64_t index = 0, in = 3;
  const auto widths = options.channels();
  for (size_t block = 0; block < widths.size(); ++block) {
    for (int64_t i = 0; i < kBlockConvs[block]; ++i) {
      auto conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(in, widths[block], 3).padding(1));
      convs_.emplace_back(index, register_module(absl::StrCat("conv", index), conv));
      in = widths[block];
      index += 2;
    }
    block_ends_.push_back(convs_.size() - 1);
    index += 1;
  }
}

std::vector<torch::Tensor> Vgg16FeaturesImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> features;
  torch::Tensor h = x;
  size_t block = 0;
  for (size_t i = 0; i < convs_.size(); ++i) {
    // In place: conv's backward needs its input, not its output, so relu may overwrite it and
    // autograd keeps one activation per layer instead of two.
    h = convs_[i].second->forward(h).relu_();
    if (i == block_ends_[block]) {
      features.push_back(h);
      if (++block < block_ends_.size()) h = torch::max_pool2d(h, 2, 2);
    }
  }
  return features;
}

std::vector<std::pair<std::string, torch::Tensor>> Vgg16FeaturesImpl::named_weights() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (auto& [index, conv] : convs_) {
    out.emplace_back(absl::StrCat("features.", index, ".weight"), conv->weight);
    out.emplace_back(absl::StrCat("features.", index, ".bias"), conv->bias);
  }
  return out;
}

absl::Status Vgg16FeaturesImpl::load_weights(const TensorMap& file, const std::string& origin) {
  return load_strict(file, named_weights(), origin);
}

void Vgg16FeaturesImpl::randomize(uint64_t seed) {
  auto generator = at::detail::createCPUGenerator(seed);
  torch::NoGradGuard no_grad;
  for (auto& [index, conv] : convs_) {
    auto& w = conv->weight;
    const double fan_out = static_cast<double>(w.size(0) * w.size(2) * w.size(3));
    w.copy_(torch::randn(w.sizes(), generator, torch::kFloat) * std::sqrt(2.0 / fan_out));
    conv->bias.zero_();
  }
}

}  // namespace tetra::losses
