// 4D RoPE: validation, the CPU kernel, the CUDA dispatch, autograd and the unfused ATen reference.
// The math is in kernels/rope.h; the CUDA kernel is in kernels/rope_cuda.cu.
#include "kernels/rope.h"

#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <torch/cuda.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/rope_math.h"

#ifdef TETRA_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include "kernels/rope_cuda.h"
#endif

namespace tetra::kernels {
namespace {

void check_inputs(const torch::Tensor& x, const torch::Tensor& coords, double base,
                  const char* fn) {
  TORCH_CHECK(x.defined() && coords.defined(), fn, ": x and coords must be defined tensors");
  TORCH_CHECK(x.dim() == 3, fn, ": x must be [N, heads, head_dim], got shape ", x.sizes());
  TORCH_CHECK(x.scalar_type() == torch::kFloat32 || x.scalar_type() == torch::kBFloat16, fn,
              ": x must be float32 or bfloat16, got ", x.scalar_type());
  const int64_t head_dim = x.size(2);
  TORCH_CHECK(head_dim > 0 && head_dim % 8 == 0, fn,
              ": head_dim must be a positive multiple of 8 (h/8 pairs per axis t,x,y,z), got ",
              head_dim);
  TORCH_CHECK(coords.dim() == 2 && coords.size(1) == 4 && coords.size(0) == x.size(0), fn,
              ": coords must be [N, 4] = [", x.size(0), ", 4] (t, x, y, z per token), got shape ",
              coords.sizes());
  TORCH_CHECK(coords.scalar_type() == torch::kInt32, fn, ": coords must be int32, got ",
              coords.scalar_type());
  TORCH_CHECK(coords.device() == x.device(), fn, ": coords must be on x's device ", x.device(),
              ", got ", coords.device());
  TORCH_CHECK(x.is_cpu() || x.is_cuda(), fn, ": x must be a CPU or CUDA tensor, got ", x.device());
  TORCH_CHECK(std::isfinite(base) && base > 0.0, fn, ": base must be positive and finite, got ",
              base);
}

// glibc's sincosf shares one range reduction between sin and cos: the angle table is most of the
// CPU kernel's time (every head then reuses it), and this makes it about 1.5x cheaper.
inline void sincos_fp32(float theta, float* s, float* c) {
#if defined(__GLIBC__)
  ::sincosf(theta, s, c);
#else
  *s = std::sin(theta);
  *c = std::cos(theta);
#endif
}

// CPU kernel: tokens are split across threads; each token computes its h/2 angles once (all heads
// share them) and then rotates every head in fp32. Loops run over (axis, k) rather than pair index
// so that no integer division sits in the angle loop. Tokens come in grid order (t, row, column,
// z), so an axis coordinate usually equals the previous token's: its n angles are then reused.
template <typename scalar_t>
void rope4d_cpu(const scalar_t* x, const int32_t* coords, scalar_t* out, int64_t tokens,
                int64_t heads, int64_t head_dim, double base, bool inverse) {
  const int64_t half = head_dim / 2;
  const int64_t n = head_dim / 8;
  std::vector<float> freq(n);
  for (int64_t k = 0; k < n; ++k) freq[k] = rope4d_frequency(k, head_dim, base);
  const float sign = inverse ? -1.0f : 1.0f;
  const int64_t grain = std::max<int64_t>(1, at::internal::GRAIN_SIZE / (heads * head_dim));

  // at::parallel_for is header-inline: it only runs threads when this file is compiled with OpenMP,
  // libtorch's intra-op backend (otherwise it runs the whole range on the calling thread).
  at::parallel_for(0, tokens, grain, [&](int64_t begin, int64_t end) {
    std::vector<float> cos_buf(half), sin_buf(half);
    float* __restrict cos_t = cos_buf.data();
    float* __restrict sin_t = sin_buf.data();
    for (int64_t t = begin; t < end; ++t) {
      for (int64_t a = 0; a < 4; ++a) {
        if (t > begin && coords[t * 4 + a] == coords[(t - 1) * 4 + a]) continue;
        const float coord = static_cast<float>(coords[t * 4 + a]);
        for (int64_t k = 0; k < n; ++k) {
          sincos_fp32(sign * (coord * freq[k]), &sin_t[a * n + k], &cos_t[a * n + k]);
        }
      }
      for (int64_t h = 0; h < heads; ++h) {
        const scalar_t* __restrict xi = x + (t * heads + h) * head_dim;
        scalar_t* __restrict oi = out + (t * heads + h) * head_dim;
        for (int64_t p = 0; p < half; ++p) {
          const float x0 = static_cast<float>(xi[2 * p]);
          const float x1 = static_cast<float>(xi[2 * p + 1]);
          oi[2 * p] = static_cast<scalar_t>(x0 * cos_t[p] - x1 * sin_t[p]);
          oi[2 * p + 1] = static_cast<scalar_t>(x0 * sin_t[p] + x1 * cos_t[p]);
        }
      }
    }
  });
}

#ifdef TETRA_WITH_CUDA
void rope4d_cuda(const torch::Tensor& x, const torch::Tensor& coords, torch::Tensor& out,
                 double base, bool inverse) {
  const int64_t head_dim = x.size(2);
  TORCH_CHECK(head_dim / 8 <= kRopeCudaMaxFrequencies,
              "rope4d: the CUDA kernel supports head_dim <= ", 8 * kRopeCudaMaxFrequencies,
              ", got ", head_dim);
  const c10::cuda::CUDAGuard guard(x.device());
  const RopeDtype dtype =
      x.scalar_type() == torch::kBFloat16 ? RopeDtype::kBFloat16 : RopeDtype::kFloat32;
  const cudaError_t err = rope4d_cuda_launch(x.data_ptr(), coords.data_ptr<int32_t>(),
                                             out.data_ptr(), x.size(0), x.size(1), head_dim, base,
                                             inverse, dtype, at::cuda::getCurrentCUDAStream());
  TORCH_CHECK(err == cudaSuccess, "rope4d: CUDA kernel launch failed: ", cudaGetErrorString(err));
}
#endif

// rope4d as an autograd node. The backward is the same op with the opposite angle, applied through
// this Function again so that the gradient is itself differentiable (double backward stays exact).
class Rope4dFunction : public torch::autograd::Function<Rope4dFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& coords, double base, bool inverse) {
    ctx->save_for_backward({coords});
    ctx->saved_data["base"] = base;
    ctx->saved_data["inverse"] = inverse;
    return rope4d_forward(x, coords, base, inverse);
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const torch::Tensor coords = ctx->get_saved_variables()[0];
    const double base = ctx->saved_data["base"].toDouble();
    const bool inverse = ctx->saved_data["inverse"].toBool();
    torch::Tensor grad_x;
    if (grads[0].defined()) grad_x = Rope4dFunction::apply(grads[0], coords, base, !inverse);
    return {grad_x, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor rope4d_forward(const torch::Tensor& x, const torch::Tensor& coords, double base,
                             bool inverse) {
  check_inputs(x, coords, base, "rope4d");
  const torch::Tensor xc = x.contiguous();
  const torch::Tensor cc = coords.contiguous();
  torch::Tensor out = torch::empty_like(xc, at::MemoryFormat::Contiguous);
  if (xc.numel() == 0) return out;

  if (xc.is_cuda()) {
#ifdef TETRA_WITH_CUDA
    rope4d_cuda(xc, cc, out, base, inverse);
    return out;
#else
    TORCH_CHECK(false,
                "rope4d: x is a CUDA tensor but this build has no CUDA kernels "
                "(configure with nvcc available and TETRA_WITH_CUDA=ON)");
#endif
  }
  const int64_t tokens = xc.size(0), heads = xc.size(1), head_dim = xc.size(2);
  const int32_t* c = cc.data_ptr<int32_t>();
  if (xc.scalar_type() == torch::kBFloat16) {
    rope4d_cpu(xc.data_ptr<c10::BFloat16>(), c, out.data_ptr<c10::BFloat16>(), tokens, heads,
               head_dim, base, inverse);
  } else {
    rope4d_cpu(xc.data_ptr<float>(), c, out.data_ptr<float>(), tokens, heads, head_dim, base,
               inverse);
  }
  return out;
}

torch::Tensor rope4d(const torch::Tensor& x, const torch::Tensor& coords, double base) {
  return Rope4dFunction::apply(x, coords, base, false);
}

torch::Tensor rope4d_reference(const torch::Tensor& x, const torch::Tensor& coords, double base) {
  check_inputs(x, coords, base, "rope4d_reference");
  const int64_t tokens = x.size(0), heads = x.size(1), head_dim = x.size(2);
  const int64_t n = head_dim / 8;
  const auto long_opts = torch::TensorOptions().dtype(torch::kInt64).device(x.device());

  // Angle table [N, h/2]: pair p reads coordinate p / n with frequency index p % n.
  const torch::Tensor pair = torch::arange(head_dim / 2, long_opts);
  const torch::Tensor axis = pair.div(n, "floor");
  const torch::Tensor k = pair.remainder(n);
  const torch::Tensor freq =
      torch::pow(base, -k.to(torch::kFloat64) / static_cast<double>(head_dim)).to(torch::kFloat32);
  const torch::Tensor theta = coords.index_select(1, axis).to(torch::kFloat32) * freq;
  const torch::Tensor cos = theta.cos().unsqueeze(1);  // [N, 1, h/2]: broadcast over heads
  const torch::Tensor sin = theta.sin().unsqueeze(1);

  const torch::Tensor xp = x.to(torch::kFloat32).reshape({tokens, heads, head_dim / 2, 2});
  const torch::Tensor x0 = xp.select(-1, 0);
  const torch::Tensor x1 = xp.select(-1, 1);
  const torch::Tensor rotated = torch::stack({x0 * cos - x1 * sin, x0 * sin + x1 * cos}, -1);
  return rotated.reshape({tokens, heads, head_dim}).to(x.scalar_type());
}

bool rope4d_cuda_available() {
#ifdef TETRA_WITH_CUDA
  return torch::cuda::is_available();
#else
  return false;
#endif
}

}  // namespace tetra::kernels
