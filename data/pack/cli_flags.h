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
  absl::Status parse(const std::vector<std::string>& args, const std::set<std::string>& known,
                     const std::set<std::string>& switches);
  bool has(const std::string& flag) const { return values_.count(flag) > 0; }
  std::string text(const std::string& flag, const std::string& fallback = "") const;
  absl::Status positive(const std::string& flag, int64_t* out) const;     // > 0, if given
  absl::Status non_negative(const std::string& flag, int64_t* out) const;  // >= 0, if given
  absl::Status non_negative(const std::string& flag, double* out) const;
  absl::Status required(const std::string& flag, std::string* out) const;

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace tetra::data
