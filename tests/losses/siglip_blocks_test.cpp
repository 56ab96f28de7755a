// SigLIP in row blocks (losses/semantic.h): what data-parallel ranks compute, each with its own rows
// against every rank's texts, must add up to the one-process loss and its gradients.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "losses/semantic.h"

namespace tetra::losses {
namespace {

TEST(SigLipBlocks, BlocksAddUpToTheWholeLossAndGradients) {
  torch::manual_seed(3);
  auto image = torch::randn({7, 16}, torch::kDouble).requires_grad_();
  auto text = torch::randn({7, 16}, torch::kDouble);
  auto scale = torch::full({1}, 1.5, torch::kDouble).requires_grad_();
  auto bias = torch::full({1}, -2.0, torch::kDouble).requires_grad_();
  auto whole = siglip_loss(image, text, scale, bias);
  auto grads = torch::autograd::grad({whole}, {image, scale, bias});

  // Three "ranks" with uneven batches: rows 0-2, 3, 4-6.
  torch::Tensor sum;
  std::vector<torch::Tensor> image_grads;
  auto scale_grad = torch::zeros({1}, torch::kDouble), bias_grad = torch::zeros({1}, torch::kDouble);
  for (auto [first, rows] : {std::pair<int64_t, int64_t>{0, 3}, {3, 1}, {4, 3}}) {
    auto block = image.detach().narrow(0, first, rows).clone().requires_grad_();
    auto part = siglip_loss(block, text, scale, bias, first);
    auto g = torch::autograd::grad({part}, {block, scale, bias});
    image_grads.push_back(g[0]);
    scale_grad += g[1];
    bias_grad += g[2];
    sum = sum.defined() ? sum + part.detach() : part.detach();
  }
  EXPECT_NEAR(sum.item<double>(), whole.item<double>(), 1e-12);
  EXPECT_TRUE(torch::allclose(torch::cat(image_grads), grads[0], 1e-12, 1e-12));
  EXPECT_NEAR(scale_grad.item<double>(), grads[1].item<double>(), 1e-12);
  EXPECT_NEAR(bias_grad.item<double>(), grads[2].item<double>(), 1e-12);
}

TEST(DistillBlocks, BlocksAddUpToTheWholeLossAndGradients) {
  torch::manual_seed(4);
  auto student = torch::randn({5, 8}, torch::kDouble).requires_grad_();
  auto teacher = torch::randn({5, 8}, torch::kDouble);
  auto text = torch::randn({5, 8}, torch::kDouble);
  auto whole = distillation_kl(student, teacher, text, 2.0, 3.0);
  auto grad = torch::autograd::grad({whole}, {student})[0];
  double sum = 0;
  std::vector<torch::Tensor> grads;
  for (auto [first, rows] : {std::pair<int64_t, int64_t>{0, 2}, {2, 3}}) {
    auto block = student.detach().narrow(0, first, rows).clone().requires_grad_();
    auto part = distillation_kl(block, teacher.narrow(0, first, rows), text, 2.0, 3.0, /*batch=*/5);
    grads.push_back(torch::autograd::grad({part}, {block})[0]);
    sum += part.item<double>();
  }
  EXPECT_NEAR(sum, whole.item<double>(), 1e-12);
  EXPECT_TRUE(torch::allclose(torch::cat(grads), grad, 1e-12, 1e-12));
}

TEST(SigLipBlocks, RowsOutsideTheTextsAreRejected) {
  auto image = torch::randn({3, 8}), text = torch::randn({4, 8});
  auto scale = torch::zeros({1}), bias = torch::zeros({1});
  EXPECT_NO_THROW(siglip_loss(image, text, scale, bias, 1));
  EXPECT_THROW(siglip_loss(image, text, scale, bias, 2), c10::Error);
  EXPECT_THROW(siglip_loss(image, torch::randn({4, 9}), scale, bias, 0), c10::Error);
}

}  // namespace
}  // namespace tetra::losses
