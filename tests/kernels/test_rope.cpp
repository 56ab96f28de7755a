// 4D RoPE (kernels/rope.h): the CPU kernel against a scalar transcription of the SPEC, against the
// unfused ATen reference, the relative-position property, autograd, validation, and CUDA vs CPU.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <string>

#include "kernels/rope.h"

namespace tetra::kernels {
namespace {

constexpr double kBase = 10000.0;

torch::Tensor random_coords(int64_t tokens, int64_t lo, int64_t hi) {
  return torch::randint(lo, hi, {tokens, 4}, torch::kInt32);
}

// The SPEC written out as loops. Angles are formed in fp32 (SPEC: "angles in fp32") so the check is
// exact for large coordinates; cos/sin and the rotation are then done in double.
torch::Tensor scalar_rope(const torch::Tensor& x, const torch::Tensor& coords, double base) {
  const torch::Tensor xd = x.to(torch::kFloat64).contiguous();
  const int64_t tokens = x.size(0), heads = x.size(1), h = x.size(2), n = h / 8;
  torch::Tensor out = torch::empty_like(xd);
  auto xa = xd.accessor<double, 3>();
  auto oa = out.accessor<double, 3>();
  auto ca = coords.accessor<int32_t, 2>();
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t a = 0; a < 4; ++a) {
      for (int64_t k = 0; k < n; ++k) {
        const int64_t j = a * n + k;
        const float w = static_cast<float>(std::pow(base, -static_cast<double>(k) / h));
        const double theta = static_cast<float>(ca[t][a]) * w;
        for (int64_t hd = 0; hd < heads; ++hd) {
          const double x0 = xa[t][hd][2 * j], x1 = xa[t][hd][2 * j + 1];
          oa[t][hd][2 * j] = x0 * std::cos(theta) - x1 * std::sin(theta);
          oa[t][hd][2 * j + 1] = x0 * std::sin(theta) + x1 * std::cos(theta);
        }
      }
    }
  }
  return out;
}

// Coordinates around zero, large ones, and the extremes an fp32 angle can still carry exactly.
torch::Tensor mixed_coords(int64_t tokens) {
  torch::Tensor c = random_coords(tokens, -5000, 5000);
  c.index_put_({torch::indexing::Slice(0, tokens / 4)}, random_coords(tokens / 4, -8, 8));
  c[0] = torch::tensor({1 << 20, -(1 << 20), 0, 123456}, torch::kInt32);
  return c;
}

// Patch-grid order as the model builds it (t, row, column, z = 0): consecutive tokens share most
// axis coordinates, which the CPU kernel exploits by reusing angles.
torch::Tensor grid_coords(int64_t frames, int64_t rows, int64_t cols) {
  const auto opts = torch::TensorOptions().dtype(torch::kInt32);
  const auto grid =
      torch::meshgrid({torch::arange(frames, opts), torch::arange(rows, opts) - rows / 2,
                       torch::arange(cols, opts)},
                      "ij");
  return torch::stack({grid[0], grid[1], grid[2], torch::zeros_like(grid[0])}, -1).reshape({-1, 4});
}

void expect_error(const std::function<void()>& fn, const std::string& needle) {
  try {
    fn();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message lacks '" << needle << "': " << e.what();
    return;
  }
  ADD_FAILURE() << "expected an error mentioning '" << needle << "'";
}

TEST(Rope4d, CpuFloatMatchesScalarFormula) {
  torch::manual_seed(0);
  for (int64_t h : {8, 64, 72}) {
    const torch::Tensor x = torch::randn({37, 3, h});
    const torch::Tensor coords = mixed_coords(37);
    const torch::Tensor got = rope4d_forward(x, coords, kBase, false).to(torch::kFloat64);
    const double err = (got - scalar_rope(x, coords, kBase)).abs().max().item<double>();
    EXPECT_LT(err, 1e-5) << "head_dim " << h;
  }
  const torch::Tensor grid = grid_coords(3, 5, 7);
  const torch::Tensor x = torch::randn({grid.size(0), 2, 24});
  const torch::Tensor got = rope4d_forward(x, grid, kBase, false).to(torch::kFloat64);
  EXPECT_LT((got - scalar_rope(x, grid, kBase)).abs().max().item<double>(), 1e-5) << "grid coords";
}

TEST(Rope4d, CpuBFloat16MatchesScalarFormula) {
  torch::manual_seed(1);
  const torch::Tensor x = torch::randn({41, 4, 64}).to(torch::kBFloat16);
  const torch::Tensor coords = mixed_coords(41);
  const torch::Tensor got = rope4d_forward(x, coords, kBase, false);
  ASSERT_EQ(got.scalar_type(), torch::kBFloat16);
  const torch::Tensor expected = scalar_rope(x, coords, kBase);
  // Only the final rounding to bf16 (8 significant bits) may differ: half an ulp, relative 2^-8.
  const torch::Tensor tol = expected.abs() * std::ldexp(1.0, -8) + 1e-5;
  EXPECT_TRUE(((got.to(torch::kFloat64) - expected).abs() <= tol).all().item<bool>());
}

TEST(Rope4d, CpuMatchesAtenReference) {
  torch::manual_seed(2);
  const torch::Tensor coords = mixed_coords(64);
  const torch::Tensor x = torch::randn({64, 5, 72});
  EXPECT_TRUE(torch::allclose(rope4d_forward(x, coords, 500.0, false),
                              rope4d_reference(x, coords, 500.0), 1e-5, 1e-5));
  const torch::Tensor xb = x.to(torch::kBFloat16);
  const torch::Tensor got = rope4d_forward(xb, coords, kBase, false).to(torch::kFloat32);
  const torch::Tensor ref = rope4d_reference(xb, coords, kBase).to(torch::kFloat32);
  EXPECT_TRUE(torch::allclose(got, ref, 1e-2, 1e-2));
}

TEST(Rope4d, NonContiguousInputAndThreadCountDoNotChangeResult) {
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({6, 300, 16}).transpose(0, 1);  // [300, 6, 16], strided
  const torch::Tensor coords =
      grid_coords(3, 10, 10);  // chunk boundaries split runs of equal coords
  const int threads = torch::get_num_threads();
  torch::set_num_threads(1);
  const torch::Tensor one = rope4d_forward(x, coords, kBase, false);
  torch::set_num_threads(2);
  const torch::Tensor two = rope4d_forward(x, coords, kBase, false);
  torch::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(one, two));
  EXPECT_TRUE(torch::allclose(one, rope4d_forward(x.contiguous(), coords, kBase, false)));
}

TEST(Rope4d, DotProductDependsOnlyOnRelativePosition) {
  torch::manual_seed(4);
  const int64_t h = 64;
  for (int trial = 0; trial < 20; ++trial) {
    // Unit vectors keep the dot product's fp32 angle error below ~|angle| * 1e-7.
    const torch::Tensor q = torch::nn::functional::normalize(
        torch::randn({1, 1, h}), torch::nn::functional::NormalizeFuncOptions().dim(-1));
    const torch::Tensor k = torch::nn::functional::normalize(
        torch::randn({1, 1, h}), torch::nn::functional::NormalizeFuncOptions().dim(-1));
    const torch::Tensor c1 = random_coords(1, -64, 64), c2 = random_coords(1, -64, 64);
    const torch::Tensor shift = random_coords(1, -64, 64);
    auto dot = [&](const torch::Tensor& cq, const torch::Tensor& ck) {
      return (rope4d(q, cq, kBase).to(torch::kFloat64) * rope4d(k, ck, kBase).to(torch::kFloat64))
          .sum()
          .item<double>();
    };
    const double base_dot = dot(c1, c2);
    EXPECT_NEAR(base_dot, dot(c1 + shift, c2 + shift), 1e-4);
    EXPECT_NEAR(base_dot, dot(c1 - c2, torch::zeros_like(c2)), 1e-4);
  }
}

TEST(Rope4d, InverseUndoesForwardAndNegatesAngle) {
  torch::manual_seed(5);
  const torch::Tensor x = torch::randn({50, 3, 64});
  const torch::Tensor coords = random_coords(50, -1000, 1000);
  const torch::Tensor y = rope4d_forward(x, coords, kBase, false);
  EXPECT_TRUE(torch::allclose(rope4d_forward(y, coords, kBase, true), x, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(rope4d_forward(x, coords, kBase, true),
                              rope4d_forward(x, -coords, kBase, false), 1e-6, 1e-6));
}

TEST(Rope4d, BackwardRotatesGradientByOppositeAngle) {
  torch::manual_seed(6);
  const torch::Tensor coords = random_coords(20, -300, 300);
  for (auto dtype : {torch::kFloat32, torch::kBFloat16}) {
    const torch::Tensor x = torch::randn({20, 2, 72}).to(dtype).requires_grad_();
    const torch::Tensor g = torch::randn({20, 2, 72}).to(dtype);
    rope4d(x, coords, kBase).backward(g);
    ASSERT_EQ(x.grad().scalar_type(), dtype);
    EXPECT_TRUE(torch::equal(x.grad(), rope4d_forward(g, coords, kBase, true)));

    // Same gradient as autograd through the unfused ATen ops.
    const torch::Tensor xr = x.detach().clone().requires_grad_();
    rope4d_reference(xr, coords, kBase).backward(g);
    const double tol = dtype == torch::kFloat32 ? 1e-5 : 1e-2;
    EXPECT_TRUE(
        torch::allclose(x.grad().to(torch::kFloat32), xr.grad().to(torch::kFloat32), tol, tol));
  }
}

TEST(Rope4d, DoubleBackwardIsForwardRotation) {
  torch::manual_seed(7);
  const torch::Tensor coords = random_coords(10, -50, 50);
  const torch::Tensor x = torch::randn({10, 2, 16}).requires_grad_();
  const torch::Tensor g = torch::randn({10, 2, 16}).requires_grad_();
  const torch::Tensor v = torch::randn({10, 2, 16});
  const torch::Tensor gx =
      torch::autograd::grad({rope4d(x, coords, kBase)}, {x}, {g}, /*retain_graph=*/true,
                            /*create_graph=*/true)[0];
  // gx = R(-theta) g, so d<gx, v>/dg = R(theta) v.
  const torch::Tensor gg = torch::autograd::grad({(gx * v).sum()}, {g})[0];
  EXPECT_TRUE(torch::allclose(gg, rope4d_forward(v, coords, kBase, false), 1e-6, 1e-6));
}

TEST(Rope4d, RejectsInvalidInputs) {
  const torch::Tensor coords = torch::zeros({4, 4}, torch::kInt32);
  expect_error([&] { rope4d_forward(torch::zeros({4, 2, 12}), coords, kBase, false); }, "head_dim");
  expect_error([&] { rope4d(torch::zeros({4, 2, 12}), coords); }, "multiple of 8");
  expect_error(
      [&] {
        rope4d_forward(torch::zeros({4, 2, 16}), torch::zeros({4, 3}, torch::kInt32), kBase, false);
      },
      "coords must be [N, 4]");
  expect_error(
      [&] {
        rope4d_forward(torch::zeros({4, 2, 16}), torch::zeros({5, 4}, torch::kInt32), kBase, false);
      },
      "coords must be [N, 4]");
  expect_error(
      [&] {
        rope4d_forward(torch::zeros({4, 2, 16}), torch::zeros({4, 4}, torch::kInt64), kBase, false);
      },
      "int32");
  expect_error(
      [&] {
        rope4d_forward(torch::zeros({4, 2, 16}, torch::kFloat64), coords, kBase, false);
      },
      "float32 or bfloat16");
  expect_error(
      [&] {
        rope4d_forward(torch::zeros({4, 32}), coords, kBase, false);
      },
      "[N, heads, head_dim]");
  expect_error([&] { rope4d_reference(torch::zeros({4, 2, 20}), coords); }, "head_dim");
}

TEST(Rope4d, CudaMatchesCpu) {
  if (!rope4d_cuda_available()) GTEST_SKIP() << "no CUDA GPU: skipping CUDA-vs-CPU RoPE check";
  torch::manual_seed(8);
  const torch::Tensor coords = mixed_coords(333);
  for (int64_t h : {64, 72}) {
    for (auto dtype : {torch::kFloat32, torch::kBFloat16}) {
      const torch::Tensor x = torch::randn({333, 12, h}).to(dtype);
      const torch::Tensor g = torch::randn({333, 12, h}).to(dtype);
      const double tol = dtype == torch::kFloat32 ? 1e-5 : 1e-2;
      const torch::Tensor xc = x.cuda().requires_grad_();
      const torch::Tensor yc = rope4d(xc, coords.cuda(), kBase);
      yc.backward(g.cuda());
      EXPECT_TRUE(torch::allclose(yc.cpu().to(torch::kFloat32),
                                  rope4d_forward(x, coords, kBase, false).to(torch::kFloat32), tol,
                                  tol))
          << "forward, head_dim " << h << " " << dtype;
      EXPECT_TRUE(torch::allclose(xc.grad().cpu().to(torch::kFloat32),
                                  rope4d_forward(g, coords, kBase, true).to(torch::kFloat32), tol,
                                  tol))
          << "backward, head_dim " << h << " " << dtype;
    }
  }
}

}  // namespace
}  // namespace tetra::kernels
