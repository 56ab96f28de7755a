#include "model/widen.h"

#include <torch/torch.h>

namespace tetra::model {
namespace {

// Copies `old` into a zero tensor whose `dim` has size new_size; source index i goes to map(i).
torch::Tensor scatter_along(const torch::Tensor& old, int64_t dim, int64_t new_size,
                            const std::function<int64_t(int64_t)>& map) {
  auto sizes = old.sizes().vec();
  sizes[dim] = new_size;
  auto out = torch::zeros(sizes, old.options());
  std::vector<int64_t> targets;
  for (int64_t i = 0; i < old.size(dim); ++i) targets.push_back(map(i));
  out.index_copy_(dim, torch::tensor(targets, torch::kInt64).to(old.device()), old);
  return out;
}

WidenedParameter widen(torch::Tensor parameter, int64_t dim, int64_t new_size, std::function<int64_t(int64_t)> map) {
  auto widen_like = [dim, new_size, map](const torch::Tensor& t) { return scatter_along(t, dim, new_size, map); };
  torch::NoGradGuard no_grad;
  parameter.set_data(widen_like(parameter.detach()));  // keeps identity: optimizer state keys stay valid
  return {parameter, widen_like};
}

}  // namespace

std::vector<WidenedParameter> widen_latent_channels(Tokenizer& model, int64_t new_channels) {
  const int64_t old_channels = model->options.latent_channels;
  TORCH_CHECK(new_channels >= old_channels, "latent widening from ", old_channels, " to ", new_channels,
              " channels would narrow the latent");
  std::vector<WidenedParameter> widened;
  if (new_channels == old_channels) return widened;
  // Bottleneck rows: means [0, c) stay, log-variances [c, 2c) move to [c', c' + c).
  auto row_map = [=](int64_t i) { return i < old_channels ? i : i - old_channels + new_channels; };
  auto& proj = model->bottleneck->proj;
  widened.push_back(widen(proj->weight, 0, 2 * new_channels, row_map));
  if (proj->bias.defined()) widened.push_back(widen(proj->bias, 0, 2 * new_channels, row_map));
  widened.push_back(widen(model->decoder->latent_in->weight, 1, new_channels, [](int64_t i) { return i; }));
  model->bottleneck->latent_channels = new_channels;
  model->options.latent_channels = new_channels;
  return widened;
}

}  // namespace tetra::model
