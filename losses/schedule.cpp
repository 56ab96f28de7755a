#include "losses/schedule.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"

namespace tetra::losses {
namespace {

absl::StatusOr<double> parse_weight(absl::string_view text, absl::string_view whole) {
  double value = 0;
  if (!absl::SimpleAtod(text, &value) || !std::isfinite(value) || value < 0)
    return absl::InvalidArgumentError(absl::StrCat("weight '", whole, "': '", text, "' is not a finite number >= 0"));
  return value;
}

}  // namespace

WeightSchedule WeightSchedule::constant(double value) {
  WeightSchedule s;
  s.points_.emplace_back(0, value);
  return s;
}

absl::StatusOr<WeightSchedule> WeightSchedule::parse(absl::string_view text) {
  const absl::string_view whole = absl::StripAsciiWhitespace(text);
  if (whole.empty()) return absl::InvalidArgumentError("weight is empty: write a number (0 turns the term off) or 'step:value, step:value'");
  if (whole.find(':') == absl::string_view::npos) {
    auto value = parse_weight(whole, whole);
    if (!value.ok()) return value.status();
    return constant(*value);
  }
  WeightSchedule s;
  for (absl::string_view part : absl::StrSplit(whole, ',')) {
    part = absl::StripAsciiWhitespace(part);
    std::vector<absl::string_view> kv = absl::StrSplit(part, ':');
    int64_t step = 0;
    if (kv.size() != 2 || !absl::SimpleAtoi(absl::StripAsciiWhitespace(kv[0]), &step) || step < 0)
      return absl::InvalidArgumentError(absl::StrCat("weight '", whole, "': '", part, "' is not 'step:value' with a step >= 0"));
    auto value = parse_weight(absl::StripAsciiWhitespace(kv[1]), whole);
    if (!value.ok()) return value.status();
    if (!s.points_.empty() && step <= s.points_.back().first)
      return absl::InvalidArgumentError(absl::StrCat("weight '", whole, "': steps must increase (", step, " after ", s.points_.back().first, ")"));
    s.points_.emplace_back(step, *value);
  }
  return s;
}

double WeightSchedule::at(int64_t step) const {
  if (points_.empty()) return 0.0;
  if (step <= points_.front().first) return points_.front().second;
  for (size_t i = 1; i < points_.size(); ++i) {
    const auto [s1, v1] = points_[i];
    if (step > s1) continue;
    const auto [s0, v0] = points_[i - 1];
    const double f = static_cast<double>(step - s0) / static_cast<double>(s1 - s0);
    return v0 + f * (v1 - v0);
  }
  return points_.back().second;
}

bool WeightSchedule::always_zero() const {
  for (const auto& p : points_)
    if (p.second != 0.0) return false;
  return true;
}

}  // namespace tetra::losses
