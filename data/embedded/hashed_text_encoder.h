// A hashed bag-of-words text encoder: deterministic, dependency-free, no weights. It exists so the
// embedded smoke dataset and tests can carry text embeddings without a frozen language model; it is
// NOT a semantic model (synonyms, paraphrases and word order mean nothing to it; see
// docs/data-format.md, "The hashed text encoder").
//
// A text is lower-cased (ASCII letters only) and split on every byte that is not an ASCII letter or
// digit; bytes >= 0x80 count as letters, so UTF-8 words stay whole. Each word maps to a fixed
// pseudo-random unit vector seeded by its FNV-1a 64 hash; the text's embedding is the L2-normalised
// sum over its words (repeats count). A text without words encodes to a zero row. Only +, -, *, /
// and sqrt touch the values, so the bytes are the same on every IEEE-754 machine.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "data/pack/text_encoder.h"

namespace tetra::data {

inline constexpr int64_t kDefaultHashedTextWidth = 64;

class HashedTextEncoder : public TextEncoder {
 public:
  explicit HashedTextEncoder(int64_t width = kDefaultHashedTextWidth);  // width >= 1
  absl::StatusOr<std::vector<float>> encode(const std::vector<std::string>& texts) override;
  int64_t width() const override { return width_; }
  std::string name() const override;  // "hashed-bow-<width>"

  // The words a text is split into (lower-cased), in order.
  static std::vector<std::string> words(std::string_view text);
  // One text's embedding: `width()` floats.
  std::vector<float> encode_one(std::string_view text) const;

 private:
  int64_t width_;
};

// "hashed" or "hashed:<width>" (the `--encoder` value of `tetra-data pack captions`).
bool is_hashed_text_encoder_spec(std::string_view spec);
// Errors name the spec and say what is allowed.
absl::StatusOr<std::unique_ptr<TextEncoder>> make_hashed_text_encoder(std::string_view spec);

}  // namespace tetra::data
