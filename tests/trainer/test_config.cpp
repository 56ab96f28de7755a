#include <gtest/gtest.h>

#include "trainer/config.h"

namespace tetra::trainer {
namespace {

std::string error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  auto c = parse_config(yaml, "my.yaml", overrides);
  EXPECT_FALSE(c.ok()) << "expected an error for:\n" << yaml;
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(Config, DefaultsAndValues) {
  auto c = parse_config("optim:\n  lr: 0.002\nrun:\n  steps: 7\n", "x.yaml", {});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_DOUBLE_EQ(c->optim.lr, 0.002);
  EXPECT_EQ(c->run.steps, 7);
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
  auto e = error_of("run:\n  steps: many\n");
  EXPECT_NE(e.find("'run.steps'"), std::string::npos) << e;
  EXPECT_NE(e.find("integer"), std::string::npos) << e;
  e = error_of("optim:\n  lr: -1\n");
  EXPECT_NE(e.find("'optim.lr'"), std::string::npos) << e;
  EXPECT_NE(e.find("[0, 1]"), std::string::npos) << e;
  e = error_of("model:\n  preset: huge\n");
  EXPECT_NE(e.find("so400m"), std::string::npos) << "should list the choices: " << e;
}

TEST(Config, AllErrorsAtOnce) {
  auto e = error_of("run:\n  steps: 0\noptim:\n  beta1: 2\n");
  EXPECT_NE(e.find("run.steps"), std::string::npos) << e;
  EXPECT_NE(e.find("optim.beta1"), std::string::npos) << e;
}

TEST(Config, SetOverrides) {
  auto c = parse_config("optim:\n  lr: 0.1\n", "x.yaml", {"optim.lr=0.01", "run.name=abc", "data.shuffle=false"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_DOUBLE_EQ(c->optim.lr, 0.01);
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
  EXPECT_NE(e.find("data.train_path"), std::string::npos) << e;
}

TEST(Config, ResolvedYamlRoundTrips) {
  auto c = parse_config("optim:\n  lr: 0.0025\nrun:\n  name: rt\n", "x.yaml", {});
  ASSERT_TRUE(c.ok());
  auto again = parse_config(to_yaml(*c), "resolved.yaml", {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(to_yaml(*again), to_yaml(*c));
  EXPECT_DOUBLE_EQ(again->optim.lr, 0.0025);
  EXPECT_NE(key_reference().find("`optim.encoder_lr_multiplier`"), std::string::npos);
}

}  // namespace
}  // namespace tetra::trainer
