// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets: [begin, end)}, "__metadata__": {...}}, then the raw
// little-endian tensor bytes. Frozen networks defined in C++ (VGG16, LPIPS heads) load from it.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tetra::losses {

using TensorMap = std::map<std::string, torch::Tensor>;

// Parses a whole file's bytes; tensors are CPU copies. `origin` names the file in errors.
absl::StatusOr<TensorMap> parse_safetensors(const std::string& bytes, const std::string& origin);
// The inverse (CPU, contiguous copies); used by tests and by tools that write small networks.
std::string to_safetensors(const TensorMap& tensors);

// Copies `file` into `expected` (name -> destination tensor) strictly: every expected key must be
// present with the same shape and dtype, and the file may hold no other key. All problems are
// reported at once; each names the key and both shapes.
absl::Status load_strict(const TensorMap& file, const std::vector<std::pair<std::string, torch::Tensor>>& expected,
                         const std::string& origin);

}  // namespace tetra::losses
