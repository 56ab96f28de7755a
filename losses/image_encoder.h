// A frozen image encoder mapping images in [-1, 1] to one embedding each: the CLIP-perceptual
// encoder and the distillation teacher. It is either a TorchScript file (any architecture; the
// file does its own preprocessing) or, for smoke runs, a small seeded random conv net.
#pragma once
#include <torch/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "losses/frozen.h"

namespace tetra::losses {

class FrozenImageEncoder {
 public:
  // Loads, freezes and probes the module with one [1, 3, R, R] image so a wrong file fails at
  // start-up, not at the first step. `key` is the config key that named the file.
  static absl::StatusOr<FrozenImageEncoder> load_torchscript(const std::string& path, const std::string& key,
                                                             const std::string& role, int64_t resolution,
                                                             const torch::Device& device);
  // Conv 4x4/4 -> GELU -> conv 2x2/2 -> GELU -> conv 2x2/2 -> GELU -> spatial mean -> linear.
  static FrozenImageEncoder random(const std::string& role, int64_t resolution, int64_t embed_dim, uint64_t seed,
                                   const torch::Device& device);

  // images: [B, 3, resolution, resolution] in [-1, 1] -> [B, D]. Gradients reach the images only.
  torch::Tensor embed(const torch::Tensor& images) const;
  int64_t resolution() const { return resolution_; }
  int64_t dim() const { return dim_; }
  const FrozenNetworkRecord& record() const { return record_; }
  // Casts the weights (double precision for gradient checks).
  void to(torch::ScalarType dtype);

  class Net;  // the TorchScript module or the random conv net

 private:
  std::shared_ptr<Net> net_;
  int64_t resolution_ = 224;
  int64_t dim_ = 0;
  FrozenNetworkRecord record_;
};

// 1 - cos(e_x, e_y) per image, [B], computed as |e_x/|e_x| - e_y/|e_y||^2 / 2 (no cancellation).
torch::Tensor cosine_distance(const torch::Tensor& x_embeddings, const torch::Tensor& y_embeddings);

}  // namespace tetra::losses
