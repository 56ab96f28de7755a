#include "parallel/consistency.h"

#include <torch/torch.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace tetra::parallel {
namespace {

constexpr int kMaxKeysPerRank = 8;

std::map<std::string, std::string> by_key(const std::string& text) {
  std::map<std::string, std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const auto colon = line.find(": ");
    if (colon == absl::string_view::npos) {
      out[std::string(line)] = "(present)";
    } else {
      out[std::string(line.substr(0, colon))] = std::string(line.substr(colon + 2));
    }
  }
  return out;
}

// "optim.lr = 0.002 (rank 0: 0.001), model.width missing (rank 0: 64)"
std::string describe_difference(const std::map<std::string, std::string>& reference,
                                const std::map<std::string, std::string>& mine) {
  std::vector<std::string> parts;
  auto add = [&](std::string part) {
    if (static_cast<int>(parts.size()) < kMaxKeysPerRank) parts.push_back(std::move(part));
  };
  for (const auto& [key, value] : mine) {
    auto it = reference.find(key);
    if (it == reference.end()) {
      add(absl::StrCat(key, " = ", value, " (rank 0: missing)"));
    } else if (it->second != value) {
      add(absl::StrCat(key, " = ", value, " (rank 0: ", it->second, ")"));
    }
  }
  for (const auto& [key, value] : reference)
    if (!mine.count(key)) add(absl::StrCat(key, " missing (rank 0: ", value, ")"));
  return absl::StrJoin(parts, ", ");
}

}  // namespace

uint64_t fnv1a64(const std::string& bytes) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

namespace {
constexpr char kCollectivePayload[] = "tetra.parallel/collective";
}  // namespace

absl::Status mark_collective(absl::Status status) {
  if (!status.ok()) status.SetPayload(kCollectivePayload, absl::Cord("1"));
  return status;
}

bool is_collective(const absl::Status& status) { return status.GetPayload(kCollectivePayload).has_value(); }

absl::Status check_identical(Communicator& comm, const std::string& what, const std::string& text,
                             const std::string& fix) {
  if (comm.size() == 1) return absl::OkStatus();
  auto mine = torch::tensor({static_cast<int64_t>(fnv1a64(text))}, torch::kInt64);
  auto hashes = torch::empty({comm.size()}, torch::kInt64);
  comm.all_gather(mine, hashes)->wait();
  if ((hashes == hashes[0]).all().item<bool>()) return absl::OkStatus();
  // Every rank takes this branch (they all see the same hashes), so the gather below matches.
  const auto texts = all_gather_strings(comm, text);
  const auto reference = by_key(texts[0]);
  std::vector<std::string> lines;
  for (size_t r = 1; r < texts.size(); ++r) {
    if (texts[r] == texts[0]) continue;
    lines.push_back(absl::StrCat("  rank ", r, ": ", describe_difference(reference, by_key(texts[r]))));
  }
  return mark_collective(absl::FailedPreconditionError(
      absl::StrCat("the ranks do not hold the same ", what, ":\n", absl::StrJoin(lines, "\n"), "\n", fix)));
}

}  // namespace tetra::parallel
