#include <gtest/gtest.h>

#include <sstream>

#include "trainer/report/progress.h"

namespace tetra::trainer {
namespace {

using namespace std::chrono_literals;

StepReport report(int64_t step, int64_t total = 4000) {
  StepReport r;
  r.step = step;
  r.total = total;
  r.loss = 0.0812;
  r.lr = 3e-4;
  r.grad_norm = 0.5;
  r.terms = {{"image/l1", 0.41}};
  r.tokens_per_s = 41234;
  r.eta_s = 83;
  return r;
}

// A TTY display on a stringstream with a clock the test moves by hand.
struct FakeTerminal {
  std::ostringstream out;
  ProgressDisplay::Clock::time_point now{};
  ProgressDisplay display;

  explicit FakeTerminal(int columns = 0) : display(out, options(columns)) {}
  ProgressDisplay::Options options(int columns) {
    ProgressDisplay::Options o;
    o.tty = true;
    o.now = [this] { return now; };
    if (columns > 0) o.columns = [columns] { return columns; };
    return o;
  }
  int redraws() const {
    int n = 0;
    for (char c : out.str()) n += c == '\r';
    return n;
  }
};

bool has_control_characters(const std::string& text) {
  for (char c : text)
    if (c == '\r' || c == '\x1b') return true;
  return false;
}

TEST(Progress, FormatRateAndStatusLine) {
  EXPECT_EQ(format_rate(512), "512");
  EXPECT_EQ(format_rate(41234), "41.2k");
  EXPECT_EQ(format_rate(2.5e6), "2.50M");
  EXPECT_EQ(format_status_line(report(1200), "stage 2/4 video"),
            "[###.......] 1200/4000 | stage 2/4 video | loss 0.0812 | 41.2k tok/s | eta 1m23s");
  StepReport r = report(4000);
  r.eta_s = 3 * 3600 + 5 * 60;
  EXPECT_EQ(format_status_line(r, ""), "[##########] 4000/4000 | loss 0.0812 | 41.2k tok/s | eta 3h05m");
  // Before anything is measured there is no rate or ETA to show.
  r = report(0);
  r.tokens_per_s = 0;
  r.eta_s = -1;
  EXPECT_EQ(format_status_line(r, ""), "[..........] 0/4000 | loss 0.0812");
}

// Launchers give each rank a pseudo-terminal whatever the job's output is: auto stays plain there.
TEST(Progress, AutoIsPlainUnderALauncherOrWithoutATerminal) {
  EXPECT_TRUE(auto_progress_is_tty(true, "none"));
  EXPECT_FALSE(auto_progress_is_tty(true, "mpirun"));
  EXPECT_FALSE(auto_progress_is_tty(true, "slurm"));
  EXPECT_FALSE(auto_progress_is_tty(false, "none"));
}

TEST(Progress, ModeNames) {
  for (auto mode : {ProgressMode::kAuto, ProgressMode::kTty, ProgressMode::kPlain})
    EXPECT_EQ(*progress_mode_from_name(progress_mode_name(mode)), mode);
  auto bad = progress_mode_from_name("fancy");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("auto, tty, plain"), std::string::npos) << bad.status();
}

TEST(Progress, TtyRedrawsOneLineInPlace) {
  FakeTerminal t;
  t.display.update(report(1200), "stage 2/4 video");
  EXPECT_EQ(t.out.str(), "\r[###.......] 1200/4000 | stage 2/4 video | loss 0.0812 | 41.2k tok/s | eta 1m23s\x1b[K");
  t.now += 1s;
  t.display.update(report(1201), "stage 2/4 video");
  EXPECT_EQ(t.redraws(), 2);
  EXPECT_EQ(t.out.str().find('\n'), std::string::npos) << "a status line must never scroll";
  t.display.finish();
  EXPECT_EQ(t.out.str().back(), '\n');
  t.display.finish();  // idempotent
  EXPECT_EQ(t.out.str().find('\n'), t.out.str().size() - 1);
}

TEST(Progress, TtyMessageClearsThenRedrawsTheStatusLine) {
  FakeTerminal t;
  t.display.update(report(100));
  const size_t before = t.out.str().size();
  t.display.message("eval step 100 | held-out L1 0.20263");
  const std::string after = t.out.str().substr(before);
  EXPECT_EQ(after, "\r\x1b[Keval step 100 | held-out L1 0.20263\n\r" + format_status_line(report(100), "") + "\x1b[K");
}

TEST(Progress, TtyMessageBeforeAnyUpdateIsPlain) {
  FakeTerminal t;
  t.display.message("resumed from step 20");
  EXPECT_EQ(t.out.str(), "resumed from step 20\n");
}

TEST(Progress, TtyThrottlesRedrawsAndKeepsTheNewestState) {
  FakeTerminal t;
  // 100 steps 5 ms apart (0.5 s): at most one redraw per 100 ms, plus the first.
  for (int step = 1; step <= 100; ++step) {
    t.display.update(report(step));
    t.now += 5ms;
  }
  EXPECT_GE(t.redraws(), 5);
  EXPECT_LE(t.redraws(), 6);
  // The last state (step 100) was throttled away; finish() shows it before the newline.
  const std::string last = format_status_line(report(100), "");
  EXPECT_EQ(t.out.str().find(last), std::string::npos);
  t.display.finish();
  EXPECT_EQ(t.out.str().substr(t.out.str().size() - last.size() - 5), "\r" + last + "\x1b[K\n");
}

TEST(Progress, TtyAlwaysDrawsTheLastStep) {
  FakeTerminal t;
  t.display.update(report(9, 10));
  t.display.update(report(10, 10));  // same instant, but the run is done
  EXPECT_EQ(t.redraws(), 2);
  EXPECT_NE(t.out.str().find("10/10"), std::string::npos);
}

TEST(Progress, TtyCutsTheLineToTheTerminalWidth) {
  FakeTerminal t(/*columns=*/21);
  t.display.update(report(1200));
  EXPECT_EQ(t.out.str(), "\r[###.......] 1200/40\x1b[K");
}

TEST(Progress, PlainPrintsOneStepLinePerUpdateAndNoControlCharacters) {
  std::ostringstream out;
  {
    ProgressDisplay display(out, ProgressDisplay::Options{});
    EXPECT_FALSE(display.tty());
    display.update(report(100), "stage 1/4 image");
    display.message("checkpoint: runs/x/checkpoints/step-000000100");
    display.update(report(200));
  }  // the destructor's finish() adds nothing in plain mode
  EXPECT_FALSE(has_control_characters(out.str())) << out.str();
  EXPECT_EQ(out.str(), format_step_line(report(100)) + " | stage 1/4 image\n" +
                           "checkpoint: runs/x/checkpoints/step-000000100\n" + format_step_line(report(200)) + "\n");
}

TEST(Progress, DestructorEndsTheStatusLine) {
  std::ostringstream out;
  {
    ProgressDisplay::Options o;
    o.tty = true;
    ProgressDisplay display(out, o);
    display.update(report(5));
  }
  EXPECT_EQ(out.str().back(), '\n');
}

TEST(Progress, ForStdoutHonoursForcedModes) {
  EXPECT_TRUE(ProgressDisplay::ForStdout(ProgressMode::kTty).tty());
  EXPECT_FALSE(ProgressDisplay::ForStdout(ProgressMode::kPlain).tty());
}

}  // namespace
}  // namespace tetra::trainer
