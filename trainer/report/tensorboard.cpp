#include "trainer/report/tensorboard.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "data/media/image_encode.h"
#include "trainer/report/protobuf_writer.h"

namespace tetra::trainer {
namespace {

// Field numbers from TensorBoard's event.proto and summary.proto.
enum EventField { kWallTime = 1, kStep = 2, kFileVersion = 3, kSummary = 5 };
enum SummaryField { kValue = 1 };
enum ValueField { kTag = 1, kSimpleValue = 2, kImage = 4 };
enum ImageField { kHeight = 1, kWidth = 2, kColorspace = 3, kEncoded = 4 };

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string event_with_value(int64_t step, const std::string& value_bytes) {
  ProtobufWriter summary;
  summary.bytes_field(kValue, value_bytes);
  ProtobufWriter event;
  event.double_field(kWallTime, now_seconds());
  event.varint_field(kStep, static_cast<uint64_t>(step));
  event.bytes_field(kSummary, summary.bytes());
  return event.bytes();
}

// TFRecord checksums are CRC-32C, rotated and offset ("masked") so that a CRC of data that itself
// contains CRCs stays well distributed.
uint32_t masked_crc(const std::string& bytes) {
  const uint32_t crc = crc32c(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

}  // namespace

uint32_t crc32c(const uint8_t* data, size_t size) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;  // reflected poly
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

absl::StatusOr<std::unique_ptr<TensorBoardWriter>> TensorBoardWriter::Create(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create TensorBoard folder '", dir, "': ", ec.message()));
  char host[256] = "localhost";
  gethostname(host, sizeof(host) - 1);
  const std::string path = absl::StrCat(dir, "/events.out.tfevents.", static_cast<int64_t>(now_seconds()), ".",
                                        host, ".", getpid(), ".tetra");
  std::ofstream out(path, std::ios::binary | std::ios::app);
  if (!out) return absl::InternalError(absl::StrCat("cannot open TensorBoard event file '", path, "'"));
  std::unique_ptr<TensorBoardWriter> writer(new TensorBoardWriter(path, std::move(out)));
  ProtobufWriter version;
  version.double_field(kWallTime, now_seconds());
  version.bytes_field(kFileVersion, "brain.Event:2");
  writer->write_event(version.bytes());
  writer->flush();
  return writer;
}

void TensorBoardWriter::write_event(const std::string& event) {
  // TFRecord: uint64 length, uint32 masked_crc(length), bytes, uint32 masked_crc(bytes).
  const uint64_t length = event.size();
  const std::string length_bytes(reinterpret_cast<const char*>(&length), 8);
  const uint32_t length_crc = masked_crc(length_bytes), data_crc = masked_crc(event);
  out_.write(length_bytes.data(), 8);
  out_.write(reinterpret_cast<const char*>(&length_crc), 4);
  out_.write(event.data(), static_cast<std::streamsize>(event.size()));
  out_.write(reinterpret_cast<const char*>(&data_crc), 4);
}

void TensorBoardWriter::scalar(const std::string& tag, double value, int64_t step) {
  ProtobufWriter v;
  v.bytes_field(kTag, tag);
  v.float_field(kSimpleValue, static_cast<float>(value));
  write_event(event_with_value(step, v.bytes()));
}

absl::Status TensorBoardWriter::image(const std::string& tag, const uint8_t* rgb, int64_t height, int64_t width,
                                      int64_t step) {
  auto png = data::encode_png_bytes(data::Image{height, width, std::vector<uint8_t>(rgb, rgb + height * width * 3)});
  if (!png.ok()) return png.status();
  ProtobufWriter img;
  img.varint_field(kHeight, static_cast<uint64_t>(height));
  img.varint_field(kWidth, static_cast<uint64_t>(width));
  img.varint_field(kColorspace, 3);  // RGB
  img.bytes_field(kEncoded, std::string(png->begin(), png->end()));
  ProtobufWriter v;
  v.bytes_field(kTag, tag);
  v.bytes_field(kImage, img.bytes());
  write_event(event_with_value(step, v.bytes()));
  return absl::OkStatus();
}

void TensorBoardWriter::flush() { out_.flush(); }

}  // namespace tetra::trainer
