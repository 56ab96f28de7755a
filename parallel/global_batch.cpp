#include "parallel/global_batch.h"

#include <torch/torch.h>

namespace tetra::parallel {

GlobalBatch GlobalBatch::exchange(const Group& group, std::vector<SlotSize> local) {
  std::vector<int64_t> mine;
  for (const auto& slot : local) {
    mine.push_back(slot.tokens);
    mine.push_back(slot.samples);
  }
  auto& host = *group.host;
  auto sizes = torch::empty({host.size(), static_cast<int64_t>(mine.size())}, torch::kInt64);
  host.all_gather(torch::tensor(mine, torch::kInt64), sizes)->wait();
  return GlobalBatch(group, std::move(local), sizes);
}

const SlotSize& GlobalBatch::local(int64_t slot) const {
  TORCH_CHECK(slot >= 0 && slot < slots(), "GlobalBatch: slot ", slot, " of ", slots());
  return local_[static_cast<size_t>(slot)];
}

int64_t GlobalBatch::global(int64_t slot, int64_t column) const {
  local(slot);  // bounds
  return sizes_.select(1, 2 * slot + column).sum().item<int64_t>();
}

int64_t GlobalBatch::global_tokens(int64_t slot) const { return global(slot, 0); }
int64_t GlobalBatch::global_samples(int64_t slot) const { return global(slot, 1); }

int64_t GlobalBatch::global_tokens() const {
  int64_t total = 0;
  for (int64_t k = 0; k < slots(); ++k) total += global_tokens(k);
  return total;
}

int64_t GlobalBatch::samples_of(int64_t slot, int rank) const {
  local(slot);
  TORCH_CHECK(rank >= 0 && rank < group_.size(), "GlobalBatch: rank ", rank, " of ", group_.size());
  return sizes_[rank][2 * slot + 1].item<int64_t>();
}

double GlobalBatch::share(int64_t slot) const {
  const bool by_samples = local(slot).mean_over == MeanOver::kSamples;
  const int64_t mine = by_samples ? local(slot).samples : local(slot).tokens;
  const int64_t all = by_samples ? global_samples(slot) : global_tokens(slot);
  return static_cast<double>(mine) / static_cast<double>(all);
}

std::optional<GatheredRows> GlobalBatch::gather_rows(int64_t slot, const torch::Tensor& rows) const {
  TORCH_CHECK(rows.dim() >= 1 && rows.size(0) == local(slot).samples, "GlobalBatch::gather_rows: slot ", slot,
              " has ", local(slot).samples, " samples on this rank, got ", rows.sizes(), " rows");
  if (group_.size() == 1) return std::nullopt;
  std::vector<int64_t> counts;
  for (int r = 0; r < group_.size(); ++r) counts.push_back(samples_of(slot, r));
  return all_gather_rows(*group_.device, rows, counts);
}

}  // namespace tetra::parallel
