// ensure_embedded_dataset: generates every modality's splits (data/embedded/paint.cpp for images and
// clips, data/embedded/mesh.cpp for meshes) in parallel, writes them through the ordinary shard
// writers in index order, then attaches captions and hashed text embeddings with the caption
// packer's write_shard_captions. READY (written last) records the options; a flock serialises
// callers.
#include "data/embedded/embedded.h"

#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "data/embedded/scenes.h"
#include "data/embedded/hashed_text_encoder.h"
#include "data/util/io_util.h"
#include "data/util/ordered_pool.h"
#include "data/pack/captions.h"

namespace tetra::data {
namespace {

namespace fs = std::filesystem;
using embedded::Captioned;

// Bumped whenever the generated content changes for the same options, so an old folder is rebuilt.
constexpr int kGeneratorVersion = 2;
constexpr const char kReadyTitle[] = "tetra embedded dataset\n";

absl::Status recreate_folder(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);  // left over from other options or an interrupted run
  fs::create_directories(path, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("embedded dataset: cannot create '", path, "': ", ec.message()));
  }
  return absl::OkStatus();
}

// Samples [0, count) of one split: made on `threads` threads, written in index order into shards of
// `shard_size` (so the bytes do not depend on the thread count), each shard then captioned.
template <typename Writer, typename Record>
absl::Status write_split(const std::string& dir, int64_t count, const EmbeddedDatasetOptions& o,
                        const std::function<absl::StatusOr<Captioned<Record>>(size_t)>& make,
                        TextEncoder& encoder) {
  if (absl::Status s = recreate_folder(dir); !s.ok()) return s;
  std::unique_ptr<Writer> writer;
  std::string path;
  std::vector<std::string> captions;
  int64_t shards = 0;
  auto close = [&]() -> absl::Status {
    absl::Status s = writer->finish();
    writer.reset();
    if (s.ok()) s = write_shard_captions(path, captions, &encoder, /*batch=*/256);
    captions.clear();
    ++shards;
    return s;
  };
  const std::function<absl::Status(size_t, absl::StatusOr<Captioned<Record>> &&)> consume =
      [&](size_t, absl::StatusOr<Captioned<Record>>&& sample) -> absl::Status {
    if (!sample.ok()) return sample.status();
    if (writer == nullptr) {
      char name[32];
      std::snprintf(name, sizeof(name), "shard-%05lld.h5", static_cast<long long>(shards));
      path = (fs::path(dir) / name).string();
      absl::StatusOr<std::unique_ptr<Writer>> created = Writer::create(path);
      if (!created.ok()) return created.status();
      writer = std::move(*created);
    }
    if (absl::Status s = writer->add(sample->record); !s.ok()) return s;
    captions.push_back(std::move(sample->caption));
    return writer->size() == o.shard_size ? close() : absl::OkStatus();
  };
  absl::Status s = run_ordered<absl::StatusOr<Captioned<Record>>>(
      0, static_cast<size_t>(count), o.threads, static_cast<size_t>(4 * o.threads), make, consume);
  if (s.ok() && writer != nullptr) s = close();
  return s;
}

// Both splits of one modality. `make(options, heldout, index)` builds one sample.
template <typename Writer, typename Record, typename Make>
absl::Status write_modality(const std::string& dir, Modality modality, int64_t train,
                           int64_t heldout, const EmbeddedDatasetOptions& o, Make make,
                           TextEncoder& encoder) {
  for (const bool is_heldout : {false, true}) {
    const std::function<absl::StatusOr<Captioned<Record>>(size_t)> one =
        [&](size_t i) -> absl::StatusOr<Captioned<Record>> {
      return make(o, is_heldout, static_cast<int64_t>(i));
    };
    if (absl::Status s = write_split<Writer, Record>(embedded_split_dir(dir, modality, is_heldout),
                                                    is_heldout ? heldout : train, o, one, encoder);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status check_options(const EmbeddedDatasetOptions& o) {
  const bool counts = o.num_train >= 1 && o.num_heldout >= 1 && o.video_train >= 1 &&
                      o.video_heldout >= 1 && o.mesh_train >= 1 && o.mesh_heldout >= 1 &&
                      o.shard_size >= 1 && o.threads >= 1;
  const bool images = o.min_side >= 1 && o.max_side >= o.min_side;
  const bool videos = o.video_min_side >= 16 && o.video_min_side % 16 == 0 &&
                      o.video_max_side >= o.video_min_side && o.video_max_side % 16 == 0 &&
                      o.video_frames >= 4 && o.video_fps > 0;
  const bool meshes = o.mesh_views >= 1 && o.mesh_resolution >= 16 && o.mesh_resolution % 16 == 0;
  const bool text = o.text_width >= 1 && o.text_width <= 65536;
  if (counts && images && videos && meshes && text) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "embedded dataset: need every count, shard_size and threads >= 1, 1 <= min_side <= max_side, "
      "video sides multiples of 16 with 16 <= video_min_side <= video_max_side, video_frames >= 4, "
      "video_fps > 0, mesh_views >= 1, mesh_resolution a multiple of 16, 1 <= text_width <= "
      "65536; got num_train=",
      o.num_train, " num_heldout=", o.num_heldout, " min_side=", o.min_side,
      " max_side=", o.max_side, " video_train=", o.video_train, " video_heldout=", o.video_heldout,
      " video_frames=", o.video_frames, " video_min_side=", o.video_min_side,
      " video_max_side=", o.video_max_side, " video_fps=", o.video_fps,
      " mesh_train=", o.mesh_train, " mesh_heldout=", o.mesh_heldout, " mesh_views=", o.mesh_views,
      " mesh_resolution=", o.mesh_resolution, " shard_size=", o.shard_size,
      " text_width=", o.text_width, " threads=", o.threads));
}

// READY's whole content: the dataset is reused only when every option that shapes it matches
// (`threads` does not change the bytes, so it is left out).
std::string ready_text(const EmbeddedDatasetOptions& o, const std::string& encoder) {
  return absl::StrCat(
      kReadyTitle, "generator_version=", kGeneratorVersion,
      "\nshard_format_version=", kShardFormatVersion, "\nlayout=<modality>/{train,heldout}",
      "\nnum_train=", o.num_train, "\nnum_heldout=", o.num_heldout, "\nmin_side=", o.min_side,
      "\nmax_side=", o.max_side, "\nvideo_train=", o.video_train,
      "\nvideo_heldout=", o.video_heldout, "\nvideo_frames=", o.video_frames,
      "\nvideo_min_side=", o.video_min_side, "\nvideo_max_side=", o.video_max_side,
      "\nvideo_fps=", o.video_fps, "\nmesh_train=", o.mesh_train, "\nmesh_heldout=", o.mesh_heldout,
      "\nmesh_views=", o.mesh_views, "\nmesh_resolution=", o.mesh_resolution,
      "\nshard_size=", o.shard_size, "\ntext_encoder=", encoder, "\nseed=", o.seed, "\n");
}

// Several local ranks may ask for the same folder at once; the first builds it, the rest wait on
// the lock and then find READY. Released when the descriptor closes.
class FolderLock {
 public:
  explicit FolderLock(const std::string& path)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0) {
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  ~FolderLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

}  // namespace

std::string embedded_split_dir(const std::string& dir, Modality modality, bool heldout) {
  return (fs::path(dir) / modality_disk_name(modality) / (heldout ? "heldout" : "train")).string();
}

absl::Status ensure_embedded_dataset(const std::string& dir, const EmbeddedDatasetOptions& options) {
  if (absl::Status s = check_options(options); !s.ok()) return s;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("embedded dataset: cannot create folder '", dir, "': ", ec.message()));
  }
  const std::string lock_path = (fs::path(dir) / ".lock").string();
  FolderLock lock(lock_path);
  if (!lock.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("embedded dataset: cannot lock '", lock_path, "': ", std::strerror(errno)));
  }
  HashedTextEncoder encoder(options.text_width);
  const std::string ready_path = (fs::path(dir) / "READY").string();
  const std::string ready = ready_text(options, encoder.name());
  const std::string found = ReadTextOrEmpty(ready_path);
  if (found == ready) return absl::OkStatus();
  if (absl::StartsWith(found, kReadyTitle)) {
    // Ours, from other options or an older generator: drop the image-only layout's folders too.
    fs::remove_all(fs::path(dir) / "train", ec);
    fs::remove_all(fs::path(dir) / "heldout", ec);
  }
  fs::remove(ready_path, ec);  // the shards are about to change
  const EmbeddedDatasetOptions& o = options;
  absl::Status s = write_modality<ImageShardWriter, ImageRecord>(
      dir, Modality::kImage, o.num_train, o.num_heldout, o, embedded::make_image, encoder);
  if (s.ok()) {
    s = write_modality<VideoShardWriter, VideoRecord>(
        dir, Modality::kVideo, o.video_train, o.video_heldout, o, embedded::make_video, encoder);
  }
  if (s.ok()) {
    s = write_modality<MeshShardWriter, MeshRecord>(dir, Modality::k3d, o.mesh_train,
                                                   o.mesh_heldout, o, embedded::make_mesh, encoder);
  }
  if (!s.ok()) return s;
  return WriteFileAtomically(ready_path, ready);
}

}  // namespace tetra::data
