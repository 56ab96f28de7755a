#include "losses/loss_options.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "losses/schedule.h"

namespace tetra::losses {
namespace {

// Collects (key, weight text) pairs through the same visit() the config parser uses, so a weight
// added to a struct is validated without touching this file.
class WeightCollector {
 public:
  template <class T> void section(const char* name, T& s) {
    const std::string saved = prefix_;
    prefix_ = absl::StrCat(prefix_, name, ".");
    s.visit(*this);
    prefix_ = saved;
  }
  template <class T, class Bound> void field(const char*, T&, Bound, const char*) {}
  void field(const char* key, std::string& value, const char*) {
    if (is_weight(key)) weights.emplace_back(prefix_ + key, value);
  }
  void field(const char*, bool&, const char*) {}

  std::vector<std::pair<std::string, std::string>> weights;

 private:
  static bool is_weight(const std::string& key) {
    for (const char* k : {"l1", "lpips", "gram", "clip", "distill", "siglip", "rec_weight", "sem_weight", "kl_weight"})
      if (key == k) return true;
    return false;
  }
  std::string prefix_ = "loss.";
};

}  // namespace

const TermWeights& weights_of(const LossOptions& o, Modality m) {
  return m == Modality::kImage ? o.image : m == Modality::kVideo ? o.video : o.m3d;
}

std::vector<std::string> term_keys_in_use(const LossOptions& o, std::string TermWeights::*term, const char* name) {
  std::vector<std::string> keys;
  for (Modality m : common::kAllModalities) {
    // A term that is not a key of this modality keeps its default "0".
    auto schedule = WeightSchedule::parse(weights_of(o, m).*term);
    if (schedule.ok() && !schedule->always_zero()) keys.push_back(absl::StrCat("loss.", common::modality_name(m), ".", name));
  }
  return keys;
}

absl::Status validate(const LossOptions& options) {
  LossOptions copy = options;
  WeightCollector collector;
  copy.visit(collector);
  std::vector<std::string> errors;
  for (const auto& [key, text] : collector.weights) {
    auto schedule = WeightSchedule::parse(text);
    if (!schedule.ok()) errors.push_back(absl::StrCat("key '", key, "': ", schedule.status().message()));
  }
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  return absl::OkStatus();
}

}  // namespace tetra::losses
