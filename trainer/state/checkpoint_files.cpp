#include "trainer/state/checkpoint_files.h"

#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace tetra::trainer {
using json = nlohmann::json;

absl::StatusOr<CheckpointPosition> read_position(const std::string& dir) {
  const std::string path = absl::StrCat(dir, "/", kPositionFile);
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, " is missing: not a Tetra checkpoint"));
  try {
    const json state = json::parse(in);
    return CheckpointPosition{state.value("step", int64_t{0}), state.value("stage", int64_t{0}),
                              state.value("stage_name", std::string()), state.value("latent_channels", int64_t{0})};
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat(path, " is unreadable: ", e.what()));
  }
}

absl::Status save_weights(const std::string& dir, Trainable& trainable, const WeightEma& ema) {
  try {
    torch::save(trainable, absl::StrCat(dir, "/", kModelFile));
    torch::serialize::OutputArchive archive;
    ema.save(archive);
    archive.save_to(absl::StrCat(dir, "/", kEmaFile));
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("writing the weights into ", dir, ": ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

namespace {

// "name [shape]" of every parameter and buffer: torch::load replaces tensors whatever their shape,
// so a checkpoint of another width would load without complaint unless the shapes are compared.
std::vector<std::string> shapes_of(torch::nn::Module& module) {
  std::vector<std::string> out;
  for (const auto& p : module.named_parameters()) out.push_back(absl::StrCat(p.key(), " ", c10::str(p.value().sizes())));
  for (const auto& b : module.named_buffers()) out.push_back(absl::StrCat(b.key(), " ", c10::str(b.value().sizes())));
  return out;
}

}  // namespace

absl::Status load_weights(const std::string& dir, Trainable& trainable, WeightEma* ema, torch::Device device,
                          const std::string& who, const std::string& fix) {
  const std::vector<std::string> expected = shapes_of(*trainable);
  try {
    torch::load(trainable, absl::StrCat(dir, "/", kModelFile), device);
    const std::vector<std::string> found = shapes_of(*trainable);
    for (size_t i = 0; i < expected.size() && i < found.size(); ++i)
      if (found[i] != expected[i])
        return absl::FailedPreconditionError(absl::StrCat(who, ": checkpoint ", dir, " does not fit this model: it holds ",
                                                          found[i], " where the model has ", expected[i], " (", fix, ")"));
    if (ema != nullptr) {
      torch::serialize::InputArchive archive;
      archive.load_from(absl::StrCat(dir, "/", kEmaFile));
      ema->load(archive);
    }
  } catch (const c10::Error& e) {
    // The manifest was verified, so the bytes are what was written: a mismatch is the model's shape.
    return absl::FailedPreconditionError(absl::StrCat(who, ": checkpoint ", dir, " does not fit this model: ",
                                                      e.what_without_backtrace(), " (", fix, ")"));
  }
  return absl::OkStatus();
}

std::string cursors_json(const std::map<std::string, data::LoaderCursor>& cursors) {
  json out = json::object();
  for (const auto& [task, cursor] : cursors) out[task] = data::format_cursor(cursor);
  return out.dump();
}

absl::Status write_rank_state(const std::string& path, const RankState& state) {
  try {
    torch::serialize::OutputArchive archive;
    archive.write("position", torch::tensor({state.step, state.stage, state.stage_step}));
    archive.write("cursors", c10::IValue(cursors_json(state.cursors)));
    archive.write("latent_rng", state.latent_rng);
    archive.save_to(path);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("writing ", path, ": ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::map<std::string, data::LoaderCursor>> parse_cursors(const std::string& text,
                                                                        const std::string& path) {
  const json saved = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (saved.is_discarded() || !saved.is_object())
    return absl::DataLossError(absl::StrCat(path, " holds unreadable data cursors (not a JSON object); resume from an "
                                            "older checkpoint (delete this folder)"));
  std::map<std::string, data::LoaderCursor> out;
  for (const auto& [task, value] : saved.items()) {
    auto cursor = value.is_string() ? data::parse_cursor(value.get<std::string>())
                                    : absl::StatusOr<data::LoaderCursor>(absl::InvalidArgumentError("not a string"));
    if (!cursor.ok())
      return absl::DataLossError(absl::StrCat("data cursor of task ", task, " in ", path, ": ",
                                              cursor.status().message(),
                                              "; resume from an older checkpoint (delete this folder)"));
    out[task] = *cursor;
  }
  return out;
}

}  // namespace

absl::StatusOr<RankState> read_rank_state(const std::string& path) {
  RankState out;
  std::string cursors;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    torch::Tensor position;
    c10::IValue text;
    archive.read("position", position);
    archive.read("cursors", text);
    archive.read("latent_rng", out.latent_rng);
    if (position.numel() != 3 || !text.isString())
      return absl::DataLossError(absl::StrCat(path, " is not a rank state (position or cursors malformed)"));
    out.step = position[0].item<int64_t>();
    out.stage = position[1].item<int64_t>();
    out.stage_step = position[2].item<int64_t>();
    cursors = text.toStringRef();
  } catch (const c10::Error& e) {
    return absl::DataLossError(absl::StrCat(path, " is unreadable: ", e.what_without_backtrace()));
  }
  auto parsed = parse_cursors(cursors, path);
  if (!parsed.ok()) return parsed.status();
  out.cursors = std::move(*parsed);
  return out;
}

}  // namespace tetra::trainer
