#include "data/text/torchscript_text_encoder.h"

#include <torch/script.h>

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace tetra::data {
namespace {

class TorchScriptTextEncoder : public TextEncoder {
 public:
  TorchScriptTextEncoder(torch::jit::Module module, std::string name)
      : module_(std::move(module)), name_(std::move(name)) {}

  absl::StatusOr<std::vector<float>> encode(const std::vector<std::string>& texts) override {
    torch::NoGradGuard no_grad;
    c10::List<std::string> input;
    for (const std::string& t : texts) input.push_back(t);
    torch::Tensor out;
    try {
      out = module_.forward({input}).toTensor().to(torch::kFloat).contiguous();
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat("text encoder ", name_, " failed: ", e.what()));
    }
    if (out.dim() != 2 || out.size(0) != static_cast<int64_t>(texts.size())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "text encoder ", name_, " returned shape ", c10::str(out.sizes()), " for ", texts.size(),
          " texts; expected [texts, width] (export it with scripts/export_text_encoder.py)"));
    }
    if (width_ == 0) width_ = out.size(1);
    if (out.size(1) != width_) {
      return absl::InternalError(absl::StrCat("text encoder ", name_, " changed width"));
    }
    const float* data = out.data_ptr<float>();
    return std::vector<float>(data, data + out.numel());
  }

  int64_t width() const override { return width_; }
  std::string name() const override { return name_; }

  absl::Status probe() { return encode({"a probe sentence"}).status(); }

 private:
  torch::jit::Module module_;
  std::string name_;
  int64_t width_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TextEncoder>> load_torchscript_text_encoder(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return absl::NotFoundError(absl::StrCat("text encoder '", path, "' does not exist; export one "
                                            "with scripts/export_text_encoder.py"));
  }
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, torch::kCPU);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot load text encoder '", path, "' as TorchScript: ", e.what()));
  }
  module.eval();
  auto encoder = std::make_unique<TorchScriptTextEncoder>(
      std::move(module), std::filesystem::path(path).filename().string());
  if (absl::Status s = encoder->probe(); !s.ok()) return s;
  return encoder;
}

}  // namespace tetra::data
