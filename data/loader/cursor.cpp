// LoaderCursor text form, the SPEC 4 stage table, and the rule for resuming with another world size.
#include <algorithm>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "data/loader/loader.h"
#include "data/loader/catalog.h"
#include "data/loader/order.h"

namespace tetra::data {

bool LoaderCursor::operator==(const LoaderCursor& o) const {
  return epoch == o.epoch && start == o.start && world == o.world && rank == o.rank &&
         emitted == o.emitted && consumed == o.consumed && next_shard == o.next_shard &&
         next_sample == o.next_sample;
}

std::string format_cursor(const LoaderCursor& c) {
  return absl::StrCat("epoch=", c.epoch, " start=", c.start, " world=", c.world, " rank=", c.rank,
                      " emitted=", c.emitted, " consumed=", c.consumed,
                      " next_shard=", c.next_shard.empty() ? "-" : c.next_shard,
                      " next_sample=", c.next_sample);
}

absl::StatusOr<LoaderCursor> parse_cursor(std::string_view view) {
  const absl::string_view text(view.data(), view.size());
  LoaderCursor c;
  int seen = 0;
  for (absl::string_view field : absl::StrSplit(text, ' ',
                                                absl::SkipEmpty())) {
    const std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(field, '=');
    bool ok = true;
    if (kv.first == "next_shard") {
      c.next_shard = kv.second == "-" ? "" : std::string(kv.second);
    } else {
      int64_t* target = kv.first == "epoch"         ? &c.epoch
                        : kv.first == "start"       ? &c.start
                        : kv.first == "world"       ? &c.world
                        : kv.first == "rank"        ? &c.rank
                        : kv.first == "emitted"     ? &c.emitted
                        : kv.first == "consumed"    ? &c.consumed
                        : kv.first == "next_sample" ? &c.next_sample
                                                    : nullptr;
      ok = target != nullptr && absl::SimpleAtoi(kv.second, target);
    }
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("loader cursor '", text, "': cannot read field '", field, "'"));
    }
    ++seen;
  }
  if (seen != 8) {
    return absl::InvalidArgumentError(absl::StrCat(
        "loader cursor '", text, "' has ", seen, " fields; format_cursor writes 8"));
  }
  return c;
}

absl::StatusOr<ResolutionRule> stage_resolution(int stage, Modality modality) {
  // SPEC 4: images 64-512 / 64-1024 / 64-2048 / same; videos - / 64-512 / 64-1024 / same.
  static constexpr int64_t kImageMax[] = {512, 1024, 2048, 2048};
  static constexpr int64_t kVideoMax[] = {0, 512, 1024, 1024};
  if (stage < 1 || stage > 4 || modality == Modality::k3d) {
    return absl::InvalidArgumentError(
        absl::StrCat("no resolution rule for stage ", stage, " and modality ",
                     modality_disk_name(modality), " (stages 1..4; meshes use the fixed 64^3 grid)"));
  }
  const int64_t max_side =
      modality == Modality::kImage ? kImageMax[stage - 1] : kVideoMax[stage - 1];
  if (max_side == 0) {
    return absl::InvalidArgumentError("stage 1 trains on images only (SPEC 4): no video rule");
  }
  return ResolutionRule{64, max_side, 16};
}

absl::StatusOr<LoaderCursor> Loader::resume_cursor(const LoaderOptions& options,
                                                  const std::vector<LoaderCursor>& saved) {
  if (saved.empty()) return LoaderCursor{};
  const bool same_world =
      static_cast<int64_t>(saved.size()) == options.world &&
      std::all_of(saved.begin(), saved.end(), [&](const LoaderCursor& c) {
        return c.world == options.world || c.world == 0;
      });
  if (same_world) return saved[options.rank];
  absl::StatusOr<ShardCatalog> catalog = open_catalog(options, nullptr);
  if (!catalog.ok()) return catalog.status();
  const OrderOptions order{options.seed, options.shuffle, options.shuffle_buffer};
  int64_t epoch = saved.front().epoch;
  for (const LoaderCursor& c : saved) epoch = std::min(epoch, c.epoch);
  int64_t earliest = catalog->total();
  for (const LoaderCursor& c : saved) {
    if (c.epoch != epoch) continue;  // that rank finished this epoch: it has nothing pending
    EpochWalk walk(*catalog, order, c.epoch, c.start, std::max<int64_t>(1, c.world), c.rank);
    for (int64_t i = 0; i < c.emitted && !walk.done(); ++i) walk.next();
    earliest = std::min(earliest, walk.earliest_pending());
  }
  LoaderCursor resumed;
  resumed.epoch = epoch;
  resumed.start = earliest;
  resumed.world = options.world;
  resumed.rank = options.rank;
  if (earliest >= catalog->total()) resumed = {epoch + 1, 0, options.world, options.rank};
  return resumed;
}

}  // namespace tetra::data
