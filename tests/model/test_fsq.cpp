#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "model/fsq.h"
#include "model/tokenizer.h"

namespace tetra::model {
namespace {

TEST(Fsq, BoundMatchesSpecFormulaAndZeroIsZero) {
  auto z = torch::linspace(-5, 5, 101);
  auto expected = torch::tanh(z + std::atanh(0.5 / 1.5015)) * 1.5015 - 0.5;
  EXPECT_TRUE(torch::allclose(fsq_bound(z, 4), expected, 1e-6, 1e-6));
  EXPECT_NEAR(fsq_bound(torch::zeros({1}), 4).item<float>(), 0.0f, 1e-6);
}

TEST(Fsq, CodesTakeFourValuesAndIndicesRoundTrip) {
  FsqOptions o;
  auto z = torch::randn({500, o.channels()}) * 3;
  auto q = fsq_quantize(z, o);
  auto unique = std::get<0>(at::_unique(q.codes));
  EXPECT_TRUE(torch::equal(unique, torch::tensor({-1.0f, -0.5f, 0.0f, 0.5f})));
  EXPECT_EQ(o.codebook_size(), 4096);
  EXPECT_GE(q.indices.min().item<int64_t>(), 0);
  EXPECT_LT(q.indices.max().item<int64_t>(), 4096);
  EXPECT_TRUE(torch::equal(fsq_codes_from_indices(q.indices, o), q.codes.detach()));
  // SPEC: index = sum_i (2 code_i + 2) 4^i, checked on one token by hand.
  int64_t expected = 0, power = 1;
  for (int64_t i = 0; i < 6; ++i, power *= 4)
    expected += static_cast<int64_t>(2 * q.codes[7][6 + i].item<float>() + 2) * power;  // group 1
  EXPECT_EQ(q.indices[7][1].item<int64_t>(), expected);
}

TEST(Fsq, StraightThroughGradientIsIdentityThroughRounding) {
  FsqOptions o{1, 6, 4};
  auto z = (torch::randn({64, 6}) * 0.7).requires_grad_(true);
  auto q = fsq_quantize(z, o);
  auto upstream = torch::randn({64, 6});
  (q.codes * upstream).sum().backward();
  // d codes / dz = d bound / dz / 2 (rounding passes the gradient unchanged).
  auto zd = z.detach();
  auto dbound = (1 - torch::tanh(zd + std::atanh(0.5 / 1.5015)).pow(2)) * 1.5015;
  EXPECT_TRUE(torch::allclose(z.grad(), upstream * dbound / 2, 1e-5, 1e-6));
}

TEST(Fsq, CodebookStats) {
  FsqOptions o{2, 1, 4};  // codebook of 4 per group
  auto indices = torch::tensor({0, 0, 1, 0, 2, 0, 3, 0}, torch::kInt64).view({4, 2});
  auto stats = codebook_stats_per_group(indices, o);
  EXPECT_DOUBLE_EQ(stats[0].usage, 1.0);
  EXPECT_NEAR(stats[0].perplexity, 4.0, 1e-9);  // uniform over 4 codes
  EXPECT_DOUBLE_EQ(stats[1].usage, 0.25);
  EXPECT_NEAR(stats[1].perplexity, 1.0, 1e-9);
}

TEST(Fsq, DiscreteTokenizerDecodesCodesAndExposesIndices) {
  TokenizerOptions o;
  apply_preset("tiny", &o);
  o.latent_channels = 12;
  o.fsq = FsqOptions{2, 6, 4};
  o.patch = PatchSize{4, 8, 8, 3};
  o.discrete = true;
  Tokenizer model(o);
  auto batch = pack({patchify(torch::rand({1, 16, 16, 3}), o.patch)});
  auto out = model->forward(batch);
  ASSERT_TRUE(out.fsq_indices.defined());
  EXPECT_EQ(out.fsq_indices.sizes(), (torch::IntArrayRef{4, 2}));
  EXPECT_TRUE(torch::equal(fsq_codes_from_indices(out.fsq_indices, o.fsq), out.latent.sample.detach()));
  EXPECT_EQ(out.kl_per_token.abs().sum().item<float>(), 0.0f);
  // Deterministic: no sampling in discrete mode.
  EXPECT_TRUE(torch::equal(model->forward(batch).reconstruction, out.reconstruction));
  o.latent_channels = 10;
  Tokenizer wrong(o);
  EXPECT_THROW(wrong->forward(batch), c10::Error);
}

}  // namespace
}  // namespace tetra::model
