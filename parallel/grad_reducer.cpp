#include "parallel/grad_reducer.h"

#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/torch.h>

#include <chrono>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

namespace tetra::parallel {

struct GradReducer::State {
  std::vector<torch::Tensor> params;
  Group group;
  ReducerOptions options;
  BucketPlan plan;
  std::vector<torch::Tensor> buffers;  // per bucket, flat, padded
  std::vector<torch::Tensor> views;    // per parameter: its .grad, a view into its bucket
  std::vector<torch::Tensor> shards;   // ZeRO-1: per bucket, this rank's reduced shard
  // Autograd caches gradient accumulators through weak pointers: holding them keeps our hooks alive.
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators;
  std::unordered_map<const torch::autograd::Node*, int64_t> accumulator_param;
  std::vector<uintptr_t> hook_keys;

  std::mutex mu;  // hooks of CUDA tensors run on autograd's device threads
  bool in_step = false;
  int64_t micro_steps = 1, micro_index = -1;
  std::vector<char> ready;       // per parameter, during the last micro-step
  std::vector<int64_t> pending;  // per bucket: parameters not yet ready
  int64_t next_launch = 0;
  std::vector<std::shared_ptr<Work>> works;
  torch::Tensor used;            // uint8 per parameter, over the whole step; all-reduced (max)
  std::vector<ReducerEvent> events;
  double wait_seconds = 0;

  bool last_micro() const { return micro_index == micro_steps - 1; }
  void record(ReducerEvent::Kind kind, int64_t index) {
    if (options.record_events) events.push_back({kind, index, micro_index});
  }
  void on_grad_ready(int64_t param);
  void hook_accumulators(const std::shared_ptr<State>& self);
  std::vector<char> reachable_from(const torch::Tensor& loss) const;
  void mark_ready(int64_t param);
  void launch_ready_buckets();
  void launch(int64_t bucket);
};

void GradReducer::State::on_grad_ready(int64_t i) {
  std::lock_guard<std::mutex> lock(mu);
  if (!in_step) return;  // a backward outside begin_step/finish (e.g. a test's probe): nothing to do
  record(ReducerEvent::Kind::kGradReady, i);
  used.data_ptr<uint8_t>()[i] = 1;
  // Autograd accumulates into the existing .grad in place, so it stays our view; only a backward
  // with create_graph replaces it. Then copy it into the bucket and bind the view again.
  torch::Tensor& grad = params[static_cast<size_t>(i)].mutable_grad();
  if (!grad.is_same(views[static_cast<size_t>(i)])) {
    torch::NoGradGuard no_grad;
    views[static_cast<size_t>(i)].copy_(grad);
    grad = views[static_cast<size_t>(i)];
  }
  if (last_micro()) mark_ready(i);
}

void GradReducer::State::mark_ready(int64_t i) {
  if (ready[static_cast<size_t>(i)]) return;
  ready[static_cast<size_t>(i)] = 1;
  const int64_t b = plan.bucket_of[static_cast<size_t>(i)];
  if (--pending[static_cast<size_t>(b)] == 0 && options.overlap) launch_ready_buckets();
}

// Which parameters' gradient accumulators the graph of `loss` reaches.
std::vector<char> GradReducer::State::reachable_from(const torch::Tensor& loss) const {
  std::vector<char> reached(params.size(), 0);
  std::vector<torch::autograd::Node*> stack;
  std::unordered_set<const torch::autograd::Node*> seen;
  if (loss.grad_fn()) stack.push_back(loss.grad_fn().get());
  while (!stack.empty()) {
    torch::autograd::Node* node = stack.back();
    stack.pop_back();
    for (const auto& edge : node->next_edges()) {
      torch::autograd::Node* next = edge.function.get();
      if (next == nullptr || !seen.insert(next).second) continue;
      auto it = accumulator_param.find(next);
      if (it != accumulator_param.end()) {
        reached[static_cast<size_t>(it->second)] = 1;
      } else {
        stack.push_back(next);
      }
    }
  }
  return reached;
}

// Autograd makes a parameter's gradient accumulator lazily and forgets it when the parameter's
// data is replaced (torch::load does that), so the hooks are checked, and moved to the new
// accumulator where needed, at every step.
void GradReducer::State::hook_accumulators(const std::shared_ptr<State>& self) {
  for (size_t i = 0; i < params.size(); ++i) {
    auto accumulator = torch::autograd::impl::grad_accumulator(params[i]);
    if (accumulator == accumulators[i]) continue;
    if (accumulators[i]) accumulators[i]->del_post_hook(hook_keys[i]);
    std::weak_ptr<State> weak = self;
    const int64_t index = static_cast<int64_t>(i);
    hook_keys[i] = accumulator->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
        [weak, index](const torch::autograd::variable_list& outputs, const torch::autograd::variable_list&) {
          if (auto state = weak.lock()) state->on_grad_ready(index);
          return outputs;
        }));
    accumulator_param.erase(accumulators[i].get());
    accumulator_param[accumulator.get()] = index;
    accumulators[i] = std::move(accumulator);
  }
}

void GradReducer::State::launch_ready_buckets() {
  while (next_launch < static_cast<int64_t>(plan.buckets.size()) && pending[static_cast<size_t>(next_launch)] == 0)
    launch(next_launch++);
}

void GradReducer::State::launch(int64_t b) {
  record(ReducerEvent::Kind::kLaunch, b);
  const auto& buffer = buffers[static_cast<size_t>(b)];
  works[static_cast<size_t>(b)] = options.shard
                                      ? group.device->reduce_scatter(buffer, shards[static_cast<size_t>(b)], ReduceOp::kSum)
                                      : group.device->all_reduce(buffer, ReduceOp::kSum);
}

GradReducer::GradReducer(std::vector<torch::Tensor> params, Group group, ReducerOptions options)
    : state_(std::make_shared<State>()) {
  State& s = *state_;
  s.params = std::move(params);
  s.group = std::move(group);
  s.options = options;
  const int64_t shards = s.options.shard ? s.group.size() : 1;
  s.plan = plan_buckets(s.params, options.first_bucket_bytes, options.bucket_bytes, shards);
  for (const auto& b : s.plan.buckets) {
    auto opts = torch::TensorOptions().dtype(b.dtype).device(b.device);
    s.buffers.push_back(torch::zeros({b.padded_numel}, opts));
    if (s.options.shard) s.shards.push_back(torch::zeros({b.padded_numel / shards}, opts));
  }
  for (size_t i = 0; i < s.params.size(); ++i) {
    const auto& p = s.params[i];
    TORCH_CHECK(p.requires_grad() && p.is_leaf(), "GradReducer: parameter ", i, " is not a trainable leaf tensor");
    TORCH_CHECK(p.is_contiguous(), "GradReducer: parameter ", i, " is not contiguous");
    const auto& entry = s.plan.buckets[s.plan.bucket_of[i]].entries[s.plan.entry_of[i]];
    s.views.push_back(s.buffers[s.plan.bucket_of[i]].narrow(0, entry.offset, entry.numel).view(p.sizes()));
  }
  s.accumulators.resize(s.params.size());
  s.hook_keys.resize(s.params.size());
  s.hook_accumulators(state_);
  s.used = torch::zeros({static_cast<int64_t>(s.params.size())}, torch::kUInt8);
  s.works.resize(s.plan.buckets.size());
}

GradReducer::~GradReducer() {
  for (size_t i = 0; i < state_->accumulators.size(); ++i)
    if (state_->accumulators[i]) state_->accumulators[i]->del_post_hook(state_->hook_keys[i]);
}

void GradReducer::begin_step(int64_t micro_steps) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  TORCH_CHECK(!s.in_step, "GradReducer::begin_step: the previous step was not finished");
  TORCH_CHECK(micro_steps >= 1, "GradReducer::begin_step: micro_steps must be >= 1");
  s.hook_accumulators(state_);
  torch::NoGradGuard no_grad;
  for (auto& b : s.buffers) b.zero_();
  for (size_t i = 0; i < s.params.size(); ++i) s.params[i].mutable_grad() = s.views[i];
  s.used.zero_();
  s.events.clear();
  s.micro_steps = micro_steps;
  s.micro_index = -1;
  s.in_step = true;
}

void GradReducer::begin_micro_step() {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  TORCH_CHECK(s.in_step, "GradReducer::begin_micro_step: call begin_step first");
  TORCH_CHECK(s.micro_index + 1 < s.micro_steps, "GradReducer::begin_micro_step: more micro-steps than the ",
              s.micro_steps, " announced to begin_step");
  ++s.micro_index;
  if (!s.last_micro()) return;
  s.ready.assign(s.params.size(), 0);
  s.pending.clear();
  for (const auto& b : s.plan.buckets) s.pending.push_back(static_cast<int64_t>(b.entries.size()));
  s.next_launch = 0;
  std::fill(s.works.begin(), s.works.end(), nullptr);
}

void GradReducer::prepare_for_backward(const torch::Tensor& loss) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.in_step || !s.last_micro()) return;  // inner micro-steps launch nothing
  const auto reached = s.reachable_from(loss);
  for (size_t i = 0; i < s.params.size(); ++i)
    if (!reached[i]) s.mark_ready(static_cast<int64_t>(i));
}

void GradReducer::backward(const torch::Tensor& loss) {
  prepare_for_backward(loss);
  loss.backward();
}

void GradReducer::finish() {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  TORCH_CHECK(s.in_step && s.last_micro(), "GradReducer::finish: call it after the last micro-step's backward (",
              s.micro_index + 1, " of ", s.micro_steps, " micro-steps begun)");
  s.record(ReducerEvent::Kind::kBackwardDone, -1);
  s.in_step = false;
  // Buckets with a parameter that got no gradient on this rank were not launched: launch them now,
  // still in index order, so every rank issues the same sequence.
  while (s.next_launch < static_cast<int64_t>(s.plan.buckets.size())) s.launch(s.next_launch++);
  std::shared_ptr<Work> used_work;
  if (s.group.size() > 1) used_work = s.group.host->all_reduce(s.used, ReduceOp::kMax);
  const auto start = std::chrono::steady_clock::now();
  for (auto& w : s.works) w->wait();
  if (used_work) used_work->wait();
  s.wait_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto* used = s.used.data_ptr<uint8_t>();
  for (size_t i = 0; i < s.params.size(); ++i)
    if (s.options.shard || !used[i]) s.params[i].mutable_grad() = torch::Tensor();
}

const BucketPlan& GradReducer::plan() const { return state_->plan; }
const std::vector<torch::Tensor>& GradReducer::params() const { return state_->params; }
const Group& GradReducer::group() const { return state_->group; }
const ReducerOptions& GradReducer::options() const { return state_->options; }
bool GradReducer::used(int64_t param) const { return state_->used.data_ptr<uint8_t>()[param] != 0; }
const torch::Tensor& GradReducer::reduced_shard(int64_t bucket) const {
  TORCH_CHECK(state_->options.shard, "GradReducer::reduced_shard: only with ReducerOptions::shard (ZeRO-1)");
  return state_->shards[static_cast<size_t>(bucket)];
}
const torch::Tensor& GradReducer::bucket_buffer(int64_t bucket) const {
  return state_->buffers[static_cast<size_t>(bucket)];
}
const std::vector<ReducerEvent>& GradReducer::events() const { return state_->events; }
double GradReducer::last_wait_seconds() const { return state_->wait_seconds; }

int64_t GradReducer::completed_reductions() {
  std::lock_guard<std::mutex> lock(state_->mu);
  int64_t done = 0;
  for (const auto& w : state_->works)
    if (w && w->completed()) ++done;
  return done;
}

}  // namespace tetra::parallel
