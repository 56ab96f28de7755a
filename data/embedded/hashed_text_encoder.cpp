#include "data/embedded/hashed_text_encoder.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "data/util/rng_util.h"

namespace tetra::data {
namespace {

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// The SplitMix64 generator: each draw mixes the next state of a counter stepping by the golden ratio.
uint64_t next_split_mix64(uint64_t* state) {
  const uint64_t out = split_mix64(*state);
  *state += 0x9e3779b97f4a7c15ull;
  return out;
}

// Adds the word's unit vector to `sum`. Components are centred uniforms in [-1, 1), not Gaussians:
// a Box-Muller transform would need log/cos, whose last bits differ between C libraries, and a
// bag-of-words only needs distinct words to be nearly orthogonal (|cos| ~ 1/sqrt(width) for both).
void add_word_vector(std::string_view word, std::vector<double>* sum) {
  uint64_t state = fnv1a64(word);
  std::vector<double> v(sum->size());
  double norm2 = 0;
  for (double& x : v) {
    x = static_cast<double>(next_split_mix64(&state) >> 11) * 0x1.0p-52 - 1.0;  // exact
    norm2 += x * x;
  }
  // All-zero draws cannot happen in practice; guard the division anyway.
  const double inv = norm2 > 0 ? 1.0 / std::sqrt(norm2) : 0.0;
  for (size_t i = 0; i < v.size(); ++i) (*sum)[i] += v[i] * inv;
}

bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

}  // namespace

HashedTextEncoder::HashedTextEncoder(int64_t width) : width_(width < 1 ? 1 : width) {}

std::string HashedTextEncoder::name() const { return absl::StrCat("hashed-bow-", width_); }

std::vector<std::string> HashedTextEncoder::words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (unsigned char c : text) {
    if (is_word_byte(c)) {
      word.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a')
                                          : static_cast<char>(c));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

std::vector<float> HashedTextEncoder::encode_one(std::string_view text) const {
  std::vector<double> sum(static_cast<size_t>(width_), 0.0);
  for (const std::string& word : words(text)) add_word_vector(word, &sum);
  double norm2 = 0;
  for (double x : sum) norm2 += x * x;
  const double inv = norm2 > 0 ? 1.0 / std::sqrt(norm2) : 0.0;  // no words: a zero row
  std::vector<float> out(sum.size());
  for (size_t i = 0; i < sum.size(); ++i) out[i] = static_cast<float>(sum[i] * inv);
  return out;
}

absl::StatusOr<std::vector<float>> HashedTextEncoder::encode(
    const std::vector<std::string>& texts) {
  std::vector<float> out;
  out.reserve(texts.size() * static_cast<size_t>(width_));
  for (const std::string& text : texts) {
    const std::vector<float> row = encode_one(text);
    out.insert(out.end(), row.begin(), row.end());
  }
  return out;
}

bool is_hashed_text_encoder_spec(std::string_view spec) {
  return spec == "hashed" || spec.substr(0, 7) == "hashed:";
}

absl::StatusOr<std::unique_ptr<TextEncoder>> make_hashed_text_encoder(std::string_view view) {
  const std::string spec(view);  // absl may have its own string_view
  int64_t width = kDefaultHashedTextWidth;
  if (spec != "hashed") {
    constexpr int64_t kMaxWidth = 65536;
    if (!is_hashed_text_encoder_spec(spec) || !absl::SimpleAtoi(spec.substr(7), &width) || width < 1 ||
        width > kMaxWidth) {
      return absl::InvalidArgumentError(absl::StrCat(
          "text encoder '", spec, "': expected 'hashed' or 'hashed:<width>' with width in [1, ",
          kMaxWidth, "]"));
    }
  }
  return std::unique_ptr<TextEncoder>(new HashedTextEncoder(width));
}

}  // namespace tetra::data
