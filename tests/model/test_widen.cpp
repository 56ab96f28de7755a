#include <gtest/gtest.h>
#include <torch/torch.h>

#include "model/widen.h"

namespace tetra::model {
namespace {

TEST(Widen, OutputsUnchangedAtTheMomentOfWidening) {
  torch::manual_seed(3);
  TokenizerOptions o;
  apply_preset("tiny", &o);
  o.latent_channels = 4;
  o.patch = PatchSize{4, 8, 8, 3};
  Tokenizer model(o);
  model->eval();
  auto batch = pack({patchify(torch::rand({1, 16, 24, 3}), o.patch), patchify(torch::rand({1, 8, 8, 3}), o.patch)});
  ForwardOptions run;
  run.sample_latent = false;
  auto before = model->forward(batch, run);
  auto* weight = model->bottleneck->proj->weight.unsafeGetTensorImpl();
  auto widened = widen_latent_channels(model, 6);
  EXPECT_EQ(model->bottleneck->proj->weight.unsafeGetTensorImpl(), weight) << "parameter identity must survive";
  EXPECT_EQ(widened.size(), 3u);
  auto after = model->forward(batch, run);
  EXPECT_EQ(after.latent.mean.size(1), 6);
  EXPECT_TRUE(torch::allclose(after.reconstruction, before.reconstruction, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(after.kl_per_token, before.kl_per_token, 1e-5, 1e-6))
      << after.kl_per_token.slice(0, 0, 4) << before.kl_per_token.slice(0, 0, 4);
  EXPECT_TRUE(torch::allclose(after.latent.mean.narrow(1, 0, 4), before.latent.mean, 1e-5, 1e-6));
  EXPECT_EQ(after.latent.mean.narrow(1, 4, 2).abs().max().item<float>(), 0.0f);
  EXPECT_EQ(after.latent.logvar.narrow(1, 4, 2).abs().max().item<float>(), 0.0f);
  // With noise, the new channels are N(0, 1) but the decoder ignores them: still unchanged.
  ForwardOptions noisy;
  noisy.generator = at::make_generator<at::CPUGeneratorImpl>(1);
  EXPECT_TRUE(torch::allclose(model->forward(batch, noisy).reconstruction.narrow(0, 0, 1),
                              model->forward(batch, run).reconstruction.narrow(0, 0, 1), 10.0, 10.0));
}

TEST(Widen, OptimizerStateWidensWithTheSameLayout) {
  TokenizerOptions o;
  apply_preset("tiny", &o);
  o.latent_channels = 2;
  o.patch = PatchSize{1, 4, 4, 3};
  Tokenizer model(o);
  auto old_weight = model->bottleneck->proj->weight.detach().clone();  // [4, d]: mu0 mu1 lv0 lv1
  auto widened = widen_latent_channels(model, 3);                      // [6, d]: mu0 mu1 0 lv0 lv1 0
  auto moment = widened[0].widen_like(old_weight);
  EXPECT_TRUE(torch::equal(moment, model->bottleneck->proj->weight.detach()));
  EXPECT_TRUE(torch::equal(moment[3], old_weight[2]));
  EXPECT_EQ(moment[2].abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(moment[5].abs().sum().item<float>(), 0.0f);
  EXPECT_THROW(widen_latent_channels(model, 2), c10::Error);
}

}  // namespace
}  // namespace tetra::model
