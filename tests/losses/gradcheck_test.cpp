// Gradient checks in double precision: every loss's autograd gradient against central finite
// differences (loss_test_support.h), with respect to every input the loss differentiates.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "loss_test_support.h"
#include "losses/frames.h"
#include "losses/image_encoder.h"
#include "losses/perceptual.h"
#include "losses/reconstruction.h"
#include "losses/semantic.h"
#include "losses/vgg.h"
#include "model/heads.h"

namespace tetra::losses {
namespace {

using testing::expect_gradients_match_finite_differences;
using Inputs = std::vector<torch::Tensor>;

torch::Tensor pixels(std::vector<int64_t> shape, uint64_t seed) {
  auto generator = at::detail::createCPUGenerator(seed);
  return torch::rand(shape, generator, torch::kDouble) * 2 - 1;
}

struct DoubleVgg {
  Vgg16Features vgg{Vgg16Options{16}};
  LpipsHeads heads{Vgg16Options{16}.channels()};
  DoubleVgg() {
    vgg->randomize(3);
    heads->randomize(4);
    vgg->to(torch::kDouble);
    heads->to(torch::kDouble);
    freeze(*vgg);
    freeze(*heads);
  }
  // Resized to 16 px: the smallest side that survives VGG's four 2x2 max-pools.
  std::vector<torch::Tensor> features(const torch::Tensor& images) {
    return vgg->forward(lpips_input_scaling(resize_square(images, 16)));
  }
};

TEST(GradCheck, L1OverPackedTokens) {
  model::PatchSize patch{4, 4, 4, 3};
  auto target = testing::pack_images({pixels({8, 12, 3}, 1), pixels({4, 4, 3}, 2)}, patch);
  auto recon = target.features + 0.5 * pixels(target.features.sizes().vec(), 3);
  expect_gradients_match_finite_differences(
      [&](const Inputs& in) { return l1_reconstruction(in[0], target.features, target, patch); }, {recon});
}

TEST(GradCheck, KlMean) {
  expect_gradients_match_finite_differences(
      [](const Inputs& in) { return kl_mean(model::gaussian_kl_per_token(in[0], in[1])); },
      {pixels({6, 5}, 4), pixels({6, 5}, 5)});
}

TEST(GradCheck, LpipsThroughResizeAndVgg) {
  DoubleVgg net;
  auto y = pixels({2, 3, 20, 24}, 7);
  auto fy = net.features(y);
  expect_gradients_match_finite_differences(
      [&](const Inputs& in) { return lpips_distance(net.features(in[0]), fy, net.heads).mean(); }, {pixels({2, 3, 20, 24}, 6)});
}

TEST(GradCheck, GramThroughResizeAndVgg) {
  DoubleVgg net;
  auto fy = net.features(pixels({2, 3, 20, 24}, 9));
  expect_gradients_match_finite_differences(
      [&](const Inputs& in) { return gram_distance(net.features(in[0]), fy).mean(); }, {pixels({2, 3, 20, 24}, 8)});
}

TEST(GradCheck, ClipPerceptualRandomAndTorchScriptEncoders) {
  auto random = FrozenImageEncoder::random("clip", 16, 12, 0, torch::kCPU);
  random.to(torch::kDouble);
  auto script = FrozenImageEncoder::load_torchscript(testing::golden_path("clip_encoder.pt"), "loss.clip.path", "clip", 16,
                                                     torch::kCPU);
  ASSERT_TRUE(script.ok()) << script.status();
  script->to(torch::kDouble);
  for (const FrozenImageEncoder* encoder : {&random, &*script}) {
    auto target = encoder->embed(pixels({2, 3, 16, 16}, 11));
    expect_gradients_match_finite_differences(
        [&](const Inputs& in) { return cosine_distance(encoder->embed(in[0]), target).mean(); }, {pixels({2, 3, 16, 16}, 10)});
  }
}

TEST(GradCheck, Distillation) {
  auto teacher = pixels({5, 8}, 13), text = pixels({5, 8}, 14);
  expect_gradients_match_finite_differences(
      [&](const Inputs& in) { return distillation_kl(in[0], teacher, text, 2.0, 10.0); }, {pixels({5, 8}, 12)});
}

TEST(GradCheck, SigLipInputsAndLogitParameters) {
  expect_gradients_match_finite_differences(
      [](const Inputs& in) { return siglip_loss(in[0], in[1], in[2], in[3]); },
      {pixels({6, 8}, 15), pixels({6, 8}, 16), torch::full({1}, 1.2, torch::kDouble), torch::full({1}, -1.5, torch::kDouble)});
}

}  // namespace
}  // namespace tetra::losses
