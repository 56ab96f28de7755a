// The loss configuration (schedules, keys, validation) and the composer's behaviour: which terms
// run, what refuses to start and why, and what stays frozen.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "loss_test_support.h"
#include "common/files.h"
#include "losses/composer.h"
#include "losses/frames.h"
#include "losses/loss_options.h"
#include "losses/schedule.h"
#include "model/heads.h"

namespace tetra::losses {
namespace {

TEST(WeightSchedule, ConstantsAndPiecewiseLinear) {
  EXPECT_DOUBLE_EQ(WeightSchedule::parse("10")->at(123), 10.0);
  EXPECT_DOUBLE_EQ(WeightSchedule::parse(" 1e-8 ")->at(0), 1e-8);
  auto s = WeightSchedule::parse("100:0, 300:10, 400:2");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_DOUBLE_EQ(s->at(0), 0.0);     // before the first point: its value
  EXPECT_DOUBLE_EQ(s->at(200), 5.0);   // halfway from 0 to 10
  EXPECT_DOUBLE_EQ(s->at(350), 6.0);
  EXPECT_DOUBLE_EQ(s->at(5000), 2.0);  // after the last point: its value
  EXPECT_FALSE(s->always_zero());
  EXPECT_TRUE(WeightSchedule::parse("0")->always_zero());
  EXPECT_TRUE(WeightSchedule::parse("0:0, 10:0")->always_zero());
}

TEST(WeightSchedule, RejectsMalformedText) {
  for (const char* bad : {"", "abc", "-1", "nan", "inf", "100:1, 50:2", "10:1, 10:2", "1:2:3", "x:1", "-5:1", "0:1,"}) {
    auto s = WeightSchedule::parse(bad);
    EXPECT_FALSE(s.ok()) << "'" << bad << "' was accepted";
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << "'" << bad << "': " << s.status();
  }
}

// Records every key the visitors of trainer/config.h would see.
class KeyCollector {
 public:
  template <class T> void section(const char* name, T& s) {
    const std::string saved = prefix_;
    prefix_ += std::string(name) + ".";
    s.visit(*this);
    prefix_ = saved;
  }
  void field(const char* key, int64_t& value, IntRange r, const char*) {
    add(key);
    EXPECT_TRUE(value >= r.lo && value <= r.hi) << prefix_ << key << " default out of bounds";
  }
  void field(const char* key, double& value, RealRange r, const char*) {
    add(key);
    EXPECT_TRUE(value >= r.lo && value <= r.hi) << prefix_ << key << " default out of bounds";
  }
  void field(const char* key, std::string& value, Choices c, const char*) {
    add(key);
    EXPECT_NE(std::find(c.values.begin(), c.values.end(), value), c.values.end()) << prefix_ << key;
    choices[prefix_ + key] = c.values;
  }
  void field(const char* key, std::string&, const char*) { add(key); }
  void field(const char* key, bool&, const char*) { add(key); }

  std::vector<std::string> keys;
  std::map<std::string, std::vector<std::string>> choices;

 private:
  void add(const char* key) { keys.push_back(prefix_ + key); }
  std::string prefix_ = "loss.";
};

TEST(LossOptions, EveryKeyOnceWithDefaultsInBounds) {
  LossOptions options;
  KeyCollector keys;
  options.visit(keys);
  std::set<std::string> unique(keys.keys.begin(), keys.keys.end());
  EXPECT_EQ(unique.size(), keys.keys.size()) << "a key is listed twice";
  for (const char* k : {"loss.rec_weight", "loss.image.lpips", "loss.image.distill", "loss.video.lpips", "loss.3d.l1",
                        "loss.3d.siglip", "loss.vgg.weights", "loss.vgg.heads", "loss.clip.path", "loss.teacher.path",
                        "loss.siglip_logit_scale", "loss.distill_temperature"})
    EXPECT_TRUE(unique.count(k)) << k;
  // Terms a modality cannot compute are not keys at all.
  for (const char* k : {"loss.3d.lpips", "loss.3d.gram", "loss.3d.clip", "loss.video.distill", "loss.3d.distill"})
    EXPECT_FALSE(unique.count(k)) << k;
  EXPECT_EQ(keys.choices["loss.teacher.source"], (std::vector<std::string>{"file", "random", "batch"}));
  EXPECT_EQ(keys.choices["loss.clip.source"], (std::vector<std::string>{"file", "random"}));
  EXPECT_TRUE(validate(options).ok());
}

TEST(LossOptions, EveryKeyIsDocumented) {
  std::ifstream in(testing::test_dir() / ".." / ".." / "docs" / "losses.md");
  std::stringstream docs;
  docs << in.rdbuf();
  ASSERT_FALSE(docs.str().empty()) << "docs/losses.md not found";
  LossOptions options;
  KeyCollector keys;
  options.visit(keys);
  for (const auto& key : keys.keys) EXPECT_NE(docs.str().find("`" + key + "`"), std::string::npos) << key << " is not in docs/losses.md";
}

TEST(LossOptions, ValidateNamesTheKeyOfABadWeight) {
  LossOptions options;
  options.image.lpips = "0:0, 10";
  options.kl_weight = "tiny";
  auto status = validate(options);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  const std::string m(status.message());
  EXPECT_NE(m.find("key 'loss.image.lpips'"), std::string::npos) << m;
  EXPECT_NE(m.find("key 'loss.kl_weight'"), std::string::npos) << m;
}

// A configuration without any network: L1 and KL only.
LossOptions l1_only() {
  LossOptions o;
  o.image = TermWeights{Modality::kImage, "1", "0", "0", "0", "0", "0"};
  o.video = TermWeights{Modality::kVideo, "1", "0", "0", "0", "0", "0"};
  o.m3d = TermWeights{Modality::k3d, "1", "0", "0", "0", "0", "0"};
  return o;
}

std::string create_error(const LossOptions& o) {
  std::ostringstream log;
  auto composer = LossComposer::create(o, torch::kCPU, log);
  EXPECT_FALSE(composer.ok());
  // Every caller's case is a configuration to fix: an empty key or a file that does not fit.
  if (!composer.ok()) EXPECT_EQ(composer.status().code(), absl::StatusCode::kInvalidArgument) << composer.status();
  return composer.ok() ? "" : std::string(composer.status().message());
}

TEST(LossComposer, RefusesToStartWithoutTheNetworkFiles) {
  // The SPEC default needs VGG16, the LPIPS heads, the CLIP encoder and the teacher.
  std::string m = create_error(LossOptions{});
  EXPECT_NE(m.find("key 'loss.vgg.weights' is empty, but loss.image.lpips, loss.image.gram need VGG16 weights"),
            std::string::npos) << m;
  EXPECT_NE(m.find("scripts/export_vgg16.py"), std::string::npos) << m;
  EXPECT_NE(m.find("loss.vgg.source: random"), std::string::npos) << m;

  LossOptions o = l1_only();
  o.image.gram = "1000";
  o.vgg.weights = testing::golden_path("vgg_w16.safetensors");
  o.vgg.width_divisor = 16;
  o.image.lpips = "10";
  m = create_error(o);
  EXPECT_NE(m.find("key 'loss.vgg.heads' is empty, but loss.image.lpips needs the LPIPS linear heads"), std::string::npos) << m;

  o = l1_only();
  o.video.clip = "1";
  m = create_error(o);
  EXPECT_NE(m.find("key 'loss.clip.path' is empty, but loss.video.clip needs a TorchScript clip image encoder"),
            std::string::npos) << m;

  o = l1_only();
  o.image.distill = "1";
  m = create_error(o);
  EXPECT_NE(m.find("key 'loss.teacher.path' is empty, but loss.image.distill needs"), std::string::npos) << m;
  o.teacher.source = "batch";  // embeddings come with the batch: nothing to load
  std::ostringstream log;
  EXPECT_TRUE(LossComposer::create(o, torch::kCPU, log).ok());
}

TEST(LossComposer, StrictLoadingErrorReachesTheCaller) {
  LossOptions o = l1_only();
  o.image.gram = "1";
  o.vgg.weights = testing::golden_path("vgg_w16.safetensors");
  o.vgg.width_divisor = 8;  // the file holds channels / 16
  const std::string m = create_error(o);
  EXPECT_NE(m.find("(loss.vgg.weights) does not match the network"), std::string::npos) << m;
  EXPECT_NE(m.find("key 'features.0.weight': file has [4, 3, 3, 3] F32, model expects [8, 3, 3, 3] F32"), std::string::npos) << m;
}

TEST(LossComposer, FileNetworksAreLoggedWithTheirSha256AndFrozen) {
  LossOptions o = l1_only();
  o.image.lpips = "10";
  o.vgg.weights = testing::golden_path("vgg_w16.safetensors");
  o.vgg.heads = testing::golden_path("heads_w16.safetensors");
  o.vgg.width_divisor = 16;
  std::ostringstream log;
  auto composer = LossComposer::create(o, torch::kCPU, log);
  ASSERT_TRUE(composer.ok()) << composer.status();
  const auto& records = (*composer)->frozen_networks();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].sha256, common::sha256_hex(read_frozen_file(o.vgg.weights, "k")->bytes));
  EXPECT_NE(log.str().find(records[0].sha256), std::string::npos) << log.str();
  EXPECT_NE(records_json(records).find(records[1].sha256), std::string::npos);
  const auto& nets = (*composer)->networks();
  EXPECT_FALSE(nets.vgg->is_training());
  for (const auto& p : nets.vgg->parameters()) EXPECT_FALSE(p.requires_grad());
  for (const auto& p : nets.lpips_heads->parameters()) EXPECT_FALSE(p.requires_grad());
  EXPECT_FALSE((*composer)->siglip()) << "no SigLIP weight, so no trainable loss parameters";
}

// Random networks everywhere, small, for behaviour tests.
LossOptions random_networks() {
  LossOptions o;
  o.vgg.source = o.clip.source = o.teacher.source = "random";
  o.vgg.width_divisor = 16;
  o.vgg.resolution = o.clip.resolution = o.teacher.resolution = 16;
  o.teacher.embed_dim = 8;
  o.video.lpips = "1";
  return o;
}

struct Batch {
  model::PatchSize patch{4, 4, 4, 3};
  model::PackedTokens targets;
  torch::Tensor reconstruction, kl, pooled, text;
  LossInputs inputs() {
    LossInputs in;
    in.targets = &targets;
    in.patch = patch;
    in.reconstruction = reconstruction;
    in.kl_per_token = kl;
    in.pooled = pooled;
    in.text_embeddings = text;
    return in;
  }
};

Batch image_batch() {
  Batch b;
  b.targets = testing::pack_images({torch::rand({8, 12, 3}) * 2 - 1, torch::rand({16, 16, 3}) * 2 - 1}, b.patch);
  b.reconstruction = (b.targets.features + 0.1 * torch::randn(b.targets.features.sizes())).requires_grad_(true);
  b.kl = model::gaussian_kl_per_token(torch::randn({b.targets.num_tokens(), 4}), torch::randn({b.targets.num_tokens(), 4}));
  b.pooled = torch::randn({2, 8}).requires_grad_(true);
  b.text = torch::randn({2, 8});
  return b;
}

std::vector<std::string> names(const LossResult& r) {
  std::vector<std::string> out;
  for (const auto& t : r.terms) out.push_back(t.name);
  return out;
}

TEST(LossComposer, RandomNetworksAreAnnouncedInTheLog) {
  std::ostringstream log;
  auto composer = LossComposer::create(random_networks(), torch::kCPU, log);
  ASSERT_TRUE(composer.ok()) << composer.status();
  for (const char* role : {"vgg16: RANDOM", "lpips_heads: RANDOM", "clip: RANDOM", "teacher: RANDOM"})
    EXPECT_NE(log.str().find(role), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("smoke runs only"), std::string::npos);
}

TEST(LossComposer, TermsPerModalityAndGroupsFollowTheInputsGiven) {
  std::ostringstream log;
  auto composer = std::move(*LossComposer::create(random_networks(), torch::kCPU, log));
  Batch b = image_batch();
  auto all = composer->compute(Modality::kImage, b.inputs(), 0);
  EXPECT_EQ(names(all), (std::vector<std::string>{"image/l1", "image/lpips", "image/gram", "image/clip", "image/distill", "image/kl"}));
  double expected = 0;
  for (const auto& t : all.terms) expected += t.weight * t.value.item<double>();
  EXPECT_NEAR(all.total.item<double>(), expected, 1e-6 * std::abs(expected));

  LossInputs rec_only = b.inputs();
  rec_only.pooled = torch::Tensor();
  rec_only.kl_per_token = torch::Tensor();
  EXPECT_EQ(names(composer->compute(Modality::kImage, rec_only, 0)),
            (std::vector<std::string>{"image/l1", "image/lpips", "image/gram", "image/clip"}));
  LossInputs sem_only;
  sem_only.targets = &b.targets;
  sem_only.patch = b.patch;
  sem_only.pooled = b.pooled;
  sem_only.text_embeddings = b.text;
  EXPECT_EQ(names(composer->compute(Modality::kImage, sem_only, 0)), (std::vector<std::string>{"image/distill"}));
  // SPEC defaults for video and 3D: L1 (+ KL) and SigLIP; this config adds per-frame LPIPS to video.
  EXPECT_EQ(names(composer->compute(Modality::kVideo, b.inputs(), 0)),
            (std::vector<std::string>{"video/l1", "video/lpips", "video/siglip", "video/kl"}));
  EXPECT_EQ(names(composer->compute(Modality::k3d, b.inputs(), 0)),
            (std::vector<std::string>{"3d/l1", "3d/siglip", "3d/kl"}));
}

TEST(LossComposer, ScheduledWeightsAndZeroWeightsSkipTheWork) {
  LossOptions o = random_networks();
  o.image.lpips = "0:0, 100:10";
  o.rec_weight = "0.5";
  std::ostringstream log;
  auto composer = std::move(*LossComposer::create(o, torch::kCPU, log));
  Batch b = image_batch();
  auto at0 = names(composer->compute(Modality::kImage, b.inputs(), 0));
  EXPECT_EQ(std::count(at0.begin(), at0.end(), "image/lpips"), 0) << "weight 0 at step 0: not computed";
  auto at50 = composer->compute(Modality::kImage, b.inputs(), 50);
  for (const auto& t : at50.terms)
    if (t.name == "image/lpips") EXPECT_DOUBLE_EQ(t.weight, 0.5 * 5.0);
}

TEST(LossComposer, GradientsReachOnlyTheReconstructionStudentAndSigLipParameters) {
  std::ostringstream log;
  auto composer = std::move(*LossComposer::create(random_networks(), torch::kCPU, log));
  Batch b = image_batch();
  composer->compute(Modality::kImage, b.inputs(), 0).total.backward();
  composer->compute(Modality::kVideo, b.inputs(), 0).total.backward();
  EXPECT_TRUE(b.reconstruction.grad().defined());
  EXPECT_GT(b.reconstruction.grad().abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(b.pooled.grad().defined());
  const auto& nets = composer->networks();
  for (const auto& p : nets.vgg->parameters()) EXPECT_FALSE(p.grad().defined());
  ASSERT_TRUE(composer->siglip());
  for (const auto& p : composer->siglip()->parameters()) {
    EXPECT_TRUE(p.requires_grad());
    EXPECT_TRUE(p.grad().defined());
  }
  EXPECT_NEAR(composer->siglip()->logit_scale.item<double>(), std::log(10.0), 1e-6);
  EXPECT_DOUBLE_EQ(composer->siglip()->logit_bias.item<double>(), -10.0);
}

TEST(LossComposer, VideoLpipsScoresEveryRealFrame) {
  LossOptions o = random_networks();
  std::ostringstream log;
  auto composer = std::move(*LossComposer::create(o, torch::kCPU, log));
  model::PatchSize patch{4, 4, 4, 3};
  auto video = torch::rand({8, 16, 16, 3}) * 2 - 1, noisy = video + 0.2 * torch::randn(video.sizes());
  auto targets = model::pack({model::patchify(video, patch)});
  LossInputs in;
  in.targets = &targets;
  in.patch = patch;
  in.reconstruction = model::pack({model::patchify(noisy, patch)}).features;
  auto result = composer->compute(Modality::kVideo, in, 0);
  Vgg16Features vgg = composer->networks().vgg;  // holders share the module
  LpipsHeads heads = composer->networks().lpips_heads;
  auto frames = [](const torch::Tensor& v) { return resize_square(v.permute({0, 3, 1, 2}), 16); };
  auto expected = lpips_distance(vgg->forward(lpips_input_scaling(frames(noisy))), vgg->forward(lpips_input_scaling(frames(video))), heads);
  ASSERT_EQ(expected.size(0), 8);
  for (const auto& t : result.terms)
    if (t.name == "video/lpips") EXPECT_NEAR(t.value.item<double>(), expected.mean().item<double>(), 1e-6);
}

}  // namespace
}  // namespace tetra::losses
