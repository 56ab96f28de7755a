#include "trainer/report/metrics.h"

#include <filesystem>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/files.h"
#include "common/status_macros.h"

namespace tetra::trainer {

absl::Status MetricsLog::open(const std::string& path, int64_t keep_through_step) {
  if (keep_through_step >= 0 && std::filesystem::exists(path)) {
    TETRA_ASSIGN_OR_RETURN(std::string text, common::read_file(path));
    std::string kept;
    for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
      auto record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (record.is_discarded()) continue;  // a line torn by the crash
      if (record.value("step", int64_t{0}) <= keep_through_step) absl::StrAppend(&kept, line, "\n");
    }
    TETRA_RETURN_IF_ERROR(common::write_file_atomic(path, kept));
  }
  out_.open(path, std::ios::app);
  if (!out_) return absl::InternalError(absl::StrCat("cannot open metrics file '", path, "'"));
  return absl::OkStatus();
}

void MetricsLog::write(const nlohmann::json& record) {
  out_ << record.dump() << "\n";
  out_.flush();
}

std::string format_duration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
  if (s >= 60) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%ds", s);
}

std::string format_rate(double per_second) {
  if (per_second >= 1e6) return absl::StrFormat("%.2fM", per_second / 1e6);
  if (per_second >= 1e3) return absl::StrFormat("%.1fk", per_second / 1e3);
  return absl::StrFormat("%.0f", per_second);
}

std::string format_step_line(const StepReport& r) {
  std::string terms;
  for (const auto& [name, value] : r.terms) absl::StrAppend(&terms, terms.empty() ? "" : " ", name, " ", absl::StrFormat("%.4g", value));
  return absl::StrFormat("step %d/%d | loss %.5f | %s | lr %.2e | gnorm %.3f | %s tok/s | eta %s", r.step, r.total,
                         r.loss, terms, r.lr, r.grad_norm, format_rate(r.tokens_per_s), format_duration(r.eta_s));
}

}  // namespace tetra::trainer
