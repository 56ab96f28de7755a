// A TorchScript text encoder file as written by scripts/export_text_encoder.py: forward(List[str])
// -> Tensor[B, D]. Loaded on the CPU; the only part of tetra-data that needs LibTorch.
#pragma once
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "data/pack/text_encoder.h"

namespace tetra::data {

absl::StatusOr<std::unique_ptr<TextEncoder>> load_torchscript_text_encoder(const std::string& path);

}  // namespace tetra::data
