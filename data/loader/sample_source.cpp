#include "data/loader/sample_source.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "data/util/rng_util.h"

namespace tetra::data {
namespace {

// Random down-scaling (SPEC 1, AToken's random_resolution): with the given probability the rule's
// size is scaled by a factor uniform in [min_side / shorter side, 1].
double draw_downscale(int64_t height, int64_t width, const LoaderOptions& options,
                     std::mt19937_64* rng) {
  if (rng == nullptr || !options.train || options.downscale_probability <= 0) return 1.0;
  if (uniform_unit(*rng) >= options.downscale_probability) return 1.0;
  const auto [h, w] = resized_shape(height, width, options.resolution);
  const double lowest =
      std::min(1.0, static_cast<double>(options.resolution.min_side) /
                        static_cast<double>(std::max<int64_t>(1, std::min(h, w))));
  return lowest + (1.0 - lowest) * uniform_unit(*rng);
}

void take_pixels(const Image& image, Sample* sample) {
  sample->height = image.height;
  sample->width = image.width;
  sample->pixels.insert(sample->pixels.end(), image.rgb.begin(), image.rgb.end());
}

}  // namespace

absl::StatusOr<std::unique_ptr<ShardSource>> ShardSource::open(const std::string& path,
                                                               Modality modality, bool load_text) {
  std::unique_ptr<ShardSource> source(new ShardSource());
  source->path_ = path;
  if (modality == Modality::kImage) {
    auto reader = ImageShardReader::open(path);
    if (!reader.ok()) return reader.status();
    source->images_ = std::move(*reader);
    source->size_ = source->images_->size();
    source->file_ = &source->images_->file();
  } else if (modality == Modality::kVideo) {
    auto reader = VideoShardReader::open(path);
    if (!reader.ok()) return reader.status();
    source->videos_ = std::move(*reader);
    source->size_ = source->videos_->size();
    source->file_ = &source->videos_->file();
  } else {
    auto reader = MeshShardReader::open(path);
    if (!reader.ok()) return reader.status();
    source->meshes_ = std::move(*reader);
    source->size_ = source->meshes_->size();
    source->file_ = &source->meshes_->file();
  }
  if (load_text && source->file_ != nullptr) {
    absl::StatusOr<TextColumns> text = read_text_columns(*source->file_);
    if (!text.ok()) return text.status();
    source->text_ = std::move(*text);
  }
  return source;
}

absl::Status ShardSource::load_image(int64_t index, const LoaderOptions& options,
                                    std::mt19937_64* rng, Sample* sample) const {
  absl::StatusOr<ImageRecord> record = images_->read(index);
  if (!record.ok()) return record.status();
  absl::StatusOr<Image> image = decode_record(*record, sample->label);
  if (!image.ok()) return image.status();
  sample->source_id = std::move(record->source_id);
  const double downscale = draw_downscale(image->height, image->width, options, rng);
  take_pixels(resize_and_crop(*image, options.resolution, rng, downscale), sample);
  sample->frames = 1;
  return absl::OkStatus();
}

absl::Status ShardSource::load_video(int64_t index, const LoaderOptions& options,
                                    std::mt19937_64* rng, Sample* sample) const {
  const VideoInfo& info = videos_->info(index);
  sample->source_id = info.source_id;
  const std::vector<int64_t> frames =
      choose_window(info.num_frames, options.window, options.patch.t, rng, &sample->window_start,
                   &sample->window_stride);
  if (frames.empty()) {
    return absl::DataLossError(absl::StrCat(sample->label, ": clip has ", info.num_frames,
                                            " frames, fewer than one temporal patch (",
                                            options.patch.t, ")"));
  }
  absl::StatusOr<std::vector<Image>> decoded = videos_->decode_frames(index, frames);
  if (!decoded.ok()) return decoded.status();
  const double downscale = draw_downscale(info.height, info.width, options, rng);
  // One crop for the whole window: every frame replays the same crop draws.
  const std::mt19937_64 crop_rng = rng != nullptr ? *rng : std::mt19937_64();
  for (const Image& frame : *decoded) {
    std::mt19937_64 frame_rng = crop_rng;
    take_pixels(resize_and_crop(frame, options.resolution, rng != nullptr ? &frame_rng : nullptr,
                             downscale),
               sample);
  }
  sample->frames = static_cast<int64_t>(frames.size());
  return absl::OkStatus();
}

absl::Status ShardSource::load_mesh(int64_t index, Sample* sample) const {
  sample->source_id = meshes_->info(index).source_id;
  absl::StatusOr<MeshVoxels> voxels = meshes_->read_voxels(index);
  if (!voxels.ok()) return voxels.status();
  sample->voxels = std::move(*voxels);
  return absl::OkStatus();
}

absl::Status ShardSource::load_text(int64_t index, Sample* sample) const {
  if (text_.captions.empty()) return absl::OkStatus();
  sample->caption = text_.captions[index];
  if (text_.embedding_width == 0) return absl::OkStatus();
  return read_text_embedding(*file_, index, text_.embedding_width, &sample->text_embedding);
}

absl::StatusOr<Sample> ShardSource::load(int64_t index, const LoaderOptions& options,
                                         std::mt19937_64* rng) const {
  Sample sample;
  sample.modality = options.modality;
  sample.label = absl::StrCat(path_, "#", index);
  absl::Status s;
  if (images_ != nullptr) {
    s = load_image(index, options, rng, &sample);
  } else if (videos_ != nullptr) {
    s = load_video(index, options, rng, &sample);
  } else {
    s = load_mesh(index, &sample);
  }
  if (s.ok()) s = load_text(index, &sample);
  if (!s.ok()) return s;
  sample.grid = options.modality == Modality::k3d
                    ? TokenGrid{1, 0, 0, 0, sample.voxels.count()}
                    : FrameGrid(sample.frames, sample.height, sample.width, options.patch);
  return sample;
}

}  // namespace tetra::data
