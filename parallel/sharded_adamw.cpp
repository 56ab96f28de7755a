#include "parallel/sharded_adamw.h"

#include <torch/torch.h>

#include <cmath>

#include "absl/strings/str_cat.h"

namespace tetra::parallel {

ShardedAdamW::ShardedAdamW(std::vector<std::string> names, std::vector<int64_t> group_of,
                           std::vector<AdamWGroup> groups, AdamWOptions options)
    : names_(std::move(names)), group_of_(std::move(group_of)), groups_(std::move(groups)), options_(options) {
  TORCH_CHECK(names_.size() == group_of_.size(), "ShardedAdamW: one group index per parameter name");
  for (auto g : group_of_)
    TORCH_CHECK(g >= 0 && g < static_cast<int64_t>(groups_.size()), "ShardedAdamW: group ", g, " does not exist");
}

void ShardedAdamW::step(const std::vector<ParamShard>& shards, const std::function<bool(int64_t)>& skip) {
  torch::NoGradGuard no_grad;
  const double beta1 = options_.beta1, beta2 = options_.beta2;
  for (const auto& s : shards) {
    if (skip(s.param)) continue;
    const AdamWGroup& group = groups_[static_cast<size_t>(group_of_[static_cast<size_t>(s.param)])];
    auto& piece = state_[{s.param, s.offset}];
    if (!piece.exp_avg.defined()) {
      piece.exp_avg = torch::zeros_like(s.value);
      piece.exp_avg_sq = torch::zeros_like(s.value);
    }
    // The order of operations is LibTorch's (torch/csrc/api/src/optim/adamw.cpp).
    if (group.weight_decay != 0) s.value.mul_(1 - group.lr * group.weight_decay);
    piece.step += 1;
    const double bias_correction1 = 1 - std::pow(beta1, piece.step);
    const double bias_correction2 = 1 - std::pow(beta2, piece.step);
    piece.exp_avg.mul_(beta1).add_(s.grad, 1 - beta1);
    piece.exp_avg_sq.mul_(beta2).addcmul_(s.grad, s.grad, 1 - beta2);
    auto denom = (piece.exp_avg_sq.sqrt() / std::sqrt(bias_correction2)).add_(options_.eps);
    s.value.addcdiv_(piece.exp_avg, denom, -group.lr / bias_correction1);
  }
}

void ShardedAdamW::save(torch::serialize::OutputArchive& archive) const {
  int64_t k = 0;
  for (const auto& [key, piece] : state_) {
    const std::string p = absl::StrCat("piece.", k++, ".");
    archive.write(p + "name", c10::IValue(names_[static_cast<size_t>(key.first)]));
    archive.write(p + "offset", c10::IValue(key.second));
    archive.write(p + "step", c10::IValue(piece.step));
    archive.write(p + "exp_avg", piece.exp_avg.cpu());
    archive.write(p + "exp_avg_sq", piece.exp_avg_sq.cpu());
  }
  archive.write("pieces", c10::IValue(k));
}

namespace {

struct SavedPiece {
  int64_t offset = 0, step = 0;
  torch::Tensor exp_avg, exp_avg_sq;
};

std::map<std::string, std::vector<SavedPiece>> read_pieces(std::vector<torch::serialize::InputArchive>& archives) {
  std::map<std::string, std::vector<SavedPiece>> by_name;
  for (auto& archive : archives) {
    c10::IValue count;
    archive.read("pieces", count);
    for (int64_t k = 0; k < count.toInt(); ++k) {
      const std::string p = absl::StrCat("piece.", k, ".");
      c10::IValue name, offset, step;
      SavedPiece piece;
      archive.read(p + "name", name);
      archive.read(p + "offset", offset);
      archive.read(p + "step", step);
      archive.read(p + "exp_avg", piece.exp_avg);
      archive.read(p + "exp_avg_sq", piece.exp_avg_sq);
      piece.offset = offset.toInt();
      piece.step = step.toInt();
      by_name[name.toStringRef()].push_back(std::move(piece));
    }
  }
  return by_name;
}

}  // namespace

absl::Status ShardedAdamW::load(std::vector<torch::serialize::InputArchive>& archives,
                                const std::vector<ParamShard>& shards) {
  std::map<std::string, std::vector<SavedPiece>> saved;
  try {
    saved = read_pieces(archives);
  } catch (const c10::Error& e) {
    return absl::DataLossError(absl::StrCat("optimizer state is unreadable: ", e.what_without_backtrace()));
  }
  state_.clear();
  torch::NoGradGuard no_grad;
  for (const auto& s : shards) {
    const std::string& name = names_[static_cast<size_t>(s.param)];
    auto found = saved.find(name);
    if (found == saved.end()) continue;  // never stepped in the saving run
    const int64_t lo = s.offset, hi = s.offset + s.value.numel();
    Piece piece;
    piece.exp_avg = torch::zeros_like(s.value);
    piece.exp_avg_sq = torch::zeros_like(s.value);
    int64_t covered = 0;
    piece.step = -1;
    for (const auto& from : found->second) {
      const int64_t a = std::max(lo, from.offset), b = std::min(hi, from.offset + from.exp_avg.numel());
      if (a >= b) continue;
      if (piece.step >= 0 && piece.step != from.step)
        return absl::DataLossError(absl::StrCat("optimizer state of '", name, "' has pieces at different steps (",
                                                piece.step, " and ", from.step, ")"));
      piece.step = from.step;
      piece.exp_avg.narrow(0, a - lo, b - a).copy_(from.exp_avg.narrow(0, a - from.offset, b - a));
      piece.exp_avg_sq.narrow(0, a - lo, b - a).copy_(from.exp_avg_sq.narrow(0, a - from.offset, b - a));
      covered += b - a;
    }
    if (covered != hi - lo)
      return absl::DataLossError(absl::StrCat("optimizer state of '", name, "' covers ", covered, " of elements [",
                                              lo, ", ", hi, "): the checkpoint was written for another model size "
                                              "or is missing a rank's optimizer shard"));
    state_[{s.param, s.offset}] = std::move(piece);
  }
  return absl::OkStatus();
}

std::vector<ShardedAdamW::ParamState> ShardedAdamW::local_full_state(const std::vector<torch::Tensor>& params) const {
  std::vector<ParamState> full(params.size());
  for (size_t p = 0; p < params.size(); ++p) {
    full[p].exp_avg = torch::zeros({params[p].numel()}, params[p].options());
    full[p].exp_avg_sq = torch::zeros({params[p].numel()}, params[p].options());
  }
  for (const auto& [key, piece] : state_) {
    auto& f = full[static_cast<size_t>(key.first)];
    f.exp_avg.narrow(0, key.second, piece.exp_avg.numel()).copy_(piece.exp_avg);
    f.exp_avg_sq.narrow(0, key.second, piece.exp_avg_sq.numel()).copy_(piece.exp_avg_sq);
    f.step = piece.step;
  }
  return full;
}

void ShardedAdamW::set_full_state(const std::vector<ParamState>& full, const std::vector<ParamShard>& shards) {
  state_.clear();
  for (const auto& s : shards) {
    const auto& f = full[static_cast<size_t>(s.param)];
    if (f.step == 0) continue;
    const int64_t n = s.value.numel();
    state_[{s.param, s.offset}] =
        Piece{f.exp_avg.narrow(0, s.offset, n).clone(), f.exp_avg_sq.narrow(0, s.offset, n).clone(), f.step};
  }
}

std::pair<torch::Tensor, torch::Tensor> ShardedAdamW::moments(int64_t param, int64_t offset) const {
  auto it = state_.find({param, offset});
  if (it == state_.end()) return {};
  return {it->second.exp_avg, it->second.exp_avg_sq};
}

int64_t ShardedAdamW::step_count(int64_t param, int64_t offset) const {
  auto it = state_.find({param, offset});
  return it == state_.end() ? 0 : it->second.step;
}

}  // namespace tetra::parallel
