// 4D rotary position embedding (SPEC section 2).
//
// head_dim h is viewed as h/2 interleaved pairs (x[2j], x[2j+1]). Each of the four axes (t, x, y, z)
// owns h/8 consecutive pairs; pair j = a*(h/8) + k rotates by angle coord[a] * w_k with
// w_k = base^(-k/h), k = 0..h/8-1 (the exponent divides by the full head_dim). Angles and the
// rotation are computed in fp32 whatever the input dtype; the output has the input's dtype.
#pragma once
#include <torch/types.h>

namespace tetra::kernels {

// x: [N, heads, head_dim] float32 or bfloat16, CPU or CUDA; coords: [N, 4] int32 on the same device.
// Differentiable (autograd backward = rotation by the opposite angle). head_dim % 8 == 0.
torch::Tensor rope4d(const torch::Tensor& x, const torch::Tensor& coords, double base = 10000.0);

// The raw kernels without autograd; inverse = rotate by -angle (this is the backward).
torch::Tensor rope4d_forward(const torch::Tensor& x, const torch::Tensor& coords, double base,
                             bool inverse);

// The same math from unfused ATen ops (cos/sin tables, gathers, multiplies): the baseline for
// benchmarks and a second implementation for tests.
torch::Tensor rope4d_reference(const torch::Tensor& x, const torch::Tensor& coords, double base = 10000.0);

// True when this build has the CUDA kernel and a GPU is visible.
bool rope4d_cuda_available();

}  // namespace tetra::kernels
