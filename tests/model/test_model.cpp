#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "model/attention.h"
#include "model/heads.h"
#include "model/layers.h"
#include "model/tokenizer.h"

namespace tetra::model {
namespace {

PackedTokens random_batch(const PatchSize& patch, const std::vector<std::pair<int64_t, int64_t>>& sizes) {
  std::vector<SampleTokens> samples;
  for (auto [h, w] : sizes) samples.push_back(patchify(torch::rand({1, h, w, patch.c}) * 2 - 1, patch));
  return pack(samples);
}

// Attention written out for one sample: softmax(q k^T / sqrt(d)) v, per head.
torch::Tensor naive_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  auto qh = q.transpose(0, 1), kh = k.transpose(0, 1), vh = v.transpose(0, 1);  // [H, L, D]
  auto scores = torch::matmul(qh, kh.transpose(1, 2)) / std::sqrt(static_cast<double>(q.size(2)));
  return torch::matmul(scores.softmax(-1), vh).transpose(0, 1);
}

TEST(PackedAttention, EqualsPerSampleAttention) {
  PatchSize patch{1, 2, 2, 3};
  // Equal-length neighbours exercise the batched runs; others the single-sample path.
  auto layout = random_batch(patch, {{4, 6}, {4, 6}, {2, 2}, {6, 8}, {6, 8}, {6, 8}});
  const int64_t n = layout.num_tokens();
  auto q = torch::randn({n, 3, 8}), k = torch::randn({n, 3, 8}), v = torch::randn({n, 3, 8});
  auto packed = packed_attention(q, k, v, layout);
  for (int64_t s = 0; s < layout.num_samples(); ++s) {
    const auto start = layout.offsets[s], len = layout.offsets[s + 1] - start;
    auto expected = naive_attention(q.narrow(0, start, len), k.narrow(0, start, len), v.narrow(0, start, len));
    EXPECT_TRUE(torch::allclose(packed.narrow(0, start, len), expected, 1e-5, 1e-5)) << "sample " << s;
  }
}

TEST(PackedAttention, NoCrossSampleLeak) {
  PatchSize patch{1, 2, 2, 3};
  auto layout = random_batch(patch, {{4, 4}, {4, 4}});
  auto q = torch::randn({8, 2, 8}), k = torch::randn({8, 2, 8}), v = torch::randn({8, 2, 8});
  auto before = packed_attention(q, k, v, layout).narrow(0, 0, 4);
  v.narrow(0, 4, 4).add_(100.0);  // change only sample 1
  k.narrow(0, 4, 4).mul_(-3.0);
  auto after = packed_attention(q, k, v, layout).narrow(0, 0, 4);
  EXPECT_TRUE(torch::equal(before, after));
}

TEST(KL, MatchesClosedForm) {
  auto mean = torch::randn({5, 7}, torch::kDouble), logvar = torch::randn({5, 7}, torch::kDouble);
  auto kl = gaussian_kl_per_token(mean, logvar);
  for (int64_t i = 0; i < 5; ++i) {
    double expected = 0;
    for (int64_t c = 0; c < 7; ++c) {
      const double mu = mean[i][c].item<double>(), sigma = std::exp(0.5 * logvar[i][c].item<double>());
      expected += 0.5 * (mu * mu + sigma * sigma - 1.0 - std::log(sigma * sigma));
    }
    EXPECT_NEAR(kl[i].item<double>(), expected, 1e-12);
  }
  EXPECT_NEAR(gaussian_kl_per_token(torch::zeros({1, 4}), torch::zeros({1, 4})).item<float>(), 0.0, 1e-7);
}

TEST(Norms, RMSNormAndLayerNormComputeInFloat32) {
  RMSNorm32 rms(16);
  auto x = torch::randn({4, 16}).to(torch::kBFloat16);
  auto y = rms->forward(x);
  EXPECT_EQ(y.scalar_type(), torch::kBFloat16);
  auto x32 = x.to(torch::kFloat);
  auto expected = x32 / torch::sqrt(x32.pow(2).mean(-1, true) + 1e-6);
  EXPECT_TRUE(torch::allclose(y.to(torch::kFloat), expected, 1e-2, 1e-2));
}

TEST(PositionTable, GridOfTableSizeReturnsTheTable) {
  PositionTable2D table(4, 8);
  PatchSize patch{1, 1, 1, 3};
  auto layout = random_batch(patch, {{4, 4}});
  auto pos = table->forward(layout);
  EXPECT_TRUE(torch::allclose(pos, table->table.reshape({16, 8}), 1e-6, 1e-6));
  auto smaller = table->forward(random_batch(patch, {{2, 3}}));
  EXPECT_EQ(smaller.sizes(), (torch::IntArrayRef{6, 8}));
}

TokenizerOptions tiny_options() {
  TokenizerOptions o;
  apply_preset("tiny", &o);
  o.latent_channels = 8;
  o.patch = PatchSize{4, 8, 8, 3};
  return o;
}

TEST(Tokenizer, PackedBatchEqualsSamplesRunAlone) {
  torch::manual_seed(0);
  Tokenizer model(tiny_options());
  model->eval();
  auto batch = random_batch(model->options.patch, {{16, 24}, {8, 8}, {24, 16}});
  ForwardOptions run;
  run.sample_latent = false;
  run.pooled = true;
  auto together = model->forward(batch, run);
  EXPECT_EQ(together.reconstruction.sizes(), batch.features.sizes());
  EXPECT_EQ(together.pooled.sizes(), (torch::IntArrayRef{3, model->options.width}));
  EXPECT_TRUE(torch::allclose(together.pooled.norm(2, -1), torch::ones({3}), 1e-5, 1e-5));
  for (int64_t s = 0; s < 3; ++s) {
    const auto start = batch.offsets[s], len = batch.offsets[s + 1] - start;
    SampleTokens one{batch.features.narrow(0, start, len), batch.coords.narrow(0, start, len), batch.grids[s]};
    auto alone = model->forward(pack({one}), run);
    EXPECT_TRUE(torch::allclose(together.reconstruction.narrow(0, start, len), alone.reconstruction, 1e-4, 1e-5));
    EXPECT_TRUE(torch::allclose(together.pooled[s], alone.pooled[0], 1e-4, 1e-5));
  }
}

TEST(Tokenizer, EncoderParametersAreNamed) {
  Tokenizer model(tiny_options());
  int encoder = 0, other = 0;
  for (const auto& p : model->named_parameters()) (TokenizerImpl::is_encoder_parameter(p.key()) ? encoder : other)++;
  EXPECT_GT(encoder, 0);
  EXPECT_GT(other, 0);
  // The decoder has no biases anywhere (SPEC).
  for (const auto& p : model->decoder->named_parameters()) EXPECT_EQ(p.key().find("bias"), std::string::npos) << p.key();
}

TEST(Tokenizer, SamplingUsesTheGivenGenerator) {
  Tokenizer model(tiny_options());
  auto batch = random_batch(model->options.patch, {{8, 16}});
  ForwardOptions a, b;
  a.generator = at::make_generator<at::CPUGeneratorImpl>(7);
  b.generator = at::make_generator<at::CPUGeneratorImpl>(7);
  EXPECT_TRUE(torch::equal(model->forward(batch, a).reconstruction, model->forward(batch, b).reconstruction));
}

}  // namespace
}  // namespace tetra::model
