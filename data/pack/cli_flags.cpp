#include "data/pack/cli_flags.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tetra::data {

absl::Status CliFlags::parse(const std::vector<std::string>& args,
                             const std::set<std::string>& known,
                             const std::set<std::string>& switches) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "'"));
    }
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    if (switches.count(name) > 0 && eq == std::string::npos) {
      values_[name] = "1";
      continue;
    }
    if (known.count(name) == 0) return absl::InvalidArgumentError(absl::StrCat("unknown flag ", name));
    if (eq != std::string::npos) {
      values_[name] = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      values_[name] = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("flag ", arg, " needs a value"));
    }
  }
  return absl::OkStatus();
}

std::string CliFlags::text(const std::string& flag, const std::string& fallback) const {
  auto it = values_.find(flag);
  return it == values_.end() ? fallback : it->second;
}

absl::Status CliFlags::positive(const std::string& flag, int64_t* out) const {
  if (!has(flag)) return absl::OkStatus();
  if (!absl::SimpleAtoi(text(flag), out) || *out <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " expects a positive integer, got '", text(flag), "'"));
  }
  return absl::OkStatus();
}

absl::Status CliFlags::non_negative(const std::string& flag, int64_t* out) const {
  if (!has(flag)) return absl::OkStatus();
  if (!absl::SimpleAtoi(text(flag), out) || *out < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " expects an integer >= 0, got '", text(flag), "'"));
  }
  return absl::OkStatus();
}

absl::Status CliFlags::non_negative(const std::string& flag, double* out) const {
  if (!has(flag)) return absl::OkStatus();
  if (!absl::SimpleAtod(text(flag), out) || !(*out >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " expects a number >= 0, got '", text(flag), "'"));
  }
  return absl::OkStatus();
}

absl::Status CliFlags::required(const std::string& flag, std::string* out) const {
  if (!has(flag)) return absl::InvalidArgumentError(absl::StrCat("missing required flag ", flag));
  *out = text(flag);
  return absl::OkStatus();
}

}  // namespace tetra::data
