#include "losses/terms.h"

#include <torch/torch.h>

#include "losses/frames.h"
#include "losses/reconstruction.h"

namespace tetra::losses {

const torch::Tensor& TermContext::images(bool reconstruction, int64_t side) {
  auto key = std::make_pair(reconstruction, side);
  auto it = images_.find(key);
  if (it != images_.end()) return it->second;
  TORCH_CHECK(inputs.targets != nullptr, "loss inputs: a term needs images but `targets` is not set");
  const auto& features = reconstruction ? inputs.reconstruction : inputs.targets->features;
  TORCH_CHECK(features.defined(), "loss inputs: a term needs the reconstruction, which is not set");
  torch::Tensor batch;
  if (reconstruction) {
    batch = frames_as_images(features, *inputs.targets, inputs.patch, side);
  } else {
    torch::NoGradGuard no_grad;
    batch = frames_as_images(features, *inputs.targets, inputs.patch, side);
  }
  return images_.emplace(key, batch.to(torch::kFloat)).first->second;
}

const std::vector<torch::Tensor>& TermContext::vgg_features(bool reconstruction) {
  auto it = vgg_.find(reconstruction);
  if (it != vgg_.end()) return it->second;
  auto scaled = lpips_input_scaling(images(reconstruction, networks.vgg_resolution));
  std::vector<torch::Tensor> features;
  if (reconstruction) {
    features = networks.vgg->forward(scaled);
  } else {
    torch::NoGradGuard no_grad;  // targets need no gradient: no autograd graph through VGG for them
    features = networks.vgg->forward(scaled);
  }
  return vgg_.emplace(reconstruction, std::move(features)).first->second;
}

torch::Tensor l1_term(TermContext& c) {
  TORCH_CHECK(c.inputs.targets != nullptr, "loss inputs: L1 needs `targets`");
  return l1_reconstruction(c.inputs.reconstruction, c.inputs.targets->features, *c.inputs.targets, c.inputs.patch);
}

torch::Tensor kl_term(TermContext& c) { return kl_mean(c.inputs.kl_per_token); }

torch::Tensor lpips_term(TermContext& c) {
  return lpips_distance(c.vgg_features(true), c.vgg_features(false), c.networks.lpips_heads).mean();
}

torch::Tensor gram_term(TermContext& c) {
  return gram_distance(c.vgg_features(true), c.vgg_features(false)).mean();
}

torch::Tensor clip_term(TermContext& c) {
  const auto& encoder = *c.networks.clip;
  auto reconstructed = encoder.embed(c.images(true, encoder.resolution()));
  torch::Tensor target;
  {
    torch::NoGradGuard no_grad;
    target = encoder.embed(c.images(false, encoder.resolution()));
  }
  return cosine_distance(reconstructed, target).mean();
}

torch::Tensor DistillTerm::compute(TermContext& c) {
  torch::Tensor teacher = c.inputs.teacher_embeddings;
  if (c.networks.teacher) {
    torch::NoGradGuard no_grad;
    teacher = c.networks.teacher->embed(c.images(false, c.networks.teacher->resolution()));
  }
  TORCH_CHECK(teacher.defined(), "loss inputs: distillation with loss.teacher.source = batch needs `teacher_embeddings`");
  TORCH_CHECK(c.inputs.text_embeddings.defined(), "loss inputs: distillation needs `text_embeddings`");
  const auto& global = c.inputs.global_text_embeddings;
  return distillation_kl(c.inputs.pooled, teacher.to(c.inputs.pooled.scalar_type()),
                         global.defined() ? global : c.inputs.text_embeddings, temperature_, scale_,
                         global.defined() ? global.size(0) : 0);
}

torch::Tensor SigLipTerm::compute(TermContext& c) {
  TORCH_CHECK(c.inputs.text_embeddings.defined(), "loss inputs: the SigLIP loss needs `text_embeddings`");
  if (c.inputs.global_text_embeddings.defined())
    return loss_->forward(c.inputs.pooled, c.inputs.global_text_embeddings, c.inputs.global_first_row);
  return loss_->forward(c.inputs.pooled, c.inputs.text_embeddings);
}

}  // namespace tetra::losses
