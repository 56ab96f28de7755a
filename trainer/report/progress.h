// What the trainer shows while it runs. On a terminal: one status line redrawn in place,
//   [#####.....] 1200/4000 | stage 2/4 video | loss 0.0812 | 41.2k tok/s | eta 1m23s
// with every other message (eval tables, checkpoint lines, warnings) printed above it. Anywhere
// else (a log file, a pipe, CI): the plain step line of format_step_line, one per update, so logs
// stay greppable and free of control characters.
//
// Usage: build it once with ProgressDisplay::ForStdout(config mode); call update() every step when
// tty() (redraws are throttled here) or at log steps otherwise; route every other line of output
// through message(); call finish() at the end (the destructor does too, so an error path still
// leaves the cursor on a fresh line).
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "trainer/report/metrics.h"

namespace tetra::trainer {

// run.progress: kAuto picks kTty when stdout is a terminal and no launcher started the process.
enum class ProgressMode { kAuto, kTty, kPlain };
// What kAuto resolves to. Launchers (mpirun, srun) give every rank a pseudo-terminal even when the
// job's output goes to a file, so under one the line is plain: a log never fills with \r redraws.
// `launcher` as parallel::detect_launch_environment() names it ("none" without one).
bool auto_progress_is_tty(bool stdout_is_terminal, const std::string& launcher);
const char* progress_mode_name(ProgressMode mode);  // "auto", "tty", "plain"
absl::StatusOr<ProgressMode> progress_mode_from_name(std::string_view name);  // error lists the names

// The status line without control characters. Uses step, total, loss, tokens_per_s and eta_s of
// `r`; an empty stage is left out, as are a rate <= 0 and a negative ETA (not measured yet).
std::string format_status_line(const StepReport& r, std::string_view stage);

class ProgressDisplay {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    bool tty = false;
    // Redraws closer together than this are skipped (the newest state is drawn by the next one).
    std::chrono::milliseconds min_redraw_interval{100};
    // Terminal width, asked at each redraw so a resize is followed; the line is cut to one column
    // less, because a line that wraps can no longer be erased with \r. Null or <= 0: no limit.
    std::function<int()> columns;
    std::function<Clock::time_point()> now = [] { return Clock::now(); };  // replaced by tests
  };

  ProgressDisplay(std::ostream& out, Options options);
  // Resolves kAuto with isatty(stdout) and measures the terminal's width.
  static ProgressDisplay ForStdout(ProgressMode mode);
  // Not movable, so that exactly one object ends the status line; C++17 still returns it by value.
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;
  ~ProgressDisplay();

  bool tty() const { return options_.tty; }
  // TTY: redraws the status line unless the last redraw was under min_redraw_interval ago (the
  // first update and the last step, step == total, always draw). Plain: prints
  // format_step_line(r), then " | <stage>" when a stage is given.
  void update(const StepReport& r, std::string_view stage = {});
  // Prints `text` and a newline; on a TTY the status line is erased first and redrawn below.
  void message(std::string_view text);
  // Draws the newest state once more and ends the status line with a newline. Idempotent; a later
  // update starts a new status line.
  void finish();

 private:
  void draw();
  std::ostream& out_;
  Options options_;
  std::string status_;  // the newest status line (TTY)
  bool pending_ = false;  // status_ is newer than what the terminal shows
  bool drawn_ = false;  // a status line is on screen, not yet ended by finish()
  Clock::time_point last_draw_{};
};

}  // namespace tetra::trainer
