#include "data/util/io_util.h"

#include "common/status_macros.h"

namespace tetra::data {

absl::StatusOr<std::vector<uint8_t>> ReadFileBytes(const std::string& path) {
  TETRA_ASSIGN_OR_RETURN(std::string text, common::read_file(path));
  return std::vector<uint8_t>(text.begin(), text.end());
}

std::string ReadTextOrEmpty(const std::string& path) {
  absl::StatusOr<std::string> text = common::read_file(path);
  return text.ok() ? *std::move(text) : std::string();
}

}  // namespace tetra::data
