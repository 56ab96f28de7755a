// tetra-train: train the tokenizer from a YAML config.
//   tetra-train --config configs/smoke_cpu.yaml [--set key=value ...] [--resume]
//   mpirun -np 4 tetra-train --config ...            (data parallel; docs/distributed.md)
#include <iostream>
#include <string>
#include <vector>

#include "parallel/consistency.h"
#include "parallel/world.h"
#include "trainer/config/config.h"
#include "trainer/process_env.h"
#include "trainer/loop/trainer.h"

namespace {

constexpr char kUsage[] =
    "usage: tetra-train --config FILE [--set KEY=VALUE]... [--resume]\n"
    "       tetra-train --print-config        the resolved config (with --config/--set), then exit\n"
    "       tetra-train --config-reference    every config key as a markdown table\n"
    "  --config FILE      YAML config, e.g. configs/smoke_cpu.yaml\n"
    "  --set KEY=VALUE    override one key, e.g. --set optim.lr=1e-3 (repeatable)\n"
    "  --resume           continue from the newest valid checkpoint of the run directory\n";

int fail(const std::string& message) {
  std::cerr << "tetra-train: " << message << std::endl;
  return 2;
}

// Every rank's errors reach the terminal, prefixed with its rank. An error that every rank returned
// together (parallel::is_collective) is printed once, by rank 0, and every rank exits normally; any
// other error ends the whole job (MPI_Abort), since the other ranks would wait for this one forever.
int fail_rank(const tetra::parallel::World& world, const absl::Status& status) {
  if (world.size() == 1) return fail(std::string(status.message()));
  if (tetra::parallel::is_collective(status)) return world.rank() == 0 ? fail(std::string(status.message())) : 2;
  fail(world.label() + ": " + std::string(status.message()));
  world.abort(2);
}

}  // namespace

int main(int argc, char** argv) {
  tetra::trainer::ensure_cpu_environment(argc, argv);
  std::string config_path;
  std::vector<std::string> overrides;
  bool resume = false, print_config = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* flag) -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (arg == "--config") {
      const char* v = value("--config");
      if (!v) return fail("--config needs a file\n" + std::string(kUsage));
      config_path = v;
    } else if (arg == "--set") {
      const char* v = value("--set");
      if (!v) return fail("--set needs KEY=VALUE\n" + std::string(kUsage));
      overrides.push_back(v);
    } else if (arg == "--resume") {
      resume = true;
    } else if (arg == "--print-config") {
      print_config = true;
    } else if (arg == "--config-reference") {
      std::cout << tetra::trainer::key_reference();
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      return fail("unknown argument '" + arg + "'\n" + kUsage);
    }
  }
  if (config_path.empty()) return fail("--config is required\n" + std::string(kUsage));
  auto config = tetra::trainer::load_config(config_path, overrides);
  if (print_config) {
    if (!config.ok()) return fail(std::string(config.status().message()));
    std::cout << tetra::trainer::to_yaml(*config);
    return 0;
  }
  auto world = tetra::parallel::World::Get();
  if (!world.ok()) return fail(std::string(world.status().message()));
  if (!config.ok()) return fail_rank(**world, config.status());
  tetra::trainer::TrainOptions options;
  options.resume = resume;
  options.config_origin = config_path;
  try {
    auto summary = tetra::trainer::train(*config, options);
    if (!summary.ok()) return fail_rank(**world, summary.status());
    if ((*world)->rank() == 0)
      std::cout << "done: " << summary->steps_done << " steps | run directory " << summary->run_dir
                << " (TensorBoard: tensorboard --logdir " << summary->run_dir << "/tensorboard)" << std::endl;
  } catch (const c10::Error& e) {
    return fail_rank(**world, absl::InternalError(e.what_without_backtrace()));
  }
  return 0;
}
