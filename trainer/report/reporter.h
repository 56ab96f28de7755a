// Where a run's numbers go, from rank 0: the progress display (trainer/progress.h), metrics.jsonl
// (one record per logging step and per evaluation) and TensorBoard (<run dir>/tensorboard: scalars
// per loss term, lr, grad norm, tokens/s; input | reconstruction grids per modality). On the other
// ranks every call is a no-op.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "trainer/config/config.h"
#include "trainer/eval/evaluate.h"
#include "trainer/report/metrics.h"
#include "trainer/report/progress.h"
#include "trainer/report/tensorboard.h"

namespace tetra::trainer {

class Reporter {
 public:
  // keep_through_step: on a resume, the step resumed from (later records are dropped); else -1.
  static absl::StatusOr<std::unique_ptr<Reporter>> Create(const Config& config, const std::string& run_dir,
                                                          bool speaks, int64_t keep_through_step);
  void message(const std::string& text);
  // A training step; `record` carries the extra fields of the metrics record (stage, skipped samples).
  void step(const StepReport& report, const std::string& stage_label, nlohmann::json record, bool log_step);
  void evaluation(int64_t step, const std::string& stage, const EvalResult& live, const EvalResult& ema);
  void finish();
  bool speaks() const { return speaks_; }

 private:
  Reporter(bool speaks, ProgressMode mode, int64_t grid_samples);
  bool speaks_;
  int64_t grid_samples_;
  std::ostream null_{nullptr};
  ProgressDisplay progress_;
  MetricsLog metrics_;
  std::unique_ptr<TensorBoardWriter> tensorboard_;
};

}  // namespace tetra::trainer
