#include "losses/frozen_networks.h"

#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "losses/schedule.h"

namespace tetra::losses {
namespace {

absl::Status missing_path(const std::string& key, const std::vector<std::string>& needed_by, const std::string& what,
                          const std::string& how) {
  return absl::InvalidArgumentError(absl::StrCat("key '", key, "' is empty, but ", absl::StrJoin(needed_by, ", "),
                                                 " need", needed_by.size() == 1 ? "s " : " ", what, ". ", how,
                                                 " (nothing is downloaded)"));
}

// Reads, hashes and strictly loads one safetensors file into `destination`.
template <class Module>
absl::Status load_file(Module& destination, const std::string& path, const std::string& key, const std::string& role,
                       const std::string& detail, std::vector<FrozenNetworkRecord>* records) {
  auto file = read_frozen_file(path, key);
  if (!file.ok()) return file.status();
  const std::string origin = absl::StrCat("'", path, "' (", key, ")");
  auto tensors = parse_safetensors(file->bytes, origin);
  if (!tensors.ok()) return tensors.status();
  if (auto status = destination->load_weights(*tensors, origin); !status.ok()) return status;
  records->push_back({role, "file", path, file->sha256, detail});
  return absl::OkStatus();
}

absl::Status load_vgg(const LossOptions& o, bool heads, const std::vector<std::string>& users, FrozenNetworks* nets,
                      std::vector<FrozenNetworkRecord>* records) {
  const Vgg16Options vgg_options{o.vgg.width_divisor};
  nets->vgg = Vgg16Features(vgg_options);
  nets->vgg_resolution = o.vgg.resolution;
  if (heads) nets->lpips_heads = LpipsHeads(vgg_options.channels());
  const std::string detail = absl::StrCat("VGG16 channels / ", o.vgg.width_divisor, ", inputs ", o.vgg.resolution, "px");
  if (o.vgg.source == "random") {
    nets->vgg->randomize(o.vgg.seed);
    records->push_back({"vgg16", "random", "", "", absl::StrCat(detail, ", seed ", o.vgg.seed)});
    if (heads) {
      nets->lpips_heads->randomize(o.vgg.seed + 1);
      records->push_back({"lpips_heads", "random", "", "", absl::StrCat("uniform [0, 2/C), seed ", o.vgg.seed + 1)});
    }
    return absl::OkStatus();
  }
  if (o.vgg.weights.empty())
    return missing_path("loss.vgg.weights", users, "VGG16 weights",
                        "Export them with scripts/export_vgg16.py, or set loss.vgg.source: random for a smoke run");
  if (auto s = load_file(nets->vgg, o.vgg.weights, "loss.vgg.weights", "vgg16", detail, records); !s.ok()) return s;
  if (!heads) return absl::OkStatus();
  if (o.vgg.heads.empty())
    return missing_path("loss.vgg.heads", term_keys_in_use(o, &TermWeights::lpips, "lpips"), "the LPIPS linear heads",
                        "Export them with scripts/export_lpips_heads.py (from the lpips package)");
  return load_file(nets->lpips_heads, o.vgg.heads, "loss.vgg.heads", "lpips_heads", "5 layers", records);
}

absl::StatusOr<FrozenImageEncoder> load_encoder(const EncoderNetworkOptions& e, const char* role,
                                                const std::vector<std::string>& users, const torch::Device& device) {
  if (e.source == "random") return FrozenImageEncoder::random(role, e.resolution, e.embed_dim, e.seed, device);
  const std::string key = absl::StrCat("loss.", role, ".path");
  if (e.path.empty())
    return missing_path(key, users, absl::StrCat("a TorchScript ", role, " image encoder"),
                        absl::StrCat("Export one with scripts/export_image_encoder.py, or set loss.", role,
                                     ".source: random for a smoke run"));
  return FrozenImageEncoder::load_torchscript(e.path, key, role, e.resolution, device);
}

template <class Module>
void freeze_on(Module& module, const torch::Device& device) {
  if (!module) return;
  module->to(device);
  freeze(*module);
}

}  // namespace

absl::StatusOr<FrozenNetworks> load_frozen_networks(const LossOptions& o, const torch::Device& device,
                                                    std::vector<FrozenNetworkRecord>* records) {
  FrozenNetworks nets;
  auto vgg_users = term_keys_in_use(o, &TermWeights::lpips, "lpips");
  const bool heads = !vgg_users.empty();
  for (auto& key : term_keys_in_use(o, &TermWeights::gram, "gram")) vgg_users.push_back(key);
  if (!vgg_users.empty()) {
    if (auto status = load_vgg(o, heads, vgg_users, &nets, records); !status.ok()) return status;
    freeze_on(nets.vgg, device);
    freeze_on(nets.lpips_heads, device);
  }
  if (auto users = term_keys_in_use(o, &TermWeights::clip, "clip"); !users.empty()) {
    auto clip = load_encoder(o.clip, "clip", users, device);
    if (!clip.ok()) return clip.status();
    records->push_back(clip->record());
    nets.clip = std::move(*clip);
  }
  if (auto users = term_keys_in_use(o, &TermWeights::distill, "distill"); !users.empty() && o.teacher.source != "batch") {
    auto teacher = load_encoder(o.teacher, "teacher", users, device);
    if (!teacher.ok()) return teacher.status();
    records->push_back(teacher->record());
    nets.teacher = std::move(*teacher);
  }
  return nets;
}

}  // namespace tetra::losses
