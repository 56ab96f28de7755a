#include "data/loader/catalog.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "data/loader/sample_source.h"
#include "data/shards/image_shard.h"

namespace tetra::data {

absl::StatusOr<ShardCatalog> open_catalog(const LoaderOptions& options, int64_t* skipped) {
  std::vector<std::string> paths = options.shards;
  if (paths.empty()) {
    absl::StatusOr<std::vector<std::string>> listed = list_shards(options.path);
    if (!listed.ok()) return listed.status();
    paths = std::move(*listed);
  }
  ShardCatalog catalog;
  std::string first_error;
  for (const std::string& path : paths) {
    absl::StatusOr<std::unique_ptr<ShardSource>> source =
        ShardSource::open(path, options.modality, /*load_text=*/false);
    if (!source.ok()) {
      std::cerr << "tetra data: skipping unreadable shard " << path << ": "
                << source.status().message() << "\n";
      if (first_error.empty()) first_error = std::string(source.status().message());
      if (skipped != nullptr) ++*skipped;
      continue;
    }
    if ((*source)->size() == 0) continue;
    catalog.paths.push_back(path);
    catalog.starts.push_back(catalog.starts.back() + (*source)->size());
  }
  if (catalog.total() == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no readable ", modality_disk_name(options.modality), " samples in ", paths.size(),
        " shard(s)", first_error.empty() ? "" : absl::StrCat(", e.g. ", first_error)));
  }
  return catalog;
}

}  // namespace tetra::data
