// A loss weight that may change with the optimizer step: a constant ("10") or a piecewise-linear
// schedule of (step, value) points ("0:0, 2000:10, 50000:1"). Before the first point the first value
// holds, after the last point the last value holds, in between values are interpolated linearly.
#pragma once
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace tetra::losses {

class WeightSchedule {
 public:
  WeightSchedule() = default;  // constant 0
  static WeightSchedule constant(double value);
  // Errors name the text and what is wrong; weights must be finite and >= 0, steps strictly increasing.
  static absl::StatusOr<WeightSchedule> parse(absl::string_view text);

  double at(int64_t step) const;
  // True when no step has a non-zero weight: the term is never computed and needs no network.
  bool always_zero() const;

 private:
  std::vector<std::pair<int64_t, double>> points_;  // (step, value), steps strictly increasing
};

}  // namespace tetra::losses
