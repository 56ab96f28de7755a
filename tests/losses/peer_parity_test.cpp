// Peer parity: LPIPS against the PyPI `lpips` package with the same weights (random VGG16 trunk,
// the package's own linear heads), and Gram against reference.py, on random and real photos;
// the SigLIP loss against open_clip's SigLipLoss on random and real-image embeddings.
// The Python side runs through $TETRA_PYTHON (peer_lpips.py, peer_siglip.py).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "loss_test_support.h"
#include "losses/frames.h"
#include "losses/frozen.h"
#include "losses/perceptual.h"
#include "losses/semantic.h"
#include "losses/vgg.h"

namespace tetra::losses {
namespace {

using testing::close_relative;
constexpr double kRtol = 1e-5;

TensorMap load(const std::string& path) {
  auto file = read_frozen_file(path, path);
  EXPECT_TRUE(file.ok()) << file.status();
  auto map = parse_safetensors(file.ok() ? file->bytes : "", path);
  EXPECT_TRUE(map.ok()) << map.status();
  return map.ok() ? *map : TensorMap{};
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Perceptual {
  Vgg16Features vgg;
  LpipsHeads heads{Vgg16Options{}.channels()};
  torch::Tensor lpips, lpips_grad, gram, gram_grad;

  void run(const torch::Tensor& x_pixels, const torch::Tensor& y_pixels, int64_t side) {
    auto x = x_pixels.clone().requires_grad_(true);
    auto fx = vgg->forward(lpips_input_scaling(resize_square(x, side)));
    std::vector<torch::Tensor> fy;
    {
      torch::NoGradGuard no_grad;
      fy = vgg->forward(lpips_input_scaling(resize_square(y_pixels, side)));
    }
    lpips = lpips_distance(fx, fy, heads);
    lpips_grad = torch::autograd::grad({lpips.mean()}, {x}, {}, true)[0];
    gram = gram_distance(fx, fy);
    gram_grad = torch::autograd::grad({gram.mean()}, {x})[0];
  }
};

TEST(PeerParity, LpipsMatchesTheLpipsPackageAndGramTheReferenceOnRandomAndRealImages) {
  const std::string dir = testing::scratch_dir("peer_lpips");
  std::string why;
  if (!testing::run_python("peer_lpips.py", {dir}, &why)) {
    if (!why.empty()) GTEST_SKIP() << why;
    return;
  }
  Perceptual net;
  ASSERT_TRUE(net.vgg->load_weights(load(dir + "/vgg16.safetensors"), "vgg16").ok());
  ASSERT_TRUE(net.heads->load_weights(load(dir + "/heads.safetensors"), "heads").ok());
  freeze(*net.vgg);
  freeze(*net.heads);
  const TensorMap expected = load(dir + "/parity.safetensors");

  net.run(expected.at("random.x"), expected.at("random.y"), 64);
  EXPECT_TRUE(close_relative(net.lpips, expected.at("random.lpips"), kRtol)) << "random images: LPIPS";
  EXPECT_TRUE(close_relative(net.lpips_grad, expected.at("random.lpips_grad_x"), kRtol)) << "random images: LPIPS gradient";

  if (!expected.count("real.x")) GTEST_SKIP() << "real photos: " << read_text(dir + "/real_skipped");
  net.run(expected.at("real.x"), expected.at("real.y"), 224);
  EXPECT_TRUE(close_relative(net.lpips, expected.at("real.lpips"), kRtol)) << "real photos: LPIPS";
  EXPECT_TRUE(close_relative(net.lpips_grad, expected.at("real.lpips_grad_x"), kRtol)) << "real photos: LPIPS gradient";
  EXPECT_TRUE(close_relative(net.gram, expected.at("real.gram"), kRtol)) << "real photos: Gram";
  EXPECT_TRUE(close_relative(net.gram_grad, expected.at("real.gram_grad_x"), kRtol)) << "real photos: Gram gradient";
  // A JPEG of the same photo is perceptually closer than another photo.
  EXPECT_LT(net.lpips[0].item<float>(), net.lpips[1].item<float>());
  std::filesystem::remove_all(dir);
}

TEST(PeerParity, SigLipMatchesOpenClipOnRandomAndRealImageEmbeddings) {
  const std::string dir = testing::scratch_dir("peer_siglip");
  std::string why;
  if (!testing::run_python("peer_siglip.py", {dir}, &why)) {
    if (!why.empty()) GTEST_SKIP() << why;
    return;
  }
  const TensorMap expected = load(dir + "/siglip.safetensors");
  int cases = 0;
  for (const std::string name : {"random", "random_init", "real"}) {
    if (!expected.count(name + ".image")) continue;
    ++cases;
    auto image = expected.at(name + ".image").clone().requires_grad_(true);
    auto text = expected.at(name + ".text").clone().requires_grad_(true);
    SigLipLoss loss(SigLipLossOptions{expected.at(name + ".logit_scale").item<double>(),
                                      expected.at(name + ".logit_bias").item<double>()});
    auto value = loss->forward(image, text);
    auto grads = torch::autograd::grad({value}, {image, text, loss->logit_scale, loss->logit_bias});
    EXPECT_TRUE(close_relative(value, expected.at(name + ".value"), kRtol)) << name;
    EXPECT_TRUE(close_relative(grads[0], expected.at(name + ".grad_image"), kRtol)) << name;
    EXPECT_TRUE(close_relative(grads[1], expected.at(name + ".grad_text"), kRtol)) << name;
    EXPECT_TRUE(close_relative(grads[2], expected.at(name + ".grad_logit_scale"), kRtol)) << name;
    EXPECT_TRUE(close_relative(grads[3], expected.at(name + ".grad_logit_bias"), kRtol)) << name;
  }
  EXPECT_GE(cases, 2);
  if (!expected.count("real.image")) GTEST_SKIP() << "real photos: " << read_text(dir + "/real_skipped");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tetra::losses
