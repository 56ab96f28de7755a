// The few protobuf wire-format primitives the TensorBoard writer needs (varints, fixed-width
// numbers, length-delimited fields). Wire format: each field is a key (field_number << 3 | type)
// followed by its payload; type 0 = varint, 1 = 64-bit, 2 = length-delimited, 5 = 32-bit.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

namespace tetra::trainer {

class ProtobufWriter {
 public:
  void varint_field(int field, uint64_t value) {
    key(field, 0);
    varint(value);
  }
  void double_field(int field, double value) {
    key(field, 1);
    raw(&value, 8);  // little-endian host (x86-64, aarch64)
  }
  void float_field(int field, float value) {
    key(field, 5);
    raw(&value, 4);
  }
  void bytes_field(int field, const std::string& bytes) {
    key(field, 2);
    varint(bytes.size());
    out_ += bytes;
  }
  const std::string& bytes() const { return out_; }

 private:
  void key(int field, int type) { varint(static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(type)); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void raw(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string out_;
};

}  // namespace tetra::trainer
