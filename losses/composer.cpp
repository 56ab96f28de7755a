#include "losses/composer.h"

#include <torch/torch.h>

#include <ostream>

#include "absl/strings/str_cat.h"

namespace tetra::losses {
namespace {

WeightSchedule schedule_of(const std::string& text) {
  return *WeightSchedule::parse(text);  // validate() has checked every weight already
}

}  // namespace

absl::StatusOr<std::unique_ptr<LossComposer>> LossComposer::create(const LossOptions& options, const torch::Device& device,
                                                                    std::ostream& log, SigLipLoss siglip) {
  if (auto status = validate(options); !status.ok()) return status;
  std::unique_ptr<LossComposer> composer(new LossComposer());
  composer->rec_weight_ = schedule_of(options.rec_weight);
  composer->sem_weight_ = schedule_of(options.sem_weight);
  composer->kl_weight_ = schedule_of(options.kl_weight);
  auto networks = load_frozen_networks(options, device, &composer->records_);
  if (!networks.ok()) return networks.status();
  composer->networks_ = std::move(*networks);
  if (!term_keys_in_use(options, &TermWeights::siglip, "siglip").empty()) {
    composer->siglip_ =
        siglip ? siglip : SigLipLoss(SigLipLossOptions{options.siglip_logit_scale, options.siglip_logit_bias});
    composer->siglip_->to(device);
  }
  for (Modality m : common::kAllModalities) composer->add_terms(m, weights_of(options, m), options);
  for (const auto& r : composer->records_) log << r.log_line() << "\n";
  return composer;
}

void LossComposer::add_terms(Modality m, const TermWeights& w, const LossOptions& o) {
  auto& list = terms_[static_cast<int>(m)];
  auto add = [&](const char* term, Group group, const std::string& weight, std::shared_ptr<Term> t) {
    WeightSchedule schedule = schedule_of(weight);
    if (!schedule.always_zero()) list.push_back({absl::StrCat(common::modality_name(m), "/", term), group, schedule, std::move(t)});
  };
  add("l1", Group::kRec, w.l1, std::make_shared<FunctionTerm>(l1_term));
  add("lpips", Group::kRec, w.lpips, std::make_shared<FunctionTerm>(lpips_term));
  add("gram", Group::kRec, w.gram, std::make_shared<FunctionTerm>(gram_term));
  add("clip", Group::kRec, w.clip, std::make_shared<FunctionTerm>(clip_term));
  add("distill", Group::kSem, w.distill, std::make_shared<DistillTerm>(o.distill_temperature, o.distill_scale));
  if (siglip_) add("siglip", Group::kSem, w.siglip, std::make_shared<SigLipTerm>(siglip_));
  list.push_back({absl::StrCat(common::modality_name(m), "/kl"), Group::kKl, WeightSchedule::constant(1.0), std::make_shared<FunctionTerm>(kl_term)});
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
    const bool block = t.group == Group::kSem && inputs.global_text_embeddings.defined();
    const double scaled = weight * (block ? 1.0 : inputs.share);
    result.total = result.total.defined() ? result.total + scaled * value : scaled * value;
    result.terms.push_back({t.name, value, weight, block});
  }
  if (!result.total.defined()) {
    auto any = inputs.reconstruction.defined() ? inputs.reconstruction : inputs.pooled.defined() ? inputs.pooled : inputs.kl_per_token;
    result.total = torch::zeros({}, any.defined() ? any.options().dtype(torch::kFloat) : torch::TensorOptions());
  }
  return result;
}

}  // namespace tetra::losses
