#include "data/shards/video_shard.h"

#include "absl/strings/str_cat.h"
#include "data/shards/h5_shard_file.h"

namespace tetra::data {
namespace {

constexpr char kFrameData[] = "videos/frame_data";
constexpr char kFrameOffsets[] = "videos/frame_offsets";
constexpr char kFirstFrame[] = "videos/first_frame";
constexpr char kEncoding[] = "videos/encoding";
constexpr char kHeight[] = "videos/height";
constexpr char kWidth[] = "videos/width";
constexpr char kFps[] = "videos/fps";
constexpr char kSourceHeight[] = "videos/source_height";
constexpr char kSourceWidth[] = "videos/source_width";
constexpr char kSourceFps[] = "videos/source_fps";
constexpr char kSourceId[] = "videos/source_id";
constexpr hsize_t kChunkBytes = 1 << 20;

template <typename T, typename F>
std::vector<T> gather(const std::vector<VideoInfo>& infos, F field) {
  std::vector<T> out;
  out.reserve(infos.size());
  for (const VideoInfo& info : infos) out.push_back(static_cast<T>(field(info)));
  return out;
}

}  // namespace

VideoShardWriter::VideoShardWriter(std::unique_ptr<ShardFileWriter> file) : file_(std::move(file)) {}
VideoShardWriter::~VideoShardWriter() = default;
VideoShardReader::VideoShardReader(std::unique_ptr<ShardFileReader> file) : file_(std::move(file)) {}
VideoShardReader::~VideoShardReader() = default;
const std::string& VideoShardReader::path() const { return file_->path(); }

absl::StatusOr<std::unique_ptr<VideoShardWriter>> VideoShardWriter::create(
    const std::string& path) {
  absl::StatusOr<std::unique_ptr<ShardFileWriter>> file =
      ShardFileWriter::create(path, Modality::kVideo);
  if (!file.ok()) return file.status();
  if (absl::Status s = (*file)->define_table(kFrameData, H5T_STD_U8LE, {}, kChunkBytes, 0); !s.ok()) {
    return s;
  }
  return std::unique_ptr<VideoShardWriter>(new VideoShardWriter(std::move(*file)));
}

absl::Status VideoShardWriter::add(const VideoRecord& record) {
  const VideoInfo& info = record.info;
  const std::string where = absl::StrCat("shard '", file_->path(), "': video '", info.source_id, "'");
  if (record.frames.empty()) return absl::InvalidArgumentError(absl::StrCat(where, " has no frames"));
  if (info.height <= 0 || info.width <= 0 || !(info.fps > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(where, " has size ", info.height, "x",
                                                   info.width, " at ", info.fps,
                                                   " fps; all must be > 0"));
  }
  for (const std::vector<uint8_t>& frame : record.frames) {
    if (frame.empty()) return absl::InvalidArgumentError(absl::StrCat(where, " has an empty frame"));
    if (absl::Status s = file_->append(kFrameData, H5T_NATIVE_UINT8, frame.data(), frame.size());
        !s.ok()) {
      return s;
    }
    frame_offsets_.push_back(frame_offsets_.back() + frame.size());
  }
  first_frame_.push_back(first_frame_.back() + record.frames.size());
  infos_.push_back(info);
  infos_.back().num_frames = static_cast<int64_t>(record.frames.size());
  return absl::OkStatus();
}

absl::Status VideoShardWriter::finish() {
  if (infos_.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("shard '", file_->path(), "': no samples added; a shard holds at least one"));
  }
  const hsize_t n = infos_.size();
  const auto encodings = gather<uint8_t>(infos_, [](const VideoInfo& v) { return v.encoding; });
  const auto heights = gather<int64_t>(infos_, [](const VideoInfo& v) { return v.height; });
  const auto widths = gather<int64_t>(infos_, [](const VideoInfo& v) { return v.width; });
  const auto fps = gather<double>(infos_, [](const VideoInfo& v) { return v.fps; });
  const auto src_h = gather<int64_t>(infos_, [](const VideoInfo& v) { return v.source_height; });
  const auto src_w = gather<int64_t>(infos_, [](const VideoInfo& v) { return v.source_width; });
  const auto src_fps = gather<double>(infos_, [](const VideoInfo& v) { return v.source_fps; });
  std::vector<std::string> ids;
  for (const VideoInfo& v : infos_) ids.push_back(v.source_id);
  ShardFileWriter& f = *file_;
  absl::Status s = f.write_column(kFrameOffsets, H5T_STD_U64LE, H5T_NATIVE_UINT64,
                                 frame_offsets_.data(), frame_offsets_.size());
  if (s.ok()) {
    s = f.write_column(kFirstFrame, H5T_STD_U64LE, H5T_NATIVE_UINT64, first_frame_.data(), n + 1);
  }
  if (s.ok()) s = f.write_column(kEncoding, H5T_STD_U8LE, H5T_NATIVE_UINT8, encodings.data(), n);
  if (s.ok()) s = f.write_column(kHeight, H5T_STD_I64LE, H5T_NATIVE_INT64, heights.data(), n);
  if (s.ok()) s = f.write_column(kWidth, H5T_STD_I64LE, H5T_NATIVE_INT64, widths.data(), n);
  if (s.ok()) s = f.write_column(kFps, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, fps.data(), n);
  if (s.ok()) s = f.write_column(kSourceHeight, H5T_STD_I64LE, H5T_NATIVE_INT64, src_h.data(), n);
  if (s.ok()) s = f.write_column(kSourceWidth, H5T_STD_I64LE, H5T_NATIVE_INT64, src_w.data(), n);
  if (s.ok()) s = f.write_column(kSourceFps, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, src_fps.data(), n);
  if (s.ok()) s = f.write_strings(kSourceId, ids);
  if (s.ok()) s = f.finish(static_cast<int64_t>(n));
  return s;
}

absl::StatusOr<std::unique_ptr<VideoShardReader>> VideoShardReader::open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<ShardFileReader>> file =
      ShardFileReader::open(path, Modality::kVideo);
  if (!file.ok()) return file.status();
  std::unique_ptr<VideoShardReader> reader(new VideoShardReader(std::move(*file)));
  if (absl::Status s = reader->load_index(); !s.ok()) return s;
  return reader;
}

absl::Status VideoShardReader::load_index() {
  const ShardFileReader& f = *file_;
  const hsize_t n = static_cast<hsize_t>(f.num_samples());
  auto first = f.column<uint64_t>(kFirstFrame, H5T_NATIVE_UINT64, n + 1);
  auto offsets = f.column<uint64_t>(kFrameOffsets, H5T_NATIVE_UINT64, ShardFileReader::kAnyCount);
  auto encodings = f.column<uint8_t>(kEncoding, H5T_NATIVE_UINT8, n);
  auto heights = f.column<int64_t>(kHeight, H5T_NATIVE_INT64, n);
  auto widths = f.column<int64_t>(kWidth, H5T_NATIVE_INT64, n);
  auto fps = f.column<double>(kFps, H5T_NATIVE_DOUBLE, n);
  auto src_h = f.column<int64_t>(kSourceHeight, H5T_NATIVE_INT64, n);
  auto src_w = f.column<int64_t>(kSourceWidth, H5T_NATIVE_INT64, n);
  auto src_fps = f.column<double>(kSourceFps, H5T_NATIVE_DOUBLE, n);
  auto ids = f.strings(kSourceId, n);
  for (const absl::Status& s :
       {first.status(), offsets.status(), encodings.status(), heights.status(), widths.status(),
        fps.status(), src_h.status(), src_w.status(), src_fps.status(), ids.status()}) {
    if (!s.ok()) return s;
  }
  absl::StatusOr<std::vector<hsize_t>> blob = f.shape(kFrameData);
  if (!blob.ok()) return blob.status();
  // Offsets must start at 0, grow strictly and end at the blob's size; sample frame ranges must
  // tile the frame table: then every later read stays in bounds.
  const uint64_t frames = offsets->size() - 1;
  if (offsets->empty() || offsets->front() != 0 || offsets->back() != (*blob)[0] ||
      (*first)[0] != 0 || first->back() != frames) {
    return f.corrupt("frame tables do not match videos/frame_data");
  }
  for (size_t k = 0; k + 1 < offsets->size(); ++k) {
    if ((*offsets)[k + 1] <= (*offsets)[k]) return f.corrupt(absl::StrCat("frame ", k, " is empty"));
  }
  for (hsize_t i = 0; i < n; ++i) {
    if ((*first)[i + 1] <= (*first)[i] || (*heights)[i] <= 0 || (*widths)[i] <= 0 ||
        (*encodings)[i] > static_cast<uint8_t>(ImageEncoding::kJpeg) || !((*fps)[i] > 0)) {
      return f.corrupt(absl::StrCat("sample ", i, " has no frames or an invalid size/rate/encoding"));
    }
    VideoInfo info;
    info.source_id = (*ids)[i];
    info.encoding = static_cast<ImageEncoding>((*encodings)[i]);
    info.height = (*heights)[i];
    info.width = (*widths)[i];
    info.fps = (*fps)[i];
    info.num_frames = static_cast<int64_t>((*first)[i + 1] - (*first)[i]);
    info.source_height = (*src_h)[i];
    info.source_width = (*src_w)[i];
    info.source_fps = (*src_fps)[i];
    infos_.push_back(std::move(info));
  }
  frame_offsets_ = std::move(*offsets);
  first_frame_ = std::move(*first);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::vector<uint8_t>>> VideoShardReader::read_frames(
    int64_t index, const std::vector<int64_t>& frames) const {
  if (index < 0 || index >= size()) {
    return absl::OutOfRangeError(
        absl::StrCat("shard ", path(), ": sample ", index, " is outside [0, ", size(), ")"));
  }
  std::vector<std::vector<uint8_t>> out;
  out.reserve(frames.size());
  for (int64_t k : frames) {
    if (k < 0 || k >= infos_[index].num_frames) {
      return absl::OutOfRangeError(absl::StrCat("shard ", path(), "#", index, ": frame ", k,
                                                " is outside [0, ", infos_[index].num_frames, ")"));
    }
    const uint64_t f = first_frame_[index] + static_cast<uint64_t>(k);
    std::vector<uint8_t> bytes(frame_offsets_[f + 1] - frame_offsets_[f]);
    if (absl::Status s = file_->read_rows(kFrameData, H5T_NATIVE_UINT8, frame_offsets_[f],
                                         bytes.size(), bytes.data());
        !s.ok()) {
      return s;
    }
    out.push_back(std::move(bytes));
  }
  return out;
}

absl::StatusOr<std::vector<Image>> VideoShardReader::decode_frames(
    int64_t index, const std::vector<int64_t>& frames) const {
  absl::StatusOr<std::vector<std::vector<uint8_t>>> bytes = read_frames(index, frames);
  if (!bytes.ok()) return bytes.status();
  const VideoInfo& info = infos_[index];
  std::vector<Image> images;
  images.reserve(frames.size());
  for (size_t k = 0; k < frames.size(); ++k) {
    ImageRecord record{info.source_id, info.encoding, info.height, info.width,
                       std::move((*bytes)[k])};
    absl::StatusOr<Image> image =
        decode_record(record, absl::StrCat(path(), "#", index, " frame ", frames[k]));
    if (!image.ok()) return image.status();
    images.push_back(std::move(*image));
  }
  return images;
}

}  // namespace tetra::data
