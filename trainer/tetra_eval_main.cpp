// tetra-eval: score any checkpoint on held-out data; prints a table and appends a JSON record.
//   tetra-eval --checkpoint runs/smoke_cpu/checkpoints/step-000000310 [--data DIR] [--ema]
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "trainer/eval/eval_checkpoint.h"
#include "trainer/eval/evaluate.h"
#include "trainer/process_env.h"

namespace {

constexpr char kUsage[] =
    "usage: tetra-eval --checkpoint DIR [--data DIR] [--ema] [--config FILE] [--set KEY=VALUE]... [--out FILE]\n"
    "  --checkpoint DIR  a checkpoint folder, e.g. runs/smoke_cpu/checkpoints/step-000000310\n"
    "  --data DIR        held-out shards: one folder of shards, or image/ video/ mesh/ subfolders\n"
    "                    (default: the run's own held-out data)\n"
    "  --ema             evaluate the EMA weights\n"
    "  --config FILE     the run's config (default: config.yaml two folders above the checkpoint)\n"
    "  --set KEY=VALUE   override a config key, e.g. --set data.heldout_samples=256\n"
    "  --device cpu|cuda where to run (default cpu)\n"
    "  --out FILE        append the result as one JSON line (default: <run dir>/eval.jsonl)\n";

}  // namespace

int main(int argc, char** argv) {
  tetra::trainer::ensure_cpu_environment(argc, argv);
  tetra::trainer::EvalCheckpointOptions options;
  std::string out;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "tetra-eval: " << arg << " needs a value\n" << kUsage;
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--checkpoint") options.checkpoint = value();
    else if (arg == "--data") options.data = value();
    else if (arg == "--config") options.config = value();
    else if (arg == "--set") options.overrides.push_back(value());
    else if (arg == "--device") options.device = value();
    else if (arg == "--out") out = value();
    else if (arg == "--ema") options.ema = true;
    else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "tetra-eval: unknown argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }
  if (options.checkpoint.empty()) {
    std::cerr << "tetra-eval: --checkpoint is required\n" << kUsage;
    return 2;
  }
  auto report = tetra::trainer::evaluate_checkpoint(options);
  if (!report.ok()) {
    std::cerr << "tetra-eval: " << report.status().message() << std::endl;
    return 1;
  }
  std::cout << "checkpoint " << options.checkpoint << " (step " << report->step << ", stage " << report->stage << ")"
            << (options.ema ? ", EMA weights" : "") << "\n"
            << tetra::trainer::format_eval_table(report->metrics);
  nlohmann::json record = {{"checkpoint", options.checkpoint}, {"step", report->step}, {"stage", report->stage},
                           {"data", report->data_folders}, {"ema", options.ema}};
  for (const auto& [key, v] : report->metrics) record[key] = v;
  if (out.empty()) out = (std::filesystem::path(options.checkpoint).parent_path().parent_path() / "eval.jsonl").string();
  std::ofstream file(out, std::ios::app);
  file << record.dump() << "\n";
  if (!file) {
    std::cerr << "tetra-eval: cannot append to " << out << std::endl;
    return 1;
  }
  std::cout << "appended to " << out << std::endl;
  return 0;
}
