#include "trainer/report/reporter.h"

#include <torch/torch.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "trainer/report/image_grid.h"

namespace tetra::trainer {
Reporter::Reporter(bool speaks, ProgressMode mode, int64_t grid_samples)
    : speaks_(speaks),
      grid_samples_(grid_samples),
      progress_(speaks ? ProgressDisplay::ForStdout(mode) : ProgressDisplay(null_, ProgressDisplay::Options{})) {}

absl::StatusOr<std::unique_ptr<Reporter>> Reporter::Create(const Config& config, const std::string& run_dir,
                                                           bool speaks, int64_t keep_through_step) {
  auto mode = progress_mode_from_name(config.run.progress);
  if (!mode.ok()) return mode.status();
  std::unique_ptr<Reporter> r(new Reporter(speaks, *mode, config.run.grid_samples));
  if (!speaks) return r;
  if (auto s = r->metrics_.open(run_dir + "/metrics.jsonl", keep_through_step); !s.ok()) return s;
  if (config.run.tensorboard) {
    auto tb = TensorBoardWriter::Create(run_dir + "/tensorboard");
    if (!tb.ok()) return tb.status();
    r->tensorboard_ = std::move(*tb);
  }
  return r;
}

void Reporter::message(const std::string& text) {
  if (speaks_) progress_.message(text);
}

void Reporter::step(const StepReport& r, const std::string& stage_label, nlohmann::json record, bool log_step) {
  if (!speaks_) return;
  if (progress_.tty() || log_step) progress_.update(r, stage_label);
  if (!log_step) return;
  record["step"] = r.step;
  record["loss"] = r.loss;
  record["lr"] = r.lr;
  record["grad_norm"] = r.grad_norm;
  record["tokens_per_s"] = r.tokens_per_s;
  for (const auto& [name, value] : r.terms) record["loss/" + name] = value;
  metrics_.write(record);
  if (!tensorboard_) return;
  for (const auto& [key, value] : record.items())
    if (value.is_number() && key != "step") tensorboard_->scalar(key, value.get<double>(), r.step);
  tensorboard_->flush();
}

void Reporter::evaluation(int64_t step, const std::string& stage, const EvalResult& live, const EvalResult& ema) {
  if (!speaks_) return;
  nlohmann::json record = {{"step", step}, {"stage", stage}};
  std::vector<std::pair<std::string, double>> all = live.metrics;
  all.insert(all.end(), ema.metrics.begin(), ema.metrics.end());
  for (const auto& [key, value] : all) record[key] = value;
  metrics_.write(record);
  progress_.message(absl::StrCat("eval step ", step, " (stage ", stage, ")\n", format_eval_table(all)));
  if (!tensorboard_) return;
  for (const auto& [key, value] : all) tensorboard_->scalar(key, value, step);
  for (const auto& [modality, shown] : live.comparisons) {
    if (shown.inputs.empty()) continue;
    const bool video = shown.inputs[0].dim() == 4 && shown.inputs[0].size(0) > 1;
    const ImageGrid grid = make_comparison_grid(shown.inputs, shown.reconstructions, grid_samples_, 96, video ? 3 : 1);
    if (auto s = tensorboard_->image("reconstruction/" + modality, grid.rgb.data(), grid.height, grid.width, step); !s.ok())
      progress_.message(absl::StrCat("warning: TensorBoard image: ", s.message()));
    if (shown.views.empty()) continue;
    // A mesh as people know it: the packer's rendered views of the same assets (the reconstruction
    // can only be rendered once the splat decoder exists).
    const ImageGrid views = make_frame_grid(shown.views, grid_samples_, 96, 4);
    if (auto s = tensorboard_->image("views/" + modality, views.rgb.data(), views.height, views.width, step); !s.ok())
      progress_.message(absl::StrCat("warning: TensorBoard image: ", s.message()));
  }
  tensorboard_->flush();
}

void Reporter::finish() {
  if (speaks_) progress_.finish();
}

}  // namespace tetra::trainer
