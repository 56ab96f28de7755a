#include "trainer/evaluate.h"

#include <torch/torch.h>

#include "losses/reconstruction.h"

namespace tetra::trainer {

double evaluate(model::Tokenizer& model, const std::vector<model::PackedTokens>& batches,
                const model::PatchSize& patch, parallel::Communicator& host_comm) {
  double weighted = 0, tokens = 0;
  {
    torch::NoGradGuard no_grad;
    model->eval();
    for (size_t b = static_cast<size_t>(host_comm.rank()); b < batches.size(); b += static_cast<size_t>(host_comm.size())) {
      model::ForwardOptions run;
      run.sample_latent = false;
      auto out = model->forward(batches[b], run);
      const double n = static_cast<double>(batches[b].num_tokens());
      weighted += losses::l1_reconstruction(out.reconstruction, batches[b].features, batches[b], patch).item<double>() * n;
      tokens += n;
    }
    model->train();
  }
  auto sums = torch::tensor({weighted, tokens}, torch::kDouble);
  host_comm.all_reduce(sums, parallel::ReduceOp::kSum)->wait();
  const double total = sums[1].item<double>();
  return total > 0 ? sums[0].item<double>() / total : 0.0;
}

}  // namespace tetra::trainer
