// The frozen text encoder used at pack time (SPEC 3: text embeddings can be computed once, when
// packing). An interface so tetra_data stays torch-free; the TorchScript implementation lives in
// data/text (library tetra_data_text).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tetra::data {

class TextEncoder {
 public:
  virtual ~TextEncoder() = default;
  // Row-major [texts.size(), width()] embeddings.
  virtual absl::StatusOr<std::vector<float>> encode(const std::vector<std::string>& texts) = 0;
  virtual int64_t width() const = 0;
  virtual std::string name() const = 0;  // recorded in the shard's /text@encoder
};

}  // namespace tetra::data
