// Flag parsing for tetra-data: "--name value" or "--name=value"; boolean flags stand alone.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace tetra::data {

class CliFlags {
 public:
  // `known` lists the value flags, `switches` the boolean ones; anything else is an error naming it.
  absl::Status Parse(const std::vector<std::string>& args, const std::set<std::string>& known,
                     const std::set<std::string>& switches);
  bool Has(const std::string& flag) const { return values_.count(flag) > 0; }
  std::string Text(const std::string& flag, const std::string& fallback = "") const;
  absl::Status Positive(const std::string& flag, int64_t* out) const;     // > 0, if given
  absl::Status NonNegative(const std::string& flag, int64_t* out) const;  // >= 0, if given
  absl::Status NonNegative(const std::string& flag, double* out) const;
  absl::Status Required(const std::string& flag, std::string* out) const;

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace tetra::data
