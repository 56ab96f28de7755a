#include "losses/image_encoder.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tetra::losses {
namespace {

class RandomEncoderImpl : public torch::nn::Module {
 public:
  RandomEncoderImpl(int64_t width, int64_t embed_dim) {
    namespace nn = torch::nn;
    body = register_module("body", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(3, width, 4).stride(4)), nn::GELU(),
                                                  nn::Conv2d(nn::Conv2dOptions(width, 2 * width, 2).stride(2)), nn::GELU(),
                                                  nn::Conv2d(nn::Conv2dOptions(2 * width, 4 * width, 2).stride(2)), nn::GELU()));
    head = register_module("head", nn::Linear(4 * width, embed_dim));
  }
  torch::Tensor forward(const torch::Tensor& x) { return head->forward(body->forward(x).mean({2, 3})); }
  torch::nn::Sequential body{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(RandomEncoder);

// LibTorch's default initialisation draws from the global generator; redraw from a seeded one so the
// network is the same in every run and after a resume (it is not in the checkpoint).
void seeded_init(torch::nn::Module& module, uint64_t seed) {
  auto generator = at::detail::createCPUGenerator(seed);
  torch::NoGradGuard no_grad;
  for (auto& p : module.named_parameters()) {
    auto& t = p.value();
    if (t.dim() < 2) {
      t.zero_();
      continue;
    }
    const double fan_in = static_cast<double>(t.numel() / t.size(0));
    t.copy_(torch::randn(t.sizes(), generator, torch::kFloat) / std::sqrt(fan_in));
  }
}

}  // namespace

class FrozenImageEncoder::Net {
 public:
  virtual ~Net() = default;
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  virtual void to(torch::ScalarType dtype) = 0;
};

namespace {

class ScriptNet : public FrozenImageEncoder::Net {
 public:
  explicit ScriptNet(torch::jit::Module module) : module_(std::move(module)) {
    module_.eval();
    for (auto p : module_.parameters()) p.set_requires_grad(false);
  }
  torch::Tensor forward(const torch::Tensor& x) override { return module_.forward({x}).toTensor(); }
  void to(torch::ScalarType dtype) override { module_.to(dtype); }
 private:
  torch::jit::Module module_;
};

class RandomNet : public FrozenImageEncoder::Net {
 public:
  explicit RandomNet(RandomEncoder net) : net_(std::move(net)) { freeze(*net_); }
  torch::Tensor forward(const torch::Tensor& x) override { return net_->forward(x); }
  void to(torch::ScalarType dtype) override { net_->to(dtype); }
 private:
  RandomEncoder net_;
};

}  // namespace

absl::StatusOr<FrozenImageEncoder> FrozenImageEncoder::load_torchscript(const std::string& path, const std::string& key,
                                                                        const std::string& role, int64_t resolution,
                                                                        const torch::Device& device) {
  if (path.empty())
    return absl::InvalidArgumentError(absl::StrCat("key '", key, "' is empty: the ", role,
                                                   " loss needs a TorchScript image encoder (scripts/export_image_encoder.py), "
                                                   "or set its source to random for a smoke run"));
  auto file = read_frozen_file(path, key);
  if (!file.ok()) return file.status();
  FrozenImageEncoder encoder;
  try {
    std::istringstream stream(file->bytes);  // the hashed bytes themselves, not a second read of the path
    encoder.net_ = std::make_shared<ScriptNet>(torch::jit::load(stream, device));
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat("key '", key, "': '", path, "' is not a loadable TorchScript module: ",
                                                   e.what_without_backtrace()));
  }
  encoder.resolution_ = resolution;
  encoder.record_ = {role, "file", path, file->sha256, ""};
  try {
    torch::NoGradGuard no_grad;
    auto probe = encoder.embed(torch::zeros({1, 3, resolution, resolution}, torch::TensorOptions().device(device)));
    if (probe.dim() != 2 || probe.size(0) != 1)
      return absl::InvalidArgumentError(absl::StrCat("key '", key, "': '", path, "' maps a [1, 3, ", resolution, ", ",
                                                     resolution, "] image to [", absl::StrJoin(probe.sizes(), ", "),
                                                     "]; expected [1, D]"));
    encoder.dim_ = probe.size(1);
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat("key '", key, "': '", path, "' fails on a [1, 3, ", resolution, ", ",
                                                   resolution, "] image: ", e.what_without_backtrace()));
  }
  encoder.record_.detail = absl::StrCat("TorchScript, ", resolution, "px -> ", encoder.dim_, "-d");
  return encoder;
}

FrozenImageEncoder FrozenImageEncoder::random(const std::string& role, int64_t resolution, int64_t embed_dim, uint64_t seed,
                                              const torch::Device& device) {
  constexpr int64_t kWidth = 32;
  RandomEncoder net(kWidth, embed_dim);
  seeded_init(*net, seed);
  net->to(device);
  FrozenImageEncoder encoder;
  encoder.net_ = std::make_shared<RandomNet>(net);
  encoder.resolution_ = resolution;
  encoder.dim_ = embed_dim;
  encoder.record_ = {role, "random", "", "", absl::StrCat("conv net width ", kWidth, ", ", resolution, "px -> ", embed_dim, "-d, seed ", seed)};
  return encoder;
}

torch::Tensor FrozenImageEncoder::embed(const torch::Tensor& images) const {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3 && images.size(2) == resolution_ && images.size(3) == resolution_,
              record_.role, " encoder expects [B, 3, ", resolution_, ", ", resolution_, "] images, got ", images.sizes());
  return net_->forward(images);
}

void FrozenImageEncoder::to(torch::ScalarType dtype) { net_->to(dtype); }

torch::Tensor cosine_distance(const torch::Tensor& x_embeddings, const torch::Tensor& y_embeddings) {
  TORCH_CHECK(x_embeddings.sizes() == y_embeddings.sizes(), "cosine_distance: embeddings ", x_embeddings.sizes(), " and ",
              y_embeddings.sizes(), " differ");
  // 1 - cos(a, b) = |a/|a| - b/|b||^2 / 2. Same value, but without subtracting two numbers near 1:
  // a good reconstruction has cos ~ 0.9999, where 1 - cos keeps only a few float32 digits.
  namespace F = torch::nn::functional;
  auto unit = [](const torch::Tensor& e) { return F::normalize(e, F::NormalizeFuncOptions().dim(1).eps(1e-12)); };
  return 0.5 * (unit(x_embeddings) - unit(y_embeddings)).pow(2).sum(1);
}

}  // namespace tetra::losses
