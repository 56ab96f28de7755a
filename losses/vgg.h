// The VGG16 convolutional trunk (torchvision's vgg16().features up to relu5_3), returning the five
// activations LPIPS and the Gram loss read: relu1_2, relu2_2, relu3_3, relu4_3, relu5_3.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/types.h>

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "losses/safetensors.h"

namespace tetra::losses {

struct Vgg16Options {
  int64_t width_divisor = 1;  // channels 64, 128, 256, 512, 512 divided by this (at least 1)
  std::vector<int64_t> channels() const;  // output channels of the five blocks
};

class Vgg16FeaturesImpl : public torch::nn::Module {
 public:
  explicit Vgg16FeaturesImpl(const Vgg16Options& options = {});
  // x: [B, 3, H, W], already scaled (lpips_input_scaling). Returns the five block outputs.
  std::vector<torch::Tensor> forward(const torch::Tensor& x);

  // torchvision key names ("features.28.weight") paired with this module's tensors.
  std::vector<std::pair<std::string, torch::Tensor>> named_weights();
  absl::Status load_weights(const TensorMap& file, const std::string& origin);
  // torchvision's initialisation (kaiming normal, fan_out, relu; zero bias) from a seeded generator.
  void randomize(uint64_t seed);

  Vgg16Options options;
 private:
  // (torchvision index in vgg16().features, conv); a block ends where the next max-pool starts.
  std::vector<std::pair<int64_t, torch::nn::Conv2d>> convs_;
  std::vector<size_t> block_ends_;  // index into convs_ of each block's last conv
};
TORCH_MODULE(Vgg16Features);

}  // namespace tetra::losses
