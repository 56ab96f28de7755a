// The same composer on CUDA and on CPU gives the same terms and gradients (skips without a GPU).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

#include "loss_test_support.h"
#include "losses/composer.h"
#include "model/heads.h"

namespace tetra::losses {
namespace {

TEST(LossesOnCuda, ComposerMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device visible: CUDA loss test skipped";
  LossOptions o;
  o.vgg.source = o.clip.source = "random";
  o.teacher.source = "batch";
  o.vgg.width_divisor = 8;
  o.vgg.resolution = o.clip.resolution = 32;
  o.video.lpips = "1";
  model::PatchSize patch{4, 8, 8, 3};
  auto targets = testing::pack_images({torch::rand({24, 40, 3}) * 2 - 1, torch::rand({32, 32, 3}) * 2 - 1}, patch);
  auto recon = targets.features + 0.2 * torch::randn(targets.features.sizes());
  auto mean = torch::randn({targets.num_tokens(), 4}), logvar = torch::randn({targets.num_tokens(), 4});
  auto pooled = torch::randn({2, 16}), text = torch::randn({2, 16}), teacher = torch::randn({2, 16});

  auto run = [&](const torch::Device& device, Modality modality) {
    std::ostringstream log;
    auto composer = std::move(*LossComposer::create(o, device, log));
    auto moved = targets.to(device);
    auto r = recon.to(device).requires_grad_(true);
    LossInputs in;
    in.targets = &moved;
    in.patch = patch;
    in.reconstruction = r;
    in.kl_per_token = model::gaussian_kl_per_token(mean.to(device), logvar.to(device));
    in.pooled = pooled.to(device);
    in.text_embeddings = text.to(device);
    in.teacher_embeddings = teacher.to(device);
    auto result = composer->compute(modality, in, 0);
    result.total.backward();
    std::vector<torch::Tensor> out{result.total.cpu(), r.grad().cpu()};
    for (const auto& t : result.terms) out.push_back(t.value.detach().cpu());
    return out;
  };
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);
  for (Modality m : {Modality::kImage, Modality::kVideo, Modality::k3d}) {
    auto cpu = run(torch::kCPU, m), cuda = run(torch::kCUDA, m);
    ASSERT_EQ(cpu.size(), cuda.size());
    for (size_t i = 0; i < cpu.size(); ++i)
      EXPECT_TRUE(testing::close_relative(cuda[i], cpu[i], 1e-4)) << common::modality_name(m) << " output " << i;
  }
}

}  // namespace
}  // namespace tetra::losses
