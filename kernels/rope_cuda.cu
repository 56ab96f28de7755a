// 4D RoPE CUDA kernel. No LibTorch here on purpose (see rope_cuda.h).
#include <cuda_bf16.h>

#include <climits>

#include "kernels/rope_cuda.h"
#include "kernels/rope_math.h"

namespace tetra::kernels {
namespace {

// Passed by value as a __grid_constant__ kernel parameter: every thread reads it from the constant
// bank with no copy to local memory, and no per-launch cudaMemcpyToSymbol that could race between
// streams using different bases.
struct RopeFrequencies {
  float w[kRopeCudaMaxFrequencies];
};

__device__ __forceinline__ float load_float(const float* p) { return *p; }
__device__ __forceinline__ float load_float(const __nv_bfloat16* p) { return __bfloat162float(*p); }
__device__ __forceinline__ void store_float(float* p, float v) { *p = v; }
__device__ __forceinline__ void store_float(__nv_bfloat16* p, float v) {
  *p = __float2bfloat16_rn(v);
}

// One thread per (token, pair p), looping over heads.
//   n = h/8, axis a = p / n, k = p % n
//   theta = sign * (float(coords[token, a]) * w_k)          sign = -1 for inverse (= backward)
//   out[2p]   = x[2p] * cos(theta) - x[2p+1] * sin(theta)
//   out[2p+1] = x[2p] * sin(theta) + x[2p+1] * cos(theta)
// All heads of a token share the angle, so sincos is paid once per (token, pair) rather than per
// head. Consecutive threads hold consecutive pairs of one token, so for each head a warp touches
// one contiguous span of memory. sincosf (not __sincosf): coordinates can be large, and the fast
// intrinsic loses accuracy away from [-pi, pi]; the precise one matches the CPU kernel.
template <typename T>
__global__ void rope4d_kernel(const T* __restrict__ x, const int32_t* __restrict__ coords,
                              T* __restrict__ out, int64_t tokens, int heads, int head_dim,
                              const __grid_constant__ RopeFrequencies freq, float sign) {
  const int half = head_dim / 2;
  const int n = head_dim / 8;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= tokens * half) return;
  const int64_t token = i / half;
  const int p = static_cast<int>(i - token * half);

  const float theta = sign * (static_cast<float>(coords[token * 4 + p / n]) * freq.w[p % n]);
  float s, c;
  sincosf(theta, &s, &c);

  const int64_t offset = token * heads * head_dim + 2 * p;
  const T* xp = x + offset;
  T* op = out + offset;
  for (int head = 0; head < heads; ++head, xp += head_dim, op += head_dim) {
    const float x0 = load_float(xp);
    const float x1 = load_float(xp + 1);
    store_float(op, x0 * c - x1 * s);
    store_float(op + 1, x0 * s + x1 * c);
  }
}

template <typename T>
cudaError_t launch(const void* x, const int32_t* coords, void* out, int64_t tokens, int heads,
                   int head_dim, const RopeFrequencies& freq, float sign, cudaStream_t stream) {
  constexpr int kThreads = 256;
  const int64_t blocks = (tokens * (head_dim / 2) + kThreads - 1) / kThreads;
  if (blocks > INT_MAX) return cudaErrorInvalidConfiguration;
  rope4d_kernel<T><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(
      static_cast<const T*>(x), coords, static_cast<T*>(out), tokens, heads, head_dim, freq, sign);
  return cudaGetLastError();
}

}  // namespace

cudaError_t rope4d_cuda_launch(const void* x, const int32_t* coords, void* out, int64_t tokens,
                               int64_t heads, int64_t head_dim, double base, bool inverse,
                               RopeDtype dtype, cudaStream_t stream) {
  if (head_dim <= 0 || head_dim % 8 != 0 || head_dim / 8 > kRopeCudaMaxFrequencies || heads <= 0 ||
      heads > INT_MAX || tokens < 0) {
    return cudaErrorInvalidValue;
  }
  if (tokens == 0) return cudaSuccess;
  RopeFrequencies freq{};
  for (int64_t k = 0; k < head_dim / 8; ++k) freq.w[k] = rope4d_frequency(k, head_dim, base);
  const float sign = inverse ? -1.0f : 1.0f;
  const int h = static_cast<int>(head_dim);
  const int nh = static_cast<int>(heads);
  switch (dtype) {
    case RopeDtype::kFloat32:
      return launch<float>(x, coords, out, tokens, nh, h, freq, sign, stream);
    case RopeDtype::kBFloat16:
      return launch<__nv_bfloat16>(x, coords, out, tokens, nh, h, freq, sign, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace tetra::kernels
