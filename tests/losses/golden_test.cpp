// Every loss against golden values computed with PyTorch's Python API (make_golden.py,
// reference.py): value and input gradient within 1e-5 relative in float32.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

#include "loss_test_support.h"
#include "losses/composer.h"
#include "losses/frames.h"
#include "losses/image_encoder.h"
#include "losses/perceptual.h"
#include "losses/reconstruction.h"
#include "losses/semantic.h"
#include "losses/vgg.h"
#include "model/heads.h"

namespace tetra::losses {
namespace {

using testing::close_relative;
using testing::golden;
using testing::golden_path;

constexpr double kRtol = 1e-5;
constexpr int64_t kResolution = 32;    // manifest.json: resolution
constexpr int64_t kWidthDivisor = 16;  // manifest.json: width_divisor

torch::Tensor leaf(const std::string& key) { return golden(key).clone().requires_grad_(true); }

torch::Tensor grad_of(const torch::Tensor& value, const torch::Tensor& x) {
  return torch::autograd::grad({value}, {x}, {}, /*retain_graph=*/true)[0];
}

TensorMap read_tensors(const std::string& name) {
  auto bytes = read_frozen_file(golden_path(name), name);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  auto map = parse_safetensors(bytes->bytes, name);
  EXPECT_TRUE(map.ok()) << map.status();
  return *map;
}

struct SmallVgg {
  Vgg16Features vgg{Vgg16Options{kWidthDivisor}};
  LpipsHeads heads{Vgg16Options{kWidthDivisor}.channels()};
  SmallVgg() {
    EXPECT_TRUE(vgg->load_weights(read_tensors("vgg_w16.safetensors"), "vgg_w16").ok());
    EXPECT_TRUE(heads->load_weights(read_tensors("heads_w16.safetensors"), "heads_w16").ok());
    freeze(*vgg);
    freeze(*heads);
  }
  std::vector<torch::Tensor> features(const torch::Tensor& images) {
    return vgg->forward(lpips_input_scaling(resize_square(images, kResolution)));
  }
};

TEST(Golden, L1OverPackedImagesAndVideo) {
  model::PatchSize patch{4, 8, 8, 3};
  std::vector<model::SampleTokens> targets, recons;
  for (int i = 0; i < 3; ++i) {
    targets.push_back(model::patchify(golden("l1.target" + std::to_string(i)), patch));
    recons.push_back(model::patchify(golden("l1.recon" + std::to_string(i)), patch));
  }
  auto target = model::pack(targets);
  auto recon = model::pack(recons).features.requires_grad_(true);
  auto value = l1_reconstruction(recon, target.features, target, patch);
  EXPECT_TRUE(close_relative(value, golden("l1.value"), kRtol));
  auto g = grad_of(value, recon);
  for (int i = 0; i < 3; ++i) {
    const int64_t start = target.offsets[i], count = target.offsets[i + 1] - start;
    auto frames = model::unpatchify(g.narrow(0, start, count), target.grids[i], patch);
    auto expected = golden("l1.grad" + std::to_string(i));
    EXPECT_TRUE(close_relative(frames.narrow(0, 0, expected.size(0)), expected, kRtol)) << "sample " << i;
    // Zero-padded frames of an image are not scored, so they get no gradient.
    if (frames.size(0) > expected.size(0)) EXPECT_EQ(frames.narrow(0, expected.size(0), frames.size(0) - expected.size(0)).abs().max().item<float>(), 0.0f);
  }
}

TEST(Golden, KlMean) {
  auto mean = leaf("kl.mean"), logvar = leaf("kl.logvar");
  auto value = kl_mean(model::gaussian_kl_per_token(mean, logvar));
  EXPECT_TRUE(close_relative(value, golden("kl.value"), kRtol));
  EXPECT_TRUE(close_relative(grad_of(value, mean), golden("kl.grad_mean"), kRtol));
  EXPECT_TRUE(close_relative(grad_of(value, logvar), golden("kl.grad_logvar"), kRtol));
}

TEST(Golden, ResizeDownAndUp) {
  for (const std::string name : {"resize_down", "resize_up"}) {
    auto x = leaf(name + ".x");
    auto value = (resize_square(x, kResolution) * golden(name + ".w")).sum();
    EXPECT_TRUE(close_relative(value, golden(name + ".value"), kRtol)) << name;
    EXPECT_TRUE(close_relative(grad_of(value, x), golden(name + ".grad_x"), kRtol)) << name;
  }
}

TEST(Golden, LpipsAndGramOnSmallVgg) {
  SmallVgg net;
  auto x = leaf("perceptual.x");
  auto fx = net.features(x);
  std::vector<torch::Tensor> fy;
  {
    torch::NoGradGuard no_grad;
    fy = net.features(golden("perceptual.y"));
  }
  auto lpips = lpips_distance(fx, fy, net.heads);
  EXPECT_TRUE(close_relative(lpips, golden("lpips.per_image"), kRtol));
  EXPECT_TRUE(close_relative(grad_of(lpips.mean(), x), golden("lpips.grad_x"), kRtol));
  auto gram = gram_distance(fx, fy);
  EXPECT_TRUE(close_relative(gram, golden("gram.per_image"), kRtol));
  EXPECT_TRUE(close_relative(grad_of(gram.mean(), x), golden("gram.grad_x"), kRtol));
}

TEST(Golden, ClipPerceptualThroughTorchScript) {
  auto encoder = FrozenImageEncoder::load_torchscript(golden_path("clip_encoder.pt"), "loss.clip.path", "clip", kResolution,
                                                      torch::kCPU);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  EXPECT_EQ(encoder->dim(), 10);
  auto x = leaf("clip.x");
  torch::Tensor target;
  {
    torch::NoGradGuard no_grad;
    target = encoder->embed(golden("clip.y"));
  }
  auto value = cosine_distance(encoder->embed(x), target).mean();
  EXPECT_TRUE(close_relative(value, golden("clip.value"), kRtol));
  EXPECT_TRUE(close_relative(grad_of(value, x), golden("clip.grad_x"), kRtol));
}

TEST(Golden, Distillation) {
  auto student = leaf("distill.student");
  auto value = distillation_kl(student, golden("distill.teacher"), golden("distill.text"), 2.0, 5.0);
  EXPECT_TRUE(close_relative(value, golden("distill.value"), kRtol));
  EXPECT_TRUE(close_relative(grad_of(value, student), golden("distill.grad_student"), kRtol));
}

TEST(Golden, SigLip) {
  SigLipLoss loss(SigLipLossOptions{golden("siglip.logit_scale").item<double>(), golden("siglip.logit_bias").item<double>()});
  auto image = leaf("siglip.image"), text = leaf("siglip.text");
  auto value = loss->forward(image, text);
  EXPECT_TRUE(close_relative(value, golden("siglip.value"), kRtol));
  EXPECT_TRUE(close_relative(grad_of(value, image), golden("siglip.grad_image"), kRtol));
  EXPECT_TRUE(close_relative(grad_of(value, text), golden("siglip.grad_text"), kRtol));
  EXPECT_TRUE(close_relative(grad_of(value, loss->logit_scale), golden("siglip.grad_logit_scale"), kRtol));
  EXPECT_TRUE(close_relative(grad_of(value, loss->logit_bias), golden("siglip.grad_logit_bias"), kRtol));
}

// make_golden.py PIPELINE: the composer from a config, on packed images of two sizes.
LossOptions pipeline_options() {
  LossOptions o;
  o.rec_weight = "0.2";
  o.sem_weight = "1";
  o.kl_weight = "1e-8";
  o.image.l1 = "1";
  o.image.lpips = "0:0, 100:10";  // 5 at step 50
  o.image.gram = "1000";
  o.image.clip = "1";
  o.image.distill = "1";
  o.vgg.weights = golden_path("vgg_w16.safetensors");
  o.vgg.heads = golden_path("heads_w16.safetensors");
  o.vgg.width_divisor = kWidthDivisor;
  o.vgg.resolution = kResolution;
  o.clip.path = golden_path("clip_encoder.pt");
  o.clip.resolution = kResolution;
  o.teacher.source = "batch";
  o.distill_temperature = 2.0;
  o.distill_scale = 20.0;
  return o;
}

TEST(Golden, ComposerImagePipeline) {
  std::ostringstream log;
  auto composer = LossComposer::create(pipeline_options(), torch::kCPU, log);
  ASSERT_TRUE(composer.ok()) << composer.status();
  model::PatchSize patch{4, 8, 8, 3};
  auto targets = testing::pack_images({golden("pipeline.target0"), golden("pipeline.target1")}, patch);
  auto recon = testing::pack_images({golden("pipeline.recon0"), golden("pipeline.recon1")}, patch).features.requires_grad_(true);
  auto pooled = leaf("pipeline.pooled");
  LossInputs in;
  in.targets = &targets;
  in.patch = patch;
  in.reconstruction = recon;
  in.kl_per_token = model::gaussian_kl_per_token(golden("pipeline.mean"), golden("pipeline.logvar"));
  in.pooled = pooled;
  in.text_embeddings = golden("pipeline.text");
  in.teacher_embeddings = golden("pipeline.teacher");
  auto result = (*composer)->compute(Modality::kImage, in, /*step=*/50);

  std::map<std::string, double> weights;
  for (const auto& t : result.terms) {
    std::string key = t.name;
    std::replace(key.begin(), key.end(), '/', '.');
    EXPECT_TRUE(close_relative(t.value, golden("pipeline.term." + key), kRtol)) << t.name;
    weights[t.name] = t.weight;
  }
  EXPECT_EQ(result.terms.size(), 6u);
  EXPECT_DOUBLE_EQ(weights["image/lpips"], 0.2 * 5.0);
  EXPECT_DOUBLE_EQ(weights["image/gram"], 0.2 * 1000.0);
  EXPECT_DOUBLE_EQ(weights["image/kl"], 1e-8);
  EXPECT_TRUE(close_relative(result.total, golden("pipeline.total"), kRtol));
  auto g = grad_of(result.total, recon);
  auto images = testing::unpack_images(g, targets, patch);
  EXPECT_TRUE(close_relative(images[0], golden("pipeline.grad_recon0"), kRtol));
  EXPECT_TRUE(close_relative(images[1], golden("pipeline.grad_recon1"), kRtol));
  EXPECT_TRUE(close_relative(grad_of(result.total, pooled), golden("pipeline.grad_pooled"), kRtol));
}

}  // namespace
}  // namespace tetra::losses
