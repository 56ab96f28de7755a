#include "parallel/data_parallel.h"

#include <torch/torch.h>

#include <sstream>

#include "parallel/consistency.h"

namespace tetra::parallel {
namespace {

std::vector<torch::Tensor> trainable_parameters(const torch::nn::Module& model) {
  std::vector<torch::Tensor> params;
  for (const auto& item : model.named_parameters())
    if (item.value().requires_grad()) params.push_back(item.value());
  return params;
}

ReducerOptions reducer_options(const DataParallelOptions& options) {
  ReducerOptions r;
  r.bucket_bytes = options.bucket_bytes;
  r.first_bucket_bytes = options.first_bucket_bytes;
  r.shard = options.zero1;
  r.overlap = options.overlap;
  r.record_events = options.record_events;
  return r;
}

}  // namespace

DataParallel::DataParallel(torch::nn::Module& model, Group group, const DataParallelOptions& options)
    : BucketedGradSync(trainable_parameters(model), std::move(group), reducer_options(options)), model_(model) {
  for (const auto& item : model.named_parameters())
    if (item.value().requires_grad()) names_.push_back(item.key());
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
  return check_identical(*group().host, "model", model_signature(model_),
                         "Every rank must build the same model: run the same build of tetra-train everywhere.");
}

void DataParallel::broadcast_from_rank0() {
  if (group().size() == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<std::shared_ptr<Work>> works;
  for (const auto& item : model_.named_parameters()) works.push_back(group().device->broadcast(item.value(), 0));
  for (const auto& item : model_.named_buffers()) works.push_back(group().device->broadcast(item.value(), 0));
  for (auto& w : works) w->wait();
}

}  // namespace tetra::parallel
