#include "trainer/report/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "parallel/launch_env.h"

namespace tetra::trainer {
namespace {

constexpr int kBarWidth = 10;
constexpr std::string_view kClearToEnd = "\x1b[K";

int stdout_columns() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_col;
}

}  // namespace

const char* progress_mode_name(ProgressMode mode) {
  switch (mode) {
    case ProgressMode::kAuto: return "auto";
    case ProgressMode::kTty: return "tty";
    case ProgressMode::kPlain: return "plain";
  }
  return "?";
}

absl::StatusOr<ProgressMode> progress_mode_from_name(std::string_view name) {
  for (ProgressMode mode : {ProgressMode::kAuto, ProgressMode::kTty, ProgressMode::kPlain})
    if (name == progress_mode_name(mode)) return mode;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown progress mode '", std::string(name), "' (one of: auto, tty, plain)"));
}

std::string format_status_line(const StepReport& r, std::string_view stage) {
  const int64_t filled = r.total > 0 ? std::clamp<int64_t>(r.step * kBarWidth / r.total, 0, kBarWidth) : 0;
  std::string line = absl::StrCat("[", std::string(filled, '#'), std::string(kBarWidth - filled, '.'), "] ", r.step,
                                  "/", r.total);
  if (!stage.empty()) absl::StrAppend(&line, " | ", std::string(stage));
  absl::StrAppend(&line, " | loss ", absl::StrFormat("%.4g", r.loss));
  if (r.tokens_per_s > 0) absl::StrAppend(&line, " | ", format_rate(r.tokens_per_s), " tok/s");
  if (r.eta_s >= 0 && std::isfinite(r.eta_s)) absl::StrAppend(&line, " | eta ", format_duration(r.eta_s));
  return line;
}

bool auto_progress_is_tty(bool stdout_is_terminal, const std::string& launcher) {
  return stdout_is_terminal && launcher == "none";
}

ProgressDisplay::ProgressDisplay(std::ostream& out, Options options) : out_(out), options_(std::move(options)) {}

ProgressDisplay ProgressDisplay::ForStdout(ProgressMode mode) {
  Options options;
  options.tty = mode == ProgressMode::kTty ||
                (mode == ProgressMode::kAuto &&
                 auto_progress_is_tty(isatty(STDOUT_FILENO) != 0, parallel::detect_launch_environment().launcher));
  options.columns = stdout_columns;
  return ProgressDisplay(std::cout, std::move(options));
}

ProgressDisplay::~ProgressDisplay() { finish(); }

void ProgressDisplay::update(const StepReport& r, std::string_view stage) {
  if (!options_.tty) {
    out_ << format_step_line(r);
    if (!stage.empty()) out_ << " | " << stage;
    out_ << std::endl;
    return;
  }
  status_ = format_status_line(r, stage);
  pending_ = true;
  const bool last = r.total > 0 && r.step >= r.total;
  if (!drawn_ || last || options_.now() - last_draw_ >= options_.min_redraw_interval) draw();
}

void ProgressDisplay::message(std::string_view text) {
  if (drawn_) out_ << '\r' << kClearToEnd;
  out_ << text << '\n';
  if (drawn_) {
    draw();
  } else {
    out_.flush();
  }
}

void ProgressDisplay::finish() {
  if (!drawn_) return;
  if (pending_) draw();
  out_ << '\n';
  out_.flush();
  drawn_ = false;
}

void ProgressDisplay::draw() {
  std::string_view line = status_;
  const int columns = options_.columns ? options_.columns() : 0;
  if (columns > 0) line = line.substr(0, static_cast<size_t>(columns - 1));
  // Overwrite first and clear what is left of a longer previous line after, so the line never
  // flickers empty.
  out_ << '\r' << line << kClearToEnd;
  out_.flush();
  drawn_ = true;
  pending_ = false;
  last_draw_ = options_.now();
}

}  // namespace tetra::trainer
