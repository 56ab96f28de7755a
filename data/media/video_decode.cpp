// One decode = one VideoDecoder object that owns every libav handle, so each early return frees
// them. Frames are resampled by nearest timestamp: output frame k (time k/fps from the first frame)
// is the decoded frame whose timestamp is closest to it, like ffmpeg's fps filter with round=near.
#include "data/media/video_decode.h"

#include <cmath>
#include <memory>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
}

#include "absl/strings/str_cat.h"

namespace tetra::data {
namespace {

std::string av_error(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, text, sizeof(text));
  return text;
}

struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;

class VideoDecoder {
 public:
  VideoDecoder(std::string path, VideoDecodeOptions options,
               const std::function<absl::Status(Image&&)>& sink)
      : path_(std::move(path)), options_(options), sink_(sink) {}
  ~VideoDecoder() {
    sws_freeContext(sws_);
    av_packet_free(&packet_);
    avcodec_free_context(&codec_);
    avformat_close_input(&format_);
  }

  absl::StatusOr<DecodedClip> run();

 private:
  absl::Status open();
  absl::Status feed(const AVPacket* packet);  // nullptr flushes the decoder
  absl::Status take(FramePtr frame);
  absl::Status emit(const AVFrame& frame);
  absl::Status finish();
  absl::Status error(absl::string_view what, int code = 0) const {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": ", what,
                                                   code != 0 ? absl::StrCat(" (", av_error(code), ")")
                                                             : std::string()));
  }
  double seconds(const AVFrame& frame);
  bool full() const { return options_.max_frames > 0 && clip_.frames >= options_.max_frames; }

  std::string path_;
  VideoDecodeOptions options_;
  const std::function<absl::Status(Image&&)>& sink_;
  AVFormatContext* format_ = nullptr;
  AVCodecContext* codec_ = nullptr;
  AVPacket* packet_ = nullptr;
  SwsContext* sws_ = nullptr;
  int stream_ = -1;
  AVRational time_base_{0, 1};
  DecodedClip clip_;
  double expected_seconds_ = 0;  // from the container, 0 when unknown
  FramePtr previous_;
  double previous_time_ = 0;
  double first_time_ = NAN;
  int64_t decoded_ = 0;
};

absl::Status VideoDecoder::open() {
  int rc = avformat_open_input(&format_, path_.c_str(), nullptr, nullptr);
  if (rc < 0) return error("cannot open as a video file", rc);
  if ((rc = avformat_find_stream_info(format_, nullptr)) < 0) {
    return error("cannot read stream information (truncated or corrupt?)", rc);
  }
  const AVCodec* decoder = nullptr;
  stream_ = av_find_best_stream(format_, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (stream_ < 0) return error("has no decodable video stream", stream_);
  AVStream* stream = format_->streams[stream_];
  codec_ = avcodec_alloc_context3(decoder);
  if (codec_ == nullptr) return absl::ResourceExhaustedError("cannot allocate a video decoder");
  if ((rc = avcodec_parameters_to_context(codec_, stream->codecpar)) < 0) {
    return error("has unusable codec parameters", rc);
  }
  codec_->thread_count = 1;  // packing is parallel over files already
  if ((rc = avcodec_open2(codec_, decoder, nullptr)) < 0) return error("cannot open the decoder", rc);
  packet_ = av_packet_alloc();
  time_base_ = stream->time_base;
  AVRational rate = stream->avg_frame_rate.num > 0 ? stream->avg_frame_rate : stream->r_frame_rate;
  clip_.source_fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0;
  clip_.source_height = codec_->height;
  clip_.source_width = codec_->width;
  if (clip_.source_fps <= 0 && options_.fps <= 0) {
    return error("has no frame rate; pass a target --fps");
  }
  clip_.fps = options_.fps > 0 ? options_.fps : clip_.source_fps;
  if (stream->duration > 0) {
    expected_seconds_ = stream->duration * av_q2d(stream->time_base);
  } else if (format_->duration > 0) {
    expected_seconds_ = static_cast<double>(format_->duration) / AV_TIME_BASE;
  }
  return absl::OkStatus();
}

double VideoDecoder::seconds(const AVFrame& frame) {
  const int64_t ts = frame.best_effort_timestamp;
  if (ts == AV_NOPTS_VALUE || time_base_.den == 0) {
    const double rate = clip_.source_fps > 0 ? clip_.source_fps : clip_.fps;
    return static_cast<double>(decoded_) / rate;
  }
  return static_cast<double>(ts) * av_q2d(time_base_);
}

absl::Status VideoDecoder::emit(const AVFrame& frame) {
  if (full()) return absl::OkStatus();
  if (frame.width <= 0 || frame.height <= 0) return error("decoded an empty frame");
  int64_t out_h = frame.height, out_w = frame.width;
  const int64_t longer = std::max(out_h, out_w);
  if (options_.max_side > 0 && longer > options_.max_side) {
    const double scale = static_cast<double>(options_.max_side) / static_cast<double>(longer);
    out_h = std::max<int64_t>(1, std::llround(frame.height * scale));
    out_w = std::max<int64_t>(1, std::llround(frame.width * scale));
  }
  const int flags = (out_h < frame.height ? SWS_AREA : SWS_BICUBIC) | SWS_ACCURATE_RND;
  sws_ = sws_getCachedContext(sws_, frame.width, frame.height,
                              static_cast<AVPixelFormat>(frame.format), static_cast<int>(out_w),
                              static_cast<int>(out_h), AV_PIX_FMT_RGB24, flags, nullptr, nullptr,
                              nullptr);
  if (sws_ == nullptr) return error("libswscale cannot convert its pixel format");
  // Honour the stream's colour matrix and range (BT.709 HD vs BT.601 SD, limited vs full).
  const int colorspace = frame.colorspace == AVCOL_SPC_UNSPECIFIED
                             ? (frame.height >= 720 ? SWS_CS_ITU709 : SWS_CS_ITU601)
                             : static_cast<int>(frame.colorspace);
  const int* coefficients = sws_getCoefficients(colorspace);
  sws_setColorspaceDetails(sws_, coefficients, frame.color_range == AVCOL_RANGE_JPEG, coefficients,
                           1, 0, 1 << 16, 1 << 16);
  Image image{out_h, out_w, std::vector<uint8_t>(static_cast<size_t>(out_h * out_w * 3))};
  uint8_t* planes[4] = {image.rgb.data(), nullptr, nullptr, nullptr};
  int strides[4] = {static_cast<int>(out_w * 3), 0, 0, 0};
  if (sws_scale(sws_, frame.data, frame.linesize, 0, frame.height, planes, strides) <= 0) {
    return error("libswscale failed to convert a frame");
  }
  clip_.height = out_h;
  clip_.width = out_w;
  ++clip_.frames;
  return sink_(std::move(image));
}

// Output frame k has time k / fps after the first frame. When a frame arrives, every output time
// up to it is settled: it takes whichever of the previous and the new frame is nearer.
absl::Status VideoDecoder::take(FramePtr frame) {
  const double time = seconds(*frame);
  ++decoded_;
  if (std::isnan(first_time_)) first_time_ = time;
  const double t = time - first_time_;
  if (previous_ != nullptr && t < previous_time_) return absl::OkStatus();  // out-of-order: drop
  while (!full()) {
    const double target = static_cast<double>(clip_.frames) / clip_.fps;
    if (target > t + 1e-9) break;
    const bool use_previous =
        previous_ != nullptr && std::abs(target - previous_time_) < std::abs(t - target);
    if (absl::Status s = emit(use_previous ? *previous_ : *frame); !s.ok()) return s;
  }
  previous_ = std::move(frame);
  previous_time_ = t;
  return absl::OkStatus();
}

absl::Status VideoDecoder::feed(const AVPacket* packet) {
  int rc = avcodec_send_packet(codec_, packet);
  if (rc < 0 && rc != AVERROR_EOF) return error("cannot decode a packet", rc);
  while (true) {
    FramePtr frame(av_frame_alloc());
    rc = avcodec_receive_frame(codec_, frame.get());
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return absl::OkStatus();
    if (rc < 0) return error("cannot decode a frame", rc);
    if (absl::Status s = take(std::move(frame)); !s.ok()) return s;
  }
}

// The last decoded frame also covers the output times within its own display duration.
absl::Status VideoDecoder::finish() {
  if (previous_ == nullptr) return error("contains no decodable frames");
  const double rate = clip_.source_fps > 0 ? clip_.source_fps : clip_.fps;
  const double end = previous_time_ + 1.0 / rate;
  while (!full() && static_cast<double>(clip_.frames) / clip_.fps < end - 1e-6) {
    if (absl::Status s = emit(*previous_); !s.ok()) return s;
  }
  // A clip that stops well before its header's duration lost its tail (truncated download).
  if (!full() && expected_seconds_ > 0 && end < 0.5 * expected_seconds_) {
    return error(absl::StrCat("ends after ", end, " s of ", expected_seconds_,
                              " s (truncated file?)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<DecodedClip> VideoDecoder::run() {
  if (absl::Status s = open(); !s.ok()) return s;
  while (!full()) {
    const int rc = av_read_frame(format_, packet_);
    if (rc == AVERROR_EOF) break;
    if (rc < 0) return error("cannot read (truncated or corrupt?)", rc);
    absl::Status s = packet_->stream_index == stream_ ? feed(packet_) : absl::OkStatus();
    av_packet_unref(packet_);
    if (!s.ok()) return s;
  }
  if (!full()) {
    if (absl::Status s = feed(nullptr); !s.ok()) return s;
  }
  if (absl::Status s = finish(); !s.ok()) return s;
  return clip_;
}

}  // namespace

absl::StatusOr<DecodedClip> decode_video_file(const std::string& path,
                                            const VideoDecodeOptions& options,
                                            const std::function<absl::Status(Image&&)>& sink) {
  av_log_set_level(AV_LOG_QUIET);  // errors come back as statuses naming the file
  VideoDecoder decoder(path, options, sink);
  return decoder.run();
}

}  // namespace tetra::data
