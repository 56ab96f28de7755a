// The safetensors reader/writer, strict loading and the SHA-256 of frozen-network files.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <sstream>

#include "loss_test_support.h"
#include "common/files.h"
#include "losses/frozen.h"
#include "losses/perceptual.h"
#include "losses/safetensors.h"
#include "losses/vgg.h"

namespace tetra::losses {
namespace {

TEST(Safetensors, RoundTripKeepsDtypeShapeAndValues) {
  TensorMap in{{"a", torch::randn({2, 3})},
               {"b", torch::randn({4}, torch::kDouble)},
               {"c", torch::arange(5, torch::kInt64)},
               {"d", torch::randn({1, 2, 1, 1}).to(torch::kBFloat16)},
               {"empty", torch::zeros({0, 3})}};
  auto out = parse_safetensors(to_safetensors(in), "memory");
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), in.size());
  for (const auto& [name, t] : in) {
    ASSERT_TRUE(out->count(name)) << name;
    EXPECT_EQ(out->at(name).scalar_type(), t.scalar_type()) << name;
    EXPECT_TRUE(torch::equal(out->at(name), t)) << name;
  }
}

TEST(Safetensors, FilesWrittenHereReadInTheSafetensorsPackage) {
  const std::string path = testing::scratch_dir("write") + "/cpp.safetensors";
  std::ofstream(path, std::ios::binary) << to_safetensors({{"a", torch::arange(6, torch::kFloat).view({2, 3})},
                                                           {"b", torch::tensor({1, 2, 3}, torch::kInt64)}});
  std::string why;
  if (!testing::run_python("read_safetensors.py", {path}, &why) && !why.empty()) GTEST_SKIP() << why;
}

TEST(Safetensors, ReadsFilesWrittenByPython) {
  auto file = read_frozen_file(testing::golden_path("vgg_w16.safetensors"), "test");
  ASSERT_TRUE(file.ok()) << file.status();
  auto map = parse_safetensors(file->bytes, "vgg_w16");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->size(), 26u);  // 13 convolutions, weight and bias each
  EXPECT_EQ(map->at("features.28.weight").sizes(), (std::vector<int64_t>{32, 32, 3, 3}));
}

TEST(Safetensors, MalformedFilesAreRejectedWithTheReason) {
  EXPECT_NE(parse_safetensors("abc", "f").status().message().find("too short"), std::string::npos);
  EXPECT_EQ(parse_safetensors("abc", "f").status().code(), absl::StatusCode::kInvalidArgument);
  std::string huge_header(16, '\0');
  huge_header[0] = '\x7f';
  huge_header[1] = '\x7f';
  EXPECT_NE(parse_safetensors(huge_header, "f").status().message().find("exceeds the file"), std::string::npos);
  EXPECT_EQ(parse_safetensors(huge_header, "f").status().code(), absl::StatusCode::kInvalidArgument);
  std::string good = to_safetensors({{"w", torch::ones({4})}});
  auto truncated = parse_safetensors(good.substr(0, good.size() - 4), "f");
  EXPECT_NE(truncated.status().message().find("tensor 'w'"), std::string::npos) << truncated.status();
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kInvalidArgument) << truncated.status();
  std::string not_json = good;
  not_json[8] = '[';
  EXPECT_FALSE(parse_safetensors(not_json, "f").ok());
  EXPECT_EQ(parse_safetensors(not_json, "f").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Safetensors, StrictLoadingNamesEveryMismatchWithBothShapes) {
  auto dest_a = torch::zeros({2, 3}), dest_b = torch::zeros({4}), dest_c = torch::zeros({5}), dest_d = torch::zeros({1});
  TensorMap file{{"a", torch::ones({3, 2})},                 // wrong shape
                 {"b", torch::ones({4}, torch::kDouble)},    // wrong dtype
                 {"d", torch::ones({1})},                    // fine
                 {"extra", torch::ones({7})}};               // not in the network
  auto status = load_strict(file, {{"a", dest_a}, {"b", dest_b}, {"c", dest_c}, {"d", dest_d}}, "weights.safetensors");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  const std::string m(status.message());
  EXPECT_NE(m.find("weights.safetensors"), std::string::npos) << m;
  EXPECT_NE(m.find("key 'a': file has [3, 2] F32, model expects [2, 3] F32"), std::string::npos) << m;
  EXPECT_NE(m.find("key 'b': file has [4] F64, model expects [4] F32"), std::string::npos) << m;
  EXPECT_NE(m.find("missing key 'c' (model expects [5] F32)"), std::string::npos) << m;
  EXPECT_NE(m.find("unexpected key 'extra' ([7] F32)"), std::string::npos) << m;
  EXPECT_EQ(dest_d.item<float>(), 0.0f) << "nothing is copied when loading fails";
  EXPECT_TRUE(load_strict({{"d", torch::full({1}, 3.0f)}}, {{"d", dest_d}}, "w").ok());
  EXPECT_EQ(dest_d.item<float>(), 3.0f);
}

TEST(Safetensors, VggAndHeadsUseTorchvisionAndLpipsKeyNames) {
  Vgg16Features vgg;
  std::vector<std::string> names;
  for (const auto& [name, t] : vgg->named_weights()) names.push_back(name);
  const std::vector<std::string> convs = {"0", "2", "5", "7", "10", "12", "14", "17", "19", "21", "24", "26", "28"};
  ASSERT_EQ(names.size(), 2 * convs.size());
  for (size_t i = 0; i < convs.size(); ++i) {
    EXPECT_EQ(names[2 * i], "features." + convs[i] + ".weight");
    EXPECT_EQ(names[2 * i + 1], "features." + convs[i] + ".bias");
  }
  EXPECT_EQ(vgg->named_weights()[0].second.sizes(), (std::vector<int64_t>{64, 3, 3, 3}));
  LpipsHeads heads(Vgg16Options{}.channels());
  EXPECT_EQ(heads->named_weights()[4].first, "lin4.model.1.weight");
  EXPECT_EQ(heads->named_weights()[4].second.sizes(), (std::vector<int64_t>{1, 512, 1, 1}));
}

TEST(FrozenFile, Sha256OfTheBytesRead) {
  EXPECT_EQ(common::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto file = read_frozen_file(testing::golden_path("vgg_w16.safetensors"), "loss.vgg.weights");
  ASSERT_TRUE(file.ok()) << file.status();
  std::ifstream manifest(testing::golden_path("manifest.json"));
  std::stringstream text;
  text << manifest.rdbuf();
  EXPECT_NE(text.str().find(file->sha256), std::string::npos) << "make_golden.py recorded another SHA-256";
  auto missing = read_frozen_file("/nonexistent/vgg.safetensors", "loss.vgg.weights");
  EXPECT_NE(missing.status().message().find("loss.vgg.weights"), std::string::npos);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
}

}  // namespace
}  // namespace tetra::losses
