#include "losses/frozen.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/files.h"

namespace tetra::losses {

std::string FrozenNetworkRecord::log_line() const {
  if (source == "random")
    return absl::StrCat("[losses] ", role, ": RANDOM weights (", detail,
                        "), selected explicitly by the config; values are not perceptual/semantic, smoke runs only");
  return absl::StrCat("[losses] ", role, ": ", path, " sha256 ", sha256, " (", detail, ")");
}

std::string records_json(const std::vector<FrozenNetworkRecord>& records) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : records)
    out.push_back({{"role", r.role}, {"source", r.source}, {"path", r.path}, {"sha256", r.sha256}, {"detail", r.detail}});
  return out.dump(2) + "\n";
}

absl::StatusOr<FileBytes> read_frozen_file(const std::string& path, const std::string& key) {
  absl::StatusOr<std::string> bytes = common::read_file(path);
  if (!bytes.ok()) return absl::Status(bytes.status().code(), absl::StrCat("key '", key, "': ", bytes.status().message()));
  FileBytes file{*std::move(bytes), ""};
  file.sha256 = common::sha256_hex(file.bytes);
  return file;
}

void freeze(torch::nn::Module& module) {
  module.eval();
  for (auto& p : module.parameters()) p.set_requires_grad(false);
}

}  // namespace tetra::losses
