// LPIPS and the Gram (style) loss on VGG16 features (SPEC section 3). Both read the same five
// activations, so a caller runs the trunk once per image batch and hands the features to both.
#pragma once
#include <torch/nn/module.h>
#include <torch/types.h>

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "losses/safetensors.h"

namespace tetra::losses {

// The lpips package's ScalingLayer: images in [-1, 1] -> (x - shift) / scale, with the shift and
// scale that map [-1, 1] onto ImageNet's normalised range (lpips v0.1).
torch::Tensor lpips_input_scaling(const torch::Tensor& images);

// The learned 1x1 linear heads of LPIPS: one non-negative weight per channel of each layer.
class LpipsHeadsImpl : public torch::nn::Module {
 public:
  explicit LpipsHeadsImpl(const std::vector<int64_t>& channels);
  // lpips key names ("lin0.model.1.weight", shape [1, C, 1, 1]) paired with this module's tensors.
  std::vector<std::pair<std::string, torch::Tensor>> named_weights();
  absl::Status load_weights(const TensorMap& file, const std::string& origin);
  // Uniform in [0, 2/C): positive like trained heads, each layer's weights summing to about 1.
  void randomize(uint64_t seed);

  std::vector<torch::Tensor> weights;  // [1, C_l, 1, 1] each
};
TORCH_MODULE(LpipsHeads);

// LPIPS per image, [B]: sum over layers l of mean_hw sum_c w_lc (n(x)_lc - n(y)_lc)^2, where
// n() divides every position's feature vector by its L2 norm over channels (+1e-10, as lpips does).
torch::Tensor lpips_distance(const std::vector<torch::Tensor>& x_features, const std::vector<torch::Tensor>& y_features,
                             LpipsHeads& heads);

// Gram loss per image, [B]: sum over layers of mean_{c,c'} (G(x) - G(y))^2 with G = F F^T / (C H W)
// for F the [C, H*W] activation. The normalisation keeps layers of different sizes comparable.
torch::Tensor gram_distance(const std::vector<torch::Tensor>& x_features, const std::vector<torch::Tensor>& y_features);

}  // namespace tetra::losses
