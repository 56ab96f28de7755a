#include "losses/composer.h"

#include <torch/torch.h>

#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tetra::losses {
namespace {

constexpr Modality kModalities[] = {Modality::kImage, Modality::kVideo, Modality::kAsset3d};

const TermWeights& weights_of(const LossOptions& o, Modality m) {
  return m == Modality::kImage ? o.image : m == Modality::kVideo ? o.video : o.asset3d;
}

WeightSchedule schedule_of(const std::string& text) {
  return *WeightSchedule::parse(text);  // validate() has checked every weight already
}

// Config keys ("loss.image.lpips") of the active weights of one term, to say who needs a network.
std::vector<std::string> active_keys(const LossOptions& o, std::string TermWeights::*field, const char* term) {
  std::vector<std::string> keys;
  for (Modality m : kModalities) {
    const TermWeights& w = weights_of(o, m);
    // A term that is not a key of this modality keeps its default "0".
    if (!schedule_of(w.*field).always_zero()) keys.push_back(absl::StrCat("loss.", modality_name(m), ".", term));
  }
  return keys;
}

absl::Status missing_path(const std::string& key, const std::vector<std::string>& needed_by, const std::string& what,
                          const std::string& how) {
  return absl::InvalidArgumentError(absl::StrCat("key '", key, "' is empty, but ", absl::StrJoin(needed_by, ", "),
                                                 " need", needed_by.size() == 1 ? "s " : " ", what, ". ", how,
                                                 " (nothing is downloaded)"));
}

absl::StatusOr<TensorMap> read_safetensors(const std::string& path, const std::string& key, std::string* sha256) {
  auto file = read_frozen_file(path, key);
  if (!file.ok()) return file.status();
  *sha256 = file->sha256;
  return parse_safetensors(file->bytes, absl::StrCat("'", path, "' (", key, ")"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<LossComposer>> LossComposer::create(const LossOptions& options, const torch::Device& device,
                                                                    std::ostream& log) {
  if (auto status = validate(options); !status.ok()) return status;
  std::unique_ptr<LossComposer> composer(new LossComposer());
  composer->rec_weight_ = schedule_of(options.rec_weight);
  composer->sem_weight_ = schedule_of(options.sem_weight);
  composer->kl_weight_ = schedule_of(options.kl_weight);
  if (auto status = composer->load_networks(options, device); !status.ok()) return status;
  for (Modality m : kModalities) composer->add_terms(m, weights_of(options, m), options);
  for (const auto& r : composer->records_) log << r.log_line() << "\n";
  return composer;
}

absl::Status LossComposer::load_networks(const LossOptions& o, const torch::Device& device) {
  const auto lpips_keys = active_keys(o, &TermWeights::lpips, "lpips");
  const auto gram_keys = active_keys(o, &TermWeights::gram, "gram");
  const auto clip_keys = active_keys(o, &TermWeights::clip, "clip");
  const bool need_teacher = !schedule_of(o.image.distill).always_zero() && o.teacher.source != "batch";

  if (!lpips_keys.empty() || !gram_keys.empty()) {
    const Vgg16Options vgg_options{o.vgg.width_divisor};
    networks_.vgg = Vgg16Features(vgg_options);
    networks_.vgg_resolution = o.vgg.resolution;
    if (!lpips_keys.empty()) networks_.lpips_heads = LpipsHeads(vgg_options.channels());
    const std::string detail = absl::StrCat("VGG16 channels / ", o.vgg.width_divisor, ", inputs ", o.vgg.resolution, "px");
    if (o.vgg.source == "random") {
      networks_.vgg->randomize(o.vgg.seed);
      records_.push_back({"vgg16", "random", "", "", absl::StrCat(detail, ", seed ", o.vgg.seed)});
      if (networks_.lpips_heads) {
        networks_.lpips_heads->randomize(o.vgg.seed + 1);
        records_.push_back({"lpips_heads", "random", "", "", absl::StrCat("uniform [0, 2/C), seed ", o.vgg.seed + 1)});
      }
    } else {
      auto users = lpips_keys;
      users.insert(users.end(), gram_keys.begin(), gram_keys.end());
      if (o.vgg.weights.empty())
        return missing_path("loss.vgg.weights", users, "VGG16 weights",
                            "Export them with scripts/export_vgg16.py, or set loss.vgg.source: random for a smoke run");
      std::string sha;
      auto file = read_safetensors(o.vgg.weights, "loss.vgg.weights", &sha);
      if (!file.ok()) return file.status();
      if (auto s = networks_.vgg->load_weights(*file, absl::StrCat("'", o.vgg.weights, "' (loss.vgg.weights)")); !s.ok()) return s;
      records_.push_back({"vgg16", "file", o.vgg.weights, sha, detail});
      if (networks_.lpips_heads) {
        if (o.vgg.heads.empty())
          return missing_path("loss.vgg.heads", lpips_keys, "the LPIPS linear heads",
                              "Export them with scripts/export_lpips_heads.py (from the lpips package)");
        auto heads = read_safetensors(o.vgg.heads, "loss.vgg.heads", &sha);
        if (!heads.ok()) return heads.status();
        if (auto s = networks_.lpips_heads->load_weights(*heads, absl::StrCat("'", o.vgg.heads, "' (loss.vgg.heads)")); !s.ok()) return s;
        records_.push_back({"lpips_heads", "file", o.vgg.heads, sha, "5 layers"});
      }
    }
    networks_.vgg->to(device);
    freeze(*networks_.vgg);
    if (networks_.lpips_heads) {
      networks_.lpips_heads->to(device);
      freeze(*networks_.lpips_heads);
    }
  }

  auto encoder = [&](const EncoderNetworkOptions& e, const char* role,
                     const std::vector<std::string>& users) -> absl::StatusOr<FrozenImageEncoder> {
    if (e.source == "random") return FrozenImageEncoder::random(role, e.resolution, e.embed_dim, e.seed, device);
    const std::string key = absl::StrCat("loss.", role, ".path");
    if (e.path.empty())
      return missing_path(key, users, absl::StrCat("a TorchScript ", role, " image encoder"),
                          absl::StrCat("Export one with scripts/export_image_encoder.py, or set loss.", role,
                                       ".source: random for a smoke run"));
    return FrozenImageEncoder::load_torchscript(e.path, key, role, e.resolution, device);
  };
  if (!clip_keys.empty()) {
    auto clip = encoder(o.clip, "clip", clip_keys);
    if (!clip.ok()) return clip.status();
    networks_.clip = std::move(*clip);
    records_.push_back(networks_.clip->record());
  }
  if (need_teacher) {
    auto teacher = encoder(o.teacher, "teacher", {"loss.image.distill"});
    if (!teacher.ok()) return teacher.status();
    networks_.teacher = std::move(*teacher);
    records_.push_back(networks_.teacher->record());
  }
  if (!active_keys(o, &TermWeights::siglip, "siglip").empty()) {
    siglip_ = SigLipLoss(SigLipLossOptions{o.siglip_logit_scale, o.siglip_logit_bias});
    siglip_->to(device);
  }
  return absl::OkStatus();
}

void LossComposer::add_terms(Modality m, const TermWeights& w, const LossOptions& o) {
  auto& list = terms_[static_cast<int>(m)];
  auto add = [&](const char* term, Group group, const std::string& weight, std::shared_ptr<Term> t) {
    WeightSchedule schedule = schedule_of(weight);
    if (!schedule.always_zero()) list.push_back({absl::StrCat(modality_name(m), "/", term), group, schedule, std::move(t)});
  };
  add("l1", Group::kRec, w.l1, std::make_shared<L1Term>());
  add("lpips", Group::kRec, w.lpips, std::make_shared<LpipsTerm>());
  add("gram", Group::kRec, w.gram, std::make_shared<GramTerm>());
  add("clip", Group::kRec, w.clip, std::make_shared<ClipTerm>());
  add("distill", Group::kSem, w.distill, std::make_shared<DistillTerm>(o.distill_temperature, o.distill_scale));
  if (siglip_) add("siglip", Group::kSem, w.siglip, std::make_shared<SigLipTerm>(siglip_));
  list.push_back({absl::StrCat(modality_name(m), "/kl"), Group::kKl, WeightSchedule::constant(1.0), std::make_shared<KlTerm>()});
}

bool LossComposer::group_has_inputs(Group group, const LossInputs& in) {
  switch (group) {
    case Group::kRec: return in.reconstruction.defined();
    case Group::kSem: return in.pooled.defined();
    case Group::kKl: return in.kl_per_token.defined();
  }
  return false;
}

LossResult LossComposer::compute(Modality modality, const LossInputs& inputs, int64_t step) {
  TermContext context(inputs, networks_);
  LossResult result;
  for (const auto& t : terms_[static_cast<int>(modality)]) {
    if (!group_has_inputs(t.group, inputs)) continue;
    const WeightSchedule& group = t.group == Group::kRec ? rec_weight_ : t.group == Group::kSem ? sem_weight_ : kl_weight_;
    const double weight = group.at(step) * t.weight.at(step);
    if (weight == 0.0) continue;  // a schedule at zero costs nothing, not even the networks' passes
    auto value = t.term->compute(context);
    result.total = result.total.defined() ? result.total + weight * value : weight * value;
    result.terms.push_back({t.name, value, weight});
  }
  if (!result.total.defined()) {
    auto any = inputs.reconstruction.defined() ? inputs.reconstruction : inputs.pooled.defined() ? inputs.pooled : inputs.kl_per_token;
    result.total = torch::zeros({}, any.defined() ? any.options().dtype(torch::kFloat) : torch::TensorOptions());
  }
  return result;
}

}  // namespace tetra::losses
