#include "losses/safetensors.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tetra::losses {
namespace {

const std::vector<std::pair<std::string, torch::ScalarType>>& dtype_names() {
  static const std::vector<std::pair<std::string, torch::ScalarType>> names = {
      {"F64", torch::kFloat64}, {"F32", torch::kFloat32}, {"F16", torch::kFloat16}, {"BF16", torch::kBFloat16},
      {"I64", torch::kInt64},   {"I32", torch::kInt32},   {"I16", torch::kInt16},   {"I8", torch::kInt8},
      {"U8", torch::kUInt8},    {"BOOL", torch::kBool}};
  return names;
}

std::string dtype_name(torch::ScalarType t) {
  for (const auto& [name, type] : dtype_names())
    if (type == t) return name;
  return c10::toString(t);
}

std::string shape_string(torch::IntArrayRef shape, torch::ScalarType dtype) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "] ", dtype_name(dtype));
}

uint64_t read_le64(const std::string& bytes) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  return n;
}

absl::StatusOr<torch::Tensor> parse_entry(const std::string& name, const nlohmann::json& entry, const char* data,
                                          uint64_t data_size, const std::string& origin) {
  auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": tensor '", name, "': ", what));
  };
  if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets"))
    return bad("header entry lacks dtype, shape or data_offsets");
  const std::string dtype = entry["dtype"].get<std::string>();
  auto found = std::find_if(dtype_names().begin(), dtype_names().end(), [&](const auto& p) { return p.first == dtype; });
  if (found == dtype_names().end()) return bad(absl::StrCat("unsupported dtype '", dtype, "'"));
  const std::vector<int64_t> shape = entry["shape"].get<std::vector<int64_t>>();
  const std::vector<uint64_t> offsets = entry["data_offsets"].get<std::vector<uint64_t>>();
  auto options = torch::TensorOptions().dtype(found->second);
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  const uint64_t expected = static_cast<uint64_t>(numel) * torch::elementSize(found->second);
  if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data_size || offsets[1] - offsets[0] != expected)
    return bad(absl::StrCat("data_offsets do not hold ", expected, " bytes inside the ", data_size, "-byte data section"));
  torch::Tensor t = torch::empty(shape, options);
  if (expected > 0) std::memcpy(t.data_ptr(), data + offsets[0], expected);
  return t;
}

}  // namespace

absl::StatusOr<TensorMap> parse_safetensors(const std::string& bytes, const std::string& origin) {
  if (bytes.size() < 8) return absl::InvalidArgumentError(absl::StrCat(origin, ": too short for a safetensors file"));
  const uint64_t header_size = read_le64(bytes);
  if (header_size > bytes.size() - 8)
    return absl::InvalidArgumentError(absl::StrCat(origin, ": header length ", header_size, " exceeds the file (",
                                                   bytes.size(), " bytes); not a safetensors file?"));
  nlohmann::json header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + header_size, nullptr, false);
  if (header.is_discarded() || !header.is_object())
    return absl::InvalidArgumentError(absl::StrCat(origin, ": header is not a JSON object; not a safetensors file?"));
  const char* data = bytes.data() + 8 + header_size;
  const uint64_t data_size = bytes.size() - 8 - header_size;
  TensorMap tensors;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    try {
      auto tensor = parse_entry(name, entry, data, data_size, origin);
      if (!tensor.ok()) return tensor.status();
      tensors.emplace(name, *tensor);
    } catch (const nlohmann::json::exception& e) {  // a field of the wrong JSON type
      return absl::InvalidArgumentError(absl::StrCat(origin, ": tensor '", name, "': malformed header entry: ", e.what()));
    }
  }
  return tensors;
}

std::string to_safetensors(const TensorMap& tensors) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& [name, tensor] : tensors) {
    auto cpu = tensor.detach().to(torch::kCPU).contiguous();
    const size_t begin = data.size();
    data.append(static_cast<const char*>(cpu.data_ptr()), cpu.nbytes());
    header[name] = {{"dtype", dtype_name(cpu.scalar_type())}, {"shape", cpu.sizes().vec()}, {"data_offsets", {begin, data.size()}}};
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the format pads the header to 8-byte alignment
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((static_cast<uint64_t>(text.size()) >> (8 * i)) & 0xff);
  return out + text + data;
}

absl::Status load_strict(const TensorMap& file, const std::vector<std::pair<std::string, torch::Tensor>>& expected,
                         const std::string& origin) {
  std::vector<std::string> errors;
  std::set<std::string> wanted;
  for (const auto& [name, dest] : expected) {
    wanted.insert(name);
    auto it = file.find(name);
    if (it == file.end()) {
      errors.push_back(absl::StrCat("missing key '", name, "' (model expects ", shape_string(dest.sizes(), dest.scalar_type()), ")"));
    } else if (it->second.sizes() != dest.sizes() || it->second.scalar_type() != dest.scalar_type()) {
      errors.push_back(absl::StrCat("key '", name, "': file has ", shape_string(it->second.sizes(), it->second.scalar_type()),
                                    ", model expects ", shape_string(dest.sizes(), dest.scalar_type())));
    }
  }
  for (const auto& [name, tensor] : file)
    if (!wanted.count(name))
      errors.push_back(absl::StrCat("unexpected key '", name, "' (", shape_string(tensor.sizes(), tensor.scalar_type()), ")"));
  if (!errors.empty())
    return absl::InvalidArgumentError(absl::StrCat(origin, " does not match the network:\n  ", absl::StrJoin(errors, "\n  ")));
  torch::NoGradGuard no_grad;
  for (const auto& [name, dest] : expected) dest.copy_(file.at(name));
  return absl::OkStatus();
}

}  // namespace tetra::losses
