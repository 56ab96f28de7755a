// Host launcher for the 4D RoPE CUDA kernel (kernels/rope_cuda.cu). Plain C++ on raw pointers so
// the .cu never includes LibTorch: nvcc stays fast and independent of the LibTorch headers. The
// ATen binding (validation, allocation, stream) lives in kernels/rope.cpp.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tetra::kernels {

enum class RopeDtype { kFloat32, kBFloat16 };

// The frequencies travel in the kernel's parameter block, so head_dim / 8 is bounded (head_dim <=
// 1024).
constexpr int kRopeCudaMaxFrequencies = 128;

// x and out: contiguous [tokens, heads, head_dim] of `dtype`; coords: contiguous [tokens, 4] int32;
// all on the current device. out must not alias x. Enqueues on `stream` and returns the launch
// status (cudaGetLastError); the caller turns it into an error.
cudaError_t rope4d_cuda_launch(const void* x, const int32_t* coords, void* out, int64_t tokens,
                               int64_t heads, int64_t head_dim, double base, bool inverse,
                               RopeDtype dtype, cudaStream_t stream);

}  // namespace tetra::kernels
