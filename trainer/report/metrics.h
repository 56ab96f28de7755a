// The run's metrics.jsonl (one JSON record per logging step or evaluation) and the step log line.
#pragma once
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace tetra::trainer {

class MetricsLog {
 public:
  // Opens `path` for appending. With keep_through_step >= 0 (a resume), records of later steps are
  // dropped first (they came from the interrupted run and will be produced again), atomically.
  absl::Status open(const std::string& path, int64_t keep_through_step);
  void write(const nlohmann::json& record);  // flushed immediately: a crash loses no record

 private:
  std::ofstream out_;
};

struct StepReport {
  int64_t step = 0;       // steps completed
  int64_t total = 0;
  double loss = 0, lr = 0, grad_norm = 0;
  std::vector<std::pair<std::string, double>> terms;  // unweighted, e.g. {"image/l1", 0.41}
  double tokens_per_s = 0;
  double eta_s = 0;
};

// "step 120/1000 | loss 0.0812 | image/l1 0.4061 image/kl 95.2 | lr 3.00e-04 | gnorm 0.513 | 41.2k tok/s | eta 1m23s"
std::string format_step_line(const StepReport& r);
std::string format_duration(double seconds);
std::string format_rate(double per_second);  // 41234 -> "41.2k", 2.5e6 -> "2.50M", 512 -> "512"

}  // namespace tetra::trainer
