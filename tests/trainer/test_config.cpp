#include <gtest/gtest.h>

#include "trainer/config/config.h"

namespace tetra::trainer {
namespace {

std::string error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  auto c = parse_config(yaml, "my.yaml", overrides);
  EXPECT_FALSE(c.ok()) << "expected an error for:\n" << yaml;
  if (!c.ok()) EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << c.status();
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(Config, DefaultsAndValues) {
  auto c = parse_config("optim:\n  lr: 0.002\nrun:\n  log_every: 7\n", "x.yaml", {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_DOUBLE_EQ(c->optim.schedule.lr, 0.002);
  EXPECT_EQ(c->run.log_every, 7);
  // No stages in the file: one default stage that inherits the top-level schedule.
  ASSERT_EQ(c->stages.size(), 1u);
  EXPECT_DOUBLE_EQ(c->stages[0].optim.lr, 0.002);
  EXPECT_DOUBLE_EQ(c->stages[0].tasks.image_rec.share, 1.0);
  EXPECT_DOUBLE_EQ(c->optim.beta2, 0.95);  // default kept
}

TEST(Config, UnknownKeyNamesFileKeyAndAllowedKeys) {
  auto e = error_of("optim:\n  lrr: 1\n");
  EXPECT_NE(e.find("my.yaml"), std::string::npos) << e;
  EXPECT_NE(e.find("'optim.lrr'"), std::string::npos) << e;
  EXPECT_NE(e.find("min_lr"), std::string::npos) << "should list the allowed keys: " << e;
}

TEST(Config, UnknownSection) {
  auto e = error_of("optimiser:\n  lr: 1\n");
  EXPECT_NE(e.find("'optimiser'"), std::string::npos) << e;
  EXPECT_NE(e.find("optim"), std::string::npos) << e;
}

TEST(Config, WrongTypeAndRange) {
  auto e = error_of("run:\n  log_every: many\n");
  EXPECT_NE(e.find("'run.log_every'"), std::string::npos) << e;
  EXPECT_NE(e.find("integer"), std::string::npos) << e;
  e = error_of("optim:\n  lr: -1\n");
  EXPECT_NE(e.find("'optim.lr'"), std::string::npos) << e;
  EXPECT_NE(e.find("[0, 1]"), std::string::npos) << e;
  e = error_of("model:\n  preset: huge\n");
  EXPECT_NE(e.find("so400m"), std::string::npos) << "should list the choices: " << e;
}

TEST(Config, AllErrorsAtOnce) {
  auto e = error_of("run:\n  log_every: 0\noptim:\n  beta1: 2\nstages:\n  - steps: 0\n");
  EXPECT_NE(e.find("run.log_every"), std::string::npos) << e;
  EXPECT_NE(e.find("stages.0.steps"), std::string::npos) << e;
  EXPECT_NE(e.find("optim.beta1"), std::string::npos) << e;
}

TEST(Config, SetOverrides) {
  auto c = parse_config("optim:\n  lr: 0.1\n", "x.yaml", {"optim.lr=0.01", "run.name=abc", "data.shuffle=false"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_DOUBLE_EQ(c->optim.schedule.lr, 0.01);
  EXPECT_EQ(c->run.name, "abc");
  EXPECT_FALSE(c->data.shuffle);
  auto e = error_of("", {"optim.nope=3"});
  EXPECT_NE(e.find("--set optim.nope"), std::string::npos) << e;
  e = error_of("", {"missing-equals"});
  EXPECT_NE(e.find("KEY=VALUE"), std::string::npos) << e;
}

TEST(Config, CrossFieldChecks) {
  auto ok = parse_config("model:\n  preset: tiny\n  width: 96\n  heads: 4\n", "x.yaml", {});
  EXPECT_TRUE(ok.ok()) << ok.status();
  auto e = error_of("model:\n  width: 100\n  heads: 4\n");
  EXPECT_NE(e.find("divisible by 8"), std::string::npos) << e;
  e = error_of("data:\n  source: shards\n");
  EXPECT_NE(e.find("data.image.train"), std::string::npos) << e;
}

constexpr const char* kTwoStages = R"(
optim: {lr: 0.001, warmup_steps: 10}
loss: {kl_weight: "1e-6"}
stages:
  - name: image
    steps: 5
  - name: video
    steps: 7
    latent_channels: 48
    optim: {lr: 0.0005}
    loss: {video: {l1: "2"}}
    tasks:
      image_rec: {share: 2, max_tokens: 100}
      video_rec: {share: 6}
)";

TEST(ConfigStages, EachStageStartsFromTheTopLevelOptimAndLoss) {
  auto c = parse_config(kTwoStages, "x.yaml", {});
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->stages.size(), 2u);
  EXPECT_EQ(c->total_steps(), 12);
  EXPECT_EQ(c->stages[0].name, "image");
  EXPECT_DOUBLE_EQ(c->stages[0].optim.lr, 0.001);
  EXPECT_EQ(c->stages[1].optim.warmup_steps, 10);  // inherited
  EXPECT_DOUBLE_EQ(c->stages[1].optim.lr, 0.0005);  // overridden
  EXPECT_EQ(c->stages[1].loss.kl_weight, "1e-6");
  EXPECT_EQ(c->stages[1].loss.video.l1, "2");
  EXPECT_EQ(c->stages[0].loss.video.l1, "1");
  EXPECT_EQ(c->stages[1].latent_channels, 48);
  EXPECT_DOUBLE_EQ(c->stages[1].tasks.video_rec.share, 6);
  EXPECT_EQ(c->stages[1].tasks.image_rec.max_tokens, 100);
}

TEST(ConfigStages, SetAddressesListElementsAndResolvedYamlRoundTrips) {
  auto c = parse_config(kTwoStages, "x.yaml", {"stages.1.steps=3", "stages.0.tasks.image_und.share=1"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->stages[1].steps, 3);
  EXPECT_DOUBLE_EQ(c->stages[0].tasks.image_und.share, 1);
  auto again = parse_config(to_yaml(*c), "resolved.yaml", {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(to_yaml(*again), to_yaml(*c));
  EXPECT_NE(to_key_values(*c).find("stages.1.steps: 3"), std::string::npos);
  EXPECT_NE(key_reference().find("`stages.N.tasks.video_rec.share`"), std::string::npos);
  auto e = error_of(kTwoStages, {"stages.5.steps=3"});
  EXPECT_NE(e.find("which has 2"), std::string::npos) << e;
}

TEST(ConfigStages, ErrorsNameTheStageKey) {
  auto e = error_of("stages:\n  - steps: 5\n    tasks: {image_rec: {share: 0}}\n");
  EXPECT_NE(e.find("stages.0.tasks"), std::string::npos) << e;
  e = error_of("stages:\n  - steps: 5\n    latent_channels: 48\n  - steps: 5\n    latent_channels: 40\n");
  EXPECT_NE(e.find("stages.1.latent_channels"), std::string::npos) << e;
  e = error_of("stages:\n  - steps: 5\n    discrete: true\n");  // 8 x 6 FSQ channels, 32 latent
  EXPECT_NE(e.find("fsq"), std::string::npos) << e;
  e = error_of("stages:\n  - steps: 5\n    bogus: 1\n");
  EXPECT_NE(e.find("'stages.0.bogus'"), std::string::npos) << e;
  e = error_of("stages: 3\n");
  EXPECT_NE(e.find("list"), std::string::npos) << e;
  e = error_of("data: {source: shards, image: {train: /x}}\nstages:\n  - tasks: {video_rec: {share: 1}}\n");
  EXPECT_NE(e.find("data.video.train"), std::string::npos) << e;
}

TEST(Config, ResolvedYamlRoundTrips) {
  auto c = parse_config("optim:\n  lr: 0.0025\nrun:\n  name: rt\n", "x.yaml", {});
  ASSERT_TRUE(c.ok());
  auto again = parse_config(to_yaml(*c), "resolved.yaml", {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(to_yaml(*again), to_yaml(*c));
  EXPECT_DOUBLE_EQ(again->optim.schedule.lr, 0.0025);
  EXPECT_NE(key_reference().find("`optim.encoder_lr_multiplier`"), std::string::npos);
}

}  // namespace
}  // namespace tetra::trainer
