// A small regression problem for the data-parallel tests: three layers and a head that only some
// steps use, samples with different numbers of rows (so ranks hold uneven amounts of work), and a
// single-process reference over the whole global batch that any rank can compute on its own.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "parallel/consistency.h"

namespace tetra::parallel::testing {

struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl() {
    a = register_module("a", torch::nn::Linear(8, 32));
    b = register_module("b", torch::nn::Linear(32, 32));
    c = register_module("c", torch::nn::Linear(32, 4));
    head = register_module("head", torch::nn::Linear(32, 2));
  }
  torch::Tensor forward(const torch::Tensor& x, bool use_head) {
    auto h = torch::tanh(b(torch::tanh(a(x))));
    auto y = c(h);
    return use_head ? y + head(h).sum(-1, true) : y;
  }
  torch::nn::Linear a{nullptr}, b{nullptr}, c{nullptr}, head{nullptr};
};
TORCH_MODULE(TinyNet);

inline TinyNet make_net(uint64_t seed) {
  torch::manual_seed(seed);
  return TinyNet();
}

// Sample g: (g % 3) + 1 rows of 8 features, a pure function of g.
inline torch::Tensor sample_rows(int64_t g) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1000 + g);
  return at::normal(0.0, 1.0, {g % 3 + 1, 8}, gen);
}

inline int64_t rows_of(const std::vector<int64_t>& samples) {
  int64_t n = 0;
  for (auto g : samples) n += g % 3 + 1;
  return n;
}

// Mean over rows of the squared error to 0.5; 0 for an empty batch.
inline torch::Tensor batch_loss(TinyNet& net, const std::vector<int64_t>& samples, bool use_head) {
  std::vector<torch::Tensor> xs;
  for (auto g : samples) xs.push_back(sample_rows(g));
  auto y = net->forward(torch::cat(xs), use_head);
  return (y - 0.5).pow(2).sum(-1).mean();
}

struct Part {
  std::vector<int64_t> samples;
  bool use_head = false;
};

// The gradient of the global mean loss over every row of every part, computed by one process
// (undefined where no part uses a parameter).
inline std::vector<torch::Tensor> reference_grads(uint64_t seed, const std::vector<Part>& parts) {
  auto net = make_net(seed);
  int64_t total = 0;
  for (const auto& part : parts) total += rows_of(part.samples);
  torch::Tensor loss;
  for (const auto& part : parts) {
    if (part.samples.empty()) continue;
    auto term = batch_loss(net, part.samples, part.use_head) * (static_cast<double>(rows_of(part.samples)) / total);
    loss = loss.defined() ? loss + term : term;
  }
  loss.backward();
  std::vector<torch::Tensor> grads;
  for (const auto& p : net->parameters()) grads.push_back(p.grad());
  return grads;
}

// A digest of the exact bytes of every parameter: equal digests mean bitwise-equal replicas.
inline int64_t parameter_digest(torch::nn::Module& net) {
  std::string bytes;
  for (const auto& p : net.parameters()) {
    auto c = p.detach().contiguous().cpu();
    bytes.append(static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel() * c.element_size()));
  }
  return static_cast<int64_t>(fnv1a64(bytes));
}

}  // namespace tetra::parallel::testing
