#include "parallel/data_parallel.h"

#include <torch/torch.h>

#include <sstream>

#include "parallel/consistency.h"

namespace tetra::parallel {
namespace {

// Detached: the optimizer and the gathers write through these views without autograd noticing.
torch::Tensor flat(const torch::Tensor& t) { return t.detach().view(-1); }

}  // namespace

DataParallel::DataParallel(torch::nn::Module& model, Group group, const DataParallelOptions& options)
    : model_(model), group_(std::move(group)), options_(options) {
  for (const auto& item : model.named_parameters()) {
    if (!item.value().requires_grad()) continue;
    names_.push_back(item.key());
    params_.push_back(item.value());
  }
  ReducerOptions r;
  r.bucket_bytes = options.bucket_bytes;
  r.first_bucket_bytes = options.first_bucket_bytes;
  r.shard = options.zero1;
  r.overlap = options.overlap;
  r.record_events = options.record_events;
  reducer_ = std::make_unique<GradReducer>(params_, group_, r);
  if (options.zero1)
    for (const auto& bucket : reducer_->plan().buckets)
      segments_.push_back(shard_segments(bucket, group_.rank(), group_.size()));
}

std::string DataParallel::model_signature(const torch::nn::Module& model) {
  std::ostringstream out;
  for (const auto& item : model.named_parameters())
    out << "parameter " << item.key() << ": " << item.value().sizes() << " " << item.value().scalar_type()
        << (item.value().requires_grad() ? "" : " frozen") << "\n";
  for (const auto& item : model.named_buffers())
    out << "buffer " << item.key() << ": " << item.value().sizes() << " " << item.value().scalar_type() << "\n";
  return out.str();
}

absl::Status DataParallel::check_same_model() {
  return check_identical(*group_.host, "model", model_signature(model_),
                         "Every rank must build the same model: run the same build of tetra-train everywhere.");
}

void DataParallel::broadcast_from_rank0() {
  if (group_.size() == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<std::shared_ptr<Work>> works;
  for (const auto& item : model_.named_parameters()) works.push_back(group_.device->broadcast(item.value(), 0));
  for (const auto& item : model_.named_buffers()) works.push_back(group_.device->broadcast(item.value(), 0));
  for (auto& w : works) w->wait();
}

std::vector<ParamShard> DataParallel::owned_shards() const {
  std::vector<ParamShard> out;
  const auto& plan = reducer_->plan();
  if (!options_.zero1) {
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

torch::Tensor DataParallel::clip_grad_norm(double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (const auto& s : owned_shards())
    if (reducer_->used(s.param)) grads.push_back(s.grad);
  const auto device = params_.empty() ? torch::Device(torch::kCPU) : params_[0].device();
  torch::Tensor total;
  if (!options_.zero1) {
    // As torch::nn::utils::clip_grad_norm_: the norm of the per-parameter norms.
    std::vector<torch::Tensor> norms;
    for (const auto& g : grads) norms.push_back(g.norm(2));
    if (norms.empty()) return torch::zeros({}, torch::TensorOptions().device(device));
    total = norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2);
  } else {
    // Each rank holds a disjoint part of the gradient: sum the squares over the group.
    auto squares = torch::zeros({1}, torch::TensorOptions().device(device));
    for (const auto& g : grads) squares += g.to(torch::kFloat).pow(2).sum();
    group_.device->all_reduce(squares, ReduceOp::kSum)->wait();
    total = squares.sqrt().squeeze(0);
  }
  if (max_norm > 0) {
    auto coef = torch::clamp(max_norm / (total + 1e-6), std::nullopt, 1.0);
    for (auto& g : grads) g.mul_(coef);
  }
  return total;
}

void DataParallel::gather_parameters() {
  if (!options_.zero1) return;
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
