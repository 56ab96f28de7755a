// write_synthetic_video: one VideoEncoder object owns every libav handle, so each early return frees
// them.
#include <cstring>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include "absl/strings/str_cat.h"
#include "data/synthetic/synthetic_media.h"

namespace tetra::data {
namespace {

class VideoEncoder {
 public:
  VideoEncoder(std::string path, SyntheticVideo video) : path_(std::move(path)), video_(video) {}
  ~VideoEncoder() {
    sws_freeContext(sws_);
    av_frame_free(&frame_);
    av_packet_free(&packet_);
    avcodec_free_context(&codec_);
    if (format_ != nullptr && format_->pb != nullptr) avio_closep(&format_->pb);
    avformat_free_context(format_);
  }
  absl::Status Run();

 private:
  absl::Status open();
  absl::Status Send(const AVFrame* frame);
  absl::Status Error(absl::string_view what, int code = 0) const {
    char text[AV_ERROR_MAX_STRING_SIZE] = {0};
    if (code != 0) av_strerror(code, text, sizeof(text));
    return absl::InternalError(absl::StrCat("cannot write synthetic video '", path_, "': ", what,
                                            code != 0 ? absl::StrCat(" (", text, ")") : ""));
  }

  std::string path_;
  SyntheticVideo video_;
  AVFormatContext* format_ = nullptr;
  AVCodecContext* codec_ = nullptr;
  AVStream* stream_ = nullptr;
  AVFrame* frame_ = nullptr;
  AVPacket* packet_ = nullptr;
  SwsContext* sws_ = nullptr;
};

absl::Status VideoEncoder::open() {
  int rc = avformat_alloc_output_context2(&format_, nullptr, nullptr, path_.c_str());
  if (rc < 0 || format_ == nullptr) return Error("no muxer for this file extension", rc);
  const AVCodec* codec = avcodec_find_encoder_by_name(video_.codec.c_str());
  if (codec == nullptr) return Error(absl::StrCat("libavcodec has no encoder '", video_.codec, "'"));
  const AVPixelFormat pix = av_get_pix_fmt(video_.pixel_format.c_str());
  if (pix == AV_PIX_FMT_NONE) return Error(absl::StrCat("unknown pixel format ", video_.pixel_format));
  stream_ = avformat_new_stream(format_, nullptr);
  codec_ = avcodec_alloc_context3(codec);
  codec_->width = static_cast<int>(video_.width);
  codec_->height = static_cast<int>(video_.height);
  codec_->time_base = AVRational{1, video_.fps};
  codec_->framerate = AVRational{video_.fps, 1};
  codec_->pix_fmt = pix;
  codec_->gop_size = 8;
  codec_->bit_rate = 2'000'000;
  codec_->thread_count = 1;
  if (video_.codec == "libx264") av_opt_set(codec_->priv_data, "preset", "ultrafast", 0);
  if (format_->oformat->flags & AVFMT_GLOBALHEADER) codec_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if ((rc = avcodec_open2(codec_, codec, nullptr)) < 0) return Error("cannot open the encoder", rc);
  avcodec_parameters_from_context(stream_->codecpar, codec_);
  stream_->time_base = codec_->time_base;
  if ((rc = avio_open(&format_->pb, path_.c_str(), AVIO_FLAG_WRITE)) < 0) {
    return Error("cannot create the file", rc);
  }
  if ((rc = avformat_write_header(format_, nullptr)) < 0) return Error("cannot write a header", rc);
  frame_ = av_frame_alloc();
  frame_->format = pix;
  frame_->width = codec_->width;
  frame_->height = codec_->height;
  if ((rc = av_frame_get_buffer(frame_, 0)) < 0) return Error("cannot allocate a frame", rc);
  packet_ = av_packet_alloc();
  sws_ = sws_getContext(codec_->width, codec_->height, AV_PIX_FMT_RGB24, codec_->width,
                        codec_->height, pix, SWS_BICUBIC, nullptr, nullptr, nullptr);
  return sws_ != nullptr ? absl::OkStatus() : Error("libswscale cannot convert RGB24");
}

absl::Status VideoEncoder::Send(const AVFrame* frame) {
  int rc = avcodec_send_frame(codec_, frame);
  if (rc < 0) return Error("cannot encode a frame", rc);
  while ((rc = avcodec_receive_packet(codec_, packet_)) >= 0) {
    av_packet_rescale_ts(packet_, codec_->time_base, stream_->time_base);
    packet_->stream_index = stream_->index;
    if ((rc = av_interleaved_write_frame(format_, packet_)) < 0) return Error("cannot mux", rc);
  }
  return rc == AVERROR(EAGAIN) || rc == AVERROR_EOF ? absl::OkStatus() : Error("encoder", rc);
}

absl::Status VideoEncoder::Run() {
  if (absl::Status s = open(); !s.ok()) return s;
  for (int64_t k = 0; k < video_.frames; ++k) {
    const Image rgb = synthetic_frame(k, video_.height, video_.width);
    const uint8_t* planes[1] = {rgb.rgb.data()};
    const int strides[1] = {static_cast<int>(rgb.width * 3)};
    if (av_frame_make_writable(frame_) < 0) return Error("frame not writable");
    sws_scale(sws_, planes, strides, 0, codec_->height, frame_->data, frame_->linesize);
    frame_->pts = k;
    if (absl::Status s = Send(frame_); !s.ok()) return s;
  }
  if (absl::Status s = Send(nullptr); !s.ok()) return s;
  const int rc = av_write_trailer(format_);
  return rc < 0 ? Error("cannot finish the file", rc) : absl::OkStatus();
}

}  // namespace

int frame_level(int64_t k) { return static_cast<int>(16 + (k * 12) % 224); }

Image synthetic_frame(int64_t k, int64_t height, int64_t width) {
  Image image{height, width, std::vector<uint8_t>(static_cast<size_t>(height * width * 3),
                                                   static_cast<uint8_t>(frame_level(k)))};
  const int64_t side = std::max<int64_t>(2, height / 8);
  const int64_t x0 = (k * 3) % std::max<int64_t>(1, width - side);
  for (int64_t y = 0; y < side; ++y) {
    std::memset(&image.rgb[(y * width + x0) * 3], 250, static_cast<size_t>(side * 3));
  }
  return image;
}

absl::Status write_synthetic_video(const std::string& path, const SyntheticVideo& video) {
  av_log_set_level(AV_LOG_QUIET);
  VideoEncoder encoder(path, video);
  return encoder.Run();
}

}  // namespace tetra::data
