#include "losses/frozen.h"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

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

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) hex += absl::StrFormat("%02x", digest[i]);
  return hex;
}

absl::StatusOr<FileBytes> read_frozen_file(const std::string& path, const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("key '", key, "': cannot read '", path, "'"));
  std::ostringstream content;
  content << in.rdbuf();
  FileBytes file{content.str(), ""};
  file.sha256 = sha256_hex(file.bytes);
  return file;
}

void freeze(torch::nn::Module& module) {
  module.eval();
  for (auto& p : module.parameters()) p.set_requires_grad(false);
}

}  // namespace tetra::losses
