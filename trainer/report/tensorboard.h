// TensorBoard event files written by Tetra itself: scalars and images, readable by TensorBoard's own
// reader (tests/trainer/test_tensorboard.cpp checks that with the `tensorboard` Python package).
//
// Format: a sequence of TFRecords, each holding one serialized `Event` protobuf. Only the handful
// of fields we write are encoded, by hand (trainer/protobuf_writer.h), so no protoc step is needed.
#pragma once
#include <cstdint>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tetra::trainer {

class TensorBoardWriter {
 public:
  // Creates <dir>/events.out.tfevents.<unix time>.<host>.tetra and writes the file-version event.
  static absl::StatusOr<std::unique_ptr<TensorBoardWriter>> Create(const std::string& dir);
  void scalar(const std::string& tag, double value, int64_t step);
  // rgb: height * width * 3 bytes, row-major. Stored PNG-encoded.
  absl::Status image(const std::string& tag, const uint8_t* rgb, int64_t height, int64_t width, int64_t step);
  void flush();
  const std::string& path() const { return path_; }

 private:
  TensorBoardWriter(std::string path, std::ofstream out) : path_(std::move(path)), out_(std::move(out)) {}
  void write_event(const std::string& event_bytes);
  std::string path_;
  std::ofstream out_;
};

// CRC-32C (Castagnoli), as TFRecord framing requires; exposed for its test vector.
uint32_t crc32c(const uint8_t* data, size_t size);

}  // namespace tetra::trainer
