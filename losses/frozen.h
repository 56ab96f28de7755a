// What every frozen network shares: its file is read once, hashed (SHA-256 of exactly the bytes
// that are parsed, so the logged hash is the hash of the weights in use), and its module is put in
// eval mode without parameter gradients, so it never reaches an optimizer or a checkpoint.
#pragma once
#include <string>
#include <vector>

#include <torch/nn/module.h>

#include "absl/status/statusor.h"

namespace tetra::losses {

// One frozen network of a run, for the log and the run directory.
struct FrozenNetworkRecord {
  std::string role;     // "vgg16", "lpips_heads", "clip", "teacher"
  std::string source;   // "file" or "random"
  std::string path;     // file source: the path as configured
  std::string sha256;   // file source: lowercase hex of the file
  std::string detail;   // e.g. "width/8, seed 0" or "TorchScript, 768-d output"

  std::string log_line() const;
};

// The records as a JSON array (the trainer stores it as frozen_networks.json in the run directory).
std::string records_json(const std::vector<FrozenNetworkRecord>& records);

struct FileBytes {
  std::string bytes;
  std::string sha256;
};
// `key` is the config key that named the file, for the error message. The hash is
// common::sha256_hex of `bytes`.
absl::StatusOr<FileBytes> read_frozen_file(const std::string& path, const std::string& key);

// eval() and requires_grad(false) on every parameter: inputs still get gradients through it.
void freeze(torch::nn::Module& module);

}  // namespace tetra::losses
