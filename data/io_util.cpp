#include "data/io_util.h"

namespace tetra::data {

absl::StatusOr<std::vector<uint8_t>> ReadFileBytes(const std::string& path) {
  absl::StatusOr<std::string> text = common::read_file(path);
  if (!text.ok()) return text.status();
  return std::vector<uint8_t>(text->begin(), text->end());
}

std::string ReadTextOrEmpty(const std::string& path) {
  absl::StatusOr<std::string> text = common::read_file(path);
  return text.ok() ? *std::move(text) : std::string();
}

}  // namespace tetra::data
