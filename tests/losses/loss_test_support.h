// Helpers shared by the loss tests: golden files, tolerance checks, finite differences, and the
// Python reference scripts run through $TETRA_PYTHON.
#pragma once
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "losses/safetensors.h"
#include "model/tokens.h"

namespace tetra::losses::testing {

// tests/losses in the source tree: $TETRA_SOURCE_DIR/tests/losses (ctest sets it), else this file's
// folder. __FILE__ alone is not enough: ccache's base_dir makes it relative to the build folder.
std::filesystem::path test_dir();
std::string golden_dir();                 // tests/losses/golden
std::string golden_path(const std::string& name);
const TensorMap& golden();                // golden.safetensors, loaded once
torch::Tensor golden(const std::string& key);  // fails the test when the key is missing

// max |actual - expected| <= rtol * max |expected| (relative to the tensor's scale, so elements
// near zero do not demand impossible precision), with a message naming `what`.
::testing::AssertionResult close_relative(const torch::Tensor& actual, const torch::Tensor& expected, double rtol);

// Central differences in double precision: for each input, along random directions and along a
// few coordinates, (f(x + h v) - f(x - h v)) / 2h must match <grad f(x), v>.
void expect_gradients_match_finite_differences(const std::function<torch::Tensor(const std::vector<torch::Tensor>&)>& f,
                                               std::vector<torch::Tensor> inputs, double rtol = 1e-6);

// Packs images [H, W, 3] (each one sample) into tokens with `patch`.
model::PackedTokens pack_images(const std::vector<torch::Tensor>& images, const model::PatchSize& patch);
// Frame 0 of each sample of packed features, as [H, W, 3] (the inverse of pack_images).
std::vector<torch::Tensor> unpack_images(const torch::Tensor& features, const model::PackedTokens& tokens,
                                         const model::PatchSize& patch);

// Runs `$TETRA_PYTHON script args...`; returns false (and sets *why) when TETRA_PYTHON is unset.
// A script that fails fails the test with its output.
bool run_python(const std::string& script, const std::vector<std::string>& args, std::string* why);
std::string scratch_dir(const std::string& name);  // a fresh folder under the temp dir

}  // namespace tetra::losses::testing
