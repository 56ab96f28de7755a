// Shared by the parallel tests. They run in two ways: as one process (ctest, a world of one: the
// self communicator) and as two ranks under mpirun (tests/integration/mpi_parallel_units.sh), where
// every rank runs the same tests in the same order. Expectations are written for any world size.
#pragma once
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "parallel/mpi_runtime.h"
#include "parallel/world.h"

namespace tetra::parallel::testing {

// The process's world; a failing test on one rank must not leave the others waiting forever, so
// collectives time out (and abort the job) after two minutes.
inline World& world() {
  auto w = World::Get();
  if (!w.ok()) {
    ADD_FAILURE() << w.status();
    std::abort();
  }
  mpi::set_timeout_seconds(120);
  return **w;
}

// Elementwise closeness with a message that says where and by how much.
inline ::testing::AssertionResult close(const torch::Tensor& a, const torch::Tensor& b, double rtol, double atol) {
  if (a.sizes() != b.sizes()) return ::testing::AssertionFailure() << "shapes " << a.sizes() << " vs " << b.sizes();
  auto diff = (a.to(torch::kDouble) - b.to(torch::kDouble)).abs();
  auto bound = atol + rtol * b.to(torch::kDouble).abs();
  if ((diff <= bound).all().item<bool>()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "max |a-b| = " << diff.max().item<double>() << " (bound "
                                       << bound.max().item<double>() << ")";
}

}  // namespace tetra::parallel::testing
