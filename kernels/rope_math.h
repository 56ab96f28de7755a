// Scalar pieces of the 4D RoPE math shared by the CPU kernel (rope.cpp) and the CUDA launcher
// (rope_cuda.cu). Plain C++ with no LibTorch or CUDA headers so both compilers can include it, and
// so both devices use bit-identical frequency tables.
#pragma once
#include <cmath>
#include <cstdint>

namespace tetra::kernels {

// w_k = base^(-k/h), rounded once to fp32. Computed in double so the table does not depend on the
// device's powf; the exponent divides by the full head_dim h (SPEC), not by h/8.
inline float rope4d_frequency(int64_t k, int64_t head_dim, double base) {
  return static_cast<float>(
      std::pow(base, -static_cast<double>(k) / static_cast<double>(head_dim)));
}

}  // namespace tetra::kernels
