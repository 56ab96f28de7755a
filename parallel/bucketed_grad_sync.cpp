#include "parallel/bucketed_grad_sync.h"

#include <torch/torch.h>

namespace tetra::parallel {
namespace {

// Detached: the optimizer and the gathers write through these views without autograd noticing.
torch::Tensor flat(const torch::Tensor& t) { return t.detach().view(-1); }

}  // namespace

BucketedGradSync::BucketedGradSync(std::vector<torch::Tensor> params, Group group, const ReducerOptions& options)
    : group_(std::move(group)), params_(std::move(params)) {
  reducer_ = std::make_unique<GradReducer>(params_, group_, options);
  if (options.shard)
    for (const auto& bucket : reducer_->plan().buckets)
      segments_.push_back(shard_segments(bucket, group_.rank(), group_.size()));
}

void BucketedGradSync::begin_step(int64_t micro_batches) { reducer_->begin_step(micro_batches); }

void BucketedGradSync::backward(const torch::Tensor& loss) {
  reducer_->begin_micro_step();
  if (loss.defined()) reducer_->backward(loss);
}

torch::Tensor BucketedGradSync::finish(double max_norm) {
  reducer_->finish();
  return clip_grad_norm(max_norm);
}

std::vector<ParamShard> BucketedGradSync::owned_shards() const {
  std::vector<ParamShard> out;
  const auto& plan = reducer_->plan();
  if (!zero1()) {
    for (size_t i = 0; i < params_.size(); ++i) {
      const auto& entry = plan.buckets[plan.bucket_of[i]].entries[plan.entry_of[i]];
      out.push_back({static_cast<int64_t>(i), 0, flat(params_[i]),
                     reducer_->bucket_buffer(plan.bucket_of[i]).narrow(0, entry.offset, entry.numel)});
    }
    return out;
  }
  for (size_t b = 0; b < segments_.size(); ++b) {
    const auto& shard = reducer_->reduced_shard(static_cast<int64_t>(b));
    for (const auto& seg : segments_[b])
      out.push_back({seg.param, seg.param_offset, flat(params_[seg.param]).narrow(0, seg.param_offset, seg.numel),
                     shard.narrow(0, seg.shard_offset, seg.numel)});
  }
  return out;
}

torch::Tensor BucketedGradSync::grad_norm() {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (const auto& s : owned_shards())
    if (reducer_->used(s.param)) grads.push_back(s.grad);
  const auto device = params_.empty() ? torch::Device(torch::kCPU) : params_[0].device();
  if (!zero1()) {
    // As torch::nn::utils::clip_grad_norm_: the norm of the per-parameter norms.
    std::vector<torch::Tensor> norms;
    for (const auto& g : grads) norms.push_back(g.norm(2));
    if (norms.empty()) return torch::zeros({}, torch::TensorOptions().device(device));
    return norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2);
  }
  // Each rank holds a disjoint part of the gradient: sum the squares over the group.
  auto squares = torch::zeros({1}, torch::TensorOptions().device(device));
  for (const auto& g : grads) squares += g.to(torch::kFloat).pow(2).sum();
  group_.device->all_reduce(squares, ReduceOp::kSum)->wait();
  return squares.sqrt().squeeze(0);
}

void BucketedGradSync::scale_grads(const torch::Tensor& coef) {
  torch::NoGradGuard no_grad;
  for (const auto& s : owned_shards())
    if (reducer_->used(s.param)) s.grad.mul_(coef);
}

torch::Tensor BucketedGradSync::clip_grad_norm(double max_norm) {
  torch::NoGradGuard no_grad;
  auto total = grad_norm();
  if (max_norm > 0) scale_grads(torch::clamp(max_norm / (total + 1e-6), std::nullopt, 1.0));
  return total;
}

void BucketedGradSync::gather_parameters() {
  if (!zero1()) return;
  torch::NoGradGuard no_grad;
  std::vector<std::shared_ptr<Work>> works;
  for (size_t b = 0; b < segments_.size(); ++b) {
    const auto& send = reducer_->reduced_shard(static_cast<int64_t>(b));
    for (const auto& seg : segments_[b])
      send.narrow(0, seg.shard_offset, seg.numel).copy_(flat(params_[seg.param]).narrow(0, seg.param_offset, seg.numel));
    works.push_back(group_.device->all_gather(send, reducer_->bucket_buffer(static_cast<int64_t>(b))));
  }
  const auto& plan = reducer_->plan();
  for (size_t b = 0; b < works.size(); ++b) {
    works[b]->wait();
    const auto& gathered = reducer_->bucket_buffer(static_cast<int64_t>(b));
    for (const auto& e : plan.buckets[b].entries) flat(params_[e.param]).copy_(gathered.narrow(0, e.offset, e.numel));
  }
}

}  // namespace tetra::parallel
