#include "trainer/config/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/ascii.h"
#include "model/options.h"
#include "trainer/loop/tasks.h"
#include "trainer/state/trainable.h"

namespace tetra::trainer {
namespace {

std::string describe(const IntRange& r) {
  return absl::StrCat("an integer in [", r.lo, ", ", r.hi == INT64_MAX ? std::string("inf") : absl::StrCat(r.hi), "]");
}
std::string describe(const RealRange& r) { return absl::StrCat("a number in [", r.lo, ", ", r.hi, "]"); }
std::string describe(const Choices& c) { return absl::StrCat("one of: ", absl::StrJoin(c.values, ", ")); }

// Walks the structs against a YAML tree: converts, checks bounds, and collects every error
// (so a user fixes a config in one pass, not one key per run).
class YamlReader {
 public:
  YamlReader(std::string origin, std::set<std::string> overridden)
      : origin_(std::move(origin)), overridden_(std::move(overridden)) {}

  template <class T>
  void section(const char* name, T& s) {
    keys_->push_back(name);
    // YAML::Node is a handle whose operator= overwrites the node it refers to, so the walk keeps
    // handles in optionals (copy-constructed, never assigned) and only ever reads through const.
    std::optional<YAML::Node> child;
    if (node_) {
      const YAML::Node& parent = *node_;
      YAML::Node found = parent[name];
      if (found.IsDefined()) child.emplace(found);
    }
    visit_mapping(prefix_ + name, child, s);
  }

  // A sequence of mappings ("stages"): element i is read over make() into out[i] and its keys are
  // named "stages.i.key", which is also how --set addresses them. Absent: one default element.
  template <class T, class Make>
  void list(const char* name, std::vector<T>& out, Make make) {
    keys_->push_back(name);
    std::optional<YAML::Node> seq;
    if (node_) {
      const YAML::Node& parent = *node_;
      YAML::Node found = parent[name];
      if (found.IsDefined()) seq.emplace(found);
    }
    out.clear();
    if (!seq) {
      out.push_back(make());
      return;
    }
    const YAML::Node& items = *seq;
    if (!items.IsSequence() || items.size() == 0) {
      error(prefix_ + name, "must be a non-empty list of mappings, one per stage (- name: ...)");
      out.push_back(make());
      return;
    }
    for (size_t i = 0; i < items.size(); ++i) {
      out.push_back(make());
      std::optional<YAML::Node> item;
      item.emplace(items[i]);
      visit_mapping(absl::StrCat(prefix_, name, ".", i), item, out.back());
    }
  }

  void field(const char* key, int64_t& value, IntRange range, const char* help) {
    read(key, value, describe(range), [&](int64_t v) { return v >= range.lo && v <= range.hi; });
  }
  void field(const char* key, double& value, RealRange range, const char* help) {
    read(key, value, describe(range), [&](double v) { return v >= range.lo && v <= range.hi; });
  }
  void field(const char* key, std::string& value, Choices choices, const char* help) {
    read(key, value, describe(choices), [&](const std::string& v) {
      return std::find(choices.values.begin(), choices.values.end(), v) != choices.values.end();
    });
  }
  void field(const char* key, std::string& value, const char* help) {
    read(key, value, "a string", [](const std::string&) { return true; });
  }
  void field(const char* key, bool& value, const char* help) {
    read(key, value, "true or false", [](bool) { return true; });
  }

  // Call after visiting with node_ unset: top-level sections read from `root`.
  void set_root(const YAML::Node& root) { node_.emplace(root); }
  // optional<Node>::operator= would call Node::operator= (overwriting the tree): re-emplace instead.
  void rebind(const std::optional<YAML::Node>& node) {
    node_.reset();
    if (node) node_.emplace(*node);
  }
  void check_top_level(const YAML::Node& root) { check_unknown_keys(root, top_keys_); }
  const std::vector<std::string>& errors() const { return errors_; }
  void error(const std::string& key, const std::string& what) {
    std::string where = overridden_.count(key) ? absl::StrCat("--set ", key) : absl::StrCat(origin_);
    errors_.push_back(absl::StrCat(where, ": key '", key, "' ", what));
  }

 private:
  // Reads struct `s` from `child` (a mapping, or absent: defaults stay) under the key `full_name`.
  template <class T>
  void visit_mapping(const std::string& full_name, std::optional<YAML::Node> child, T& s) {
    std::optional<YAML::Node> saved = node_;
    std::string saved_prefix = prefix_;
    std::vector<std::string>* saved_keys = keys_;
    prefix_ = full_name + ".";
    if (child && !child->IsMap()) {
      error(full_name, "must be a mapping of keys");
      child.reset();
    }
    rebind(child);
    std::vector<std::string> keys;
    keys_ = &keys;
    s.visit(*this);
    if (child) check_unknown_keys(*child, keys);
    rebind(saved);
    prefix_ = saved_prefix;
    keys_ = saved_keys;
  }

  template <class T, class Valid>
  void read(const char* key, T& value, const std::string& allowed, Valid valid) {
    const std::string full = prefix_ + key;
    keys_->push_back(key);
    if (!node_) return;  // default stays
    const YAML::Node& current = *node_;
    const YAML::Node n = current[key];
    if (!n.IsDefined()) return;
    T parsed{};
    try {
      if (!n.IsScalar()) throw YAML::Exception(YAML::Mark::null_mark(), "not a scalar");
      parsed = n.as<T>();
    } catch (const YAML::Exception&) {
      error(full, absl::StrCat("has value '", YAML::Dump(n), "'; expected ", allowed));
      return;
    }
    if (!valid(parsed)) {
      error(full, absl::StrCat("has value '", n.Scalar(), "'; allowed: ", allowed));
      return;
    }
    value = parsed;
  }

  void check_unknown_keys(const YAML::Node& map, const std::vector<std::string>& allowed) {
    if (!map || !map.IsMap()) return;
    for (const auto& kv : map) {
      const std::string key = kv.first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
        error(prefix_ + key, absl::StrCat("is unknown; allowed keys here: ", absl::StrJoin(allowed, ", ")));
    }
  }

  std::string origin_;
  std::set<std::string> overridden_;
  std::optional<YAML::Node> node_;
  std::string prefix_;
  std::vector<std::string> top_keys_;
  std::vector<std::string>* keys_ = &top_keys_;
  std::vector<std::string> errors_;
};

// Emits every field with its current value.
class YamlWriter {
 public:
  YamlWriter() { out_ << YAML::BeginMap; }
  template <class T>
  void section(const char* name, T& s) {
    out_ << YAML::Key << name << YAML::Value << YAML::BeginMap;
    s.visit(*this);
    out_ << YAML::EndMap;
  }
  template <class T, class Make>
  void list(const char* name, std::vector<T>& items, Make) {
    out_ << YAML::Key << name << YAML::Value << YAML::BeginSeq;
    for (auto& item : items) {
      out_ << YAML::BeginMap;
      item.visit(*this);
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndSeq;
  }
  template <class T, class Bound>
  void field(const char* key, T& value, Bound, const char*) { out_ << YAML::Key << key << YAML::Value << value; }
  template <class T>
  void field(const char* key, T& value, const char*) { out_ << YAML::Key << key << YAML::Value << value; }
  std::string finish() {
    out_ << YAML::EndMap;
    return std::string(out_.c_str()) + "\n";
  }
 private:
  YAML::Emitter out_;
};

// One line per key, named "section.key": a markdown row of the reference (default, allowed values,
// meaning), or "section.key: value" (what ranks compare to prove they run the same config).
class FlatWriter {
 public:
  enum class Style { kMarkdown, kKeyValue };
  explicit FlatWriter(Style style) : style_(style) {}
  template <class T>
  void section(const char* name, T& s) {
    const std::string saved = prefix_;
    prefix_ += std::string(name) + ".";
    s.visit(*this);
    prefix_ = saved;
  }
  // Key-value style: every element ("stages.0.steps: 200"); the reference: one default element,
  // its keys written "stages.N.key".
  template <class T, class Make>
  void list(const char* name, std::vector<T>& items, Make make) {
    std::vector<T> shown = items;
    if (style_ == Style::kMarkdown) shown = {make()};
    for (size_t i = 0; i < shown.size(); ++i) {
      const std::string saved = prefix_;
      prefix_ += style_ == Style::kMarkdown ? absl::StrCat(name, ".N.") : absl::StrCat(name, ".", i, ".");
      shown[i].visit(*this);
      prefix_ = saved;
    }
  }
  template <class T, class Bound>
  void field(const char* key, T& value, Bound bound, const char* help) { line(key, value, describe(bound), help); }
  template <class T>
  void field(const char* key, T& value, const char* help) { line(key, value, "", help); }
  std::string str() const { return out_.str(); }
 private:
  template <class T>
  void line(const char* key, const T& value, const std::string& allowed, const char* help) {
    YAML::Emitter e;
    e << value;
    if (style_ == Style::kKeyValue) {
      out_ << prefix_ << key << ": " << e.c_str() << "\n";
    } else {
      out_ << "| `" << prefix_ << key << "` | `" << e.c_str() << "` | " << allowed << " | " << help << " |\n";
    }
  }
  Style style_;
  std::string prefix_;
  std::ostringstream out_;
};

absl::Status apply_override(YAML::Node& root, const std::string& assignment, std::set<std::string>* keys) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    return absl::InvalidArgumentError(absl::StrCat("--set '", assignment, "': expected KEY=VALUE, e.g. --set optim.lr=1e-3"));
  const std::string key = assignment.substr(0, eq);
  std::vector<std::string> path = absl::StrSplit(key, '.');
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("--set '", assignment, "': value is not valid YAML: ", e.what()));
  }
  YAML::Node cursor;
  cursor.reset(root);
  for (size_t i = 0; i < path.size(); ++i) {
    const bool last = i + 1 == path.size();
    if (cursor.IsSequence()) {  // "stages.1.steps": an element of a list that must exist
      size_t index = 0;
      if (!absl::SimpleAtoi(path[i], &index) || index >= cursor.size())
        return absl::InvalidArgumentError(absl::StrCat(
            "--set '", assignment, "': '", path[i], "' is not an element of ", absl::StrJoin(path.begin(), path.begin() + i, "."),
            ", which has ", cursor.size(), " (indices from 0)"));
      if (last) {
        cursor[index] = value;
        break;
      }
      YAML::Node next = cursor[index];
      cursor.reset(next);
      continue;
    }
    if (last) {
      cursor[path[i]] = value;
      break;
    }
    if (!cursor[path[i]] || !(cursor[path[i]].IsMap() || cursor[path[i]].IsSequence()))
      cursor[path[i]] = YAML::Node(YAML::NodeType::Map);
    YAML::Node next = cursor[path[i]];
    cursor.reset(next);
  }
  keys->insert(key);
  return absl::OkStatus();
}

void check_sides(const std::string& stage, const char* what, int64_t lo, int64_t hi, int64_t patch,
                 std::vector<std::string>* errors) {
  if (lo > hi)
    errors->push_back(absl::StrCat("key '", stage, what, "_min_side' (", lo, ") exceeds ", stage, what, "_max_side (", hi, ")"));
  if (hi < patch)
    errors->push_back(absl::StrCat("key '", stage, what, "_max_side' (", hi, ") is smaller than model.patch_size (", patch, ")"));
}

// What a stage needs from the rest of the config: sides that fit the patch, a task to run, data
// for every task it runs, and a latent shape that only grows and fits FSQ where it is discrete.
void check_stages(const Config& c, std::vector<std::string>* errors) {
  int64_t channels = c.model.latent_channels;
  for (size_t i = 0; i < c.stages.size(); ++i) {
    const StageConfig& st = c.stages[i];
    const std::string at = absl::StrCat("stages.", i, ".");
    if (auto loss = losses::validate(st.loss); !loss.ok())
      errors->push_back(absl::StrCat(at, "loss: ", loss.message()));
    check_sides(at, "image", st.image_min_side, st.image_max_side, c.model.patch.h, errors);
    check_sides(at, "video", st.video_min_side, st.video_max_side, c.model.patch.h, errors);
    if (st.optim.min_lr > st.optim.lr)
      errors->push_back(absl::StrCat("key '", at, "optim.min_lr' (", st.optim.min_lr, ") exceeds ", at, "optim.lr (", st.optim.lr, ")"));
    if (st.latent_channels != 0 && st.latent_channels < channels)
      errors->push_back(absl::StrCat("key '", at, "latent_channels' (", st.latent_channels, ") is below the ", channels,
                                     " channels the latent already has: a stage can only widen it (0 keeps it)"));
    if (st.latent_channels != 0) channels = std::max(channels, st.latent_channels);
    for (absl::string_view part : absl::StrSplit(st.freeze, ',', absl::SkipWhitespace())) {
      const std::string name(absl::StripAsciiWhitespace(part));
      if (std::find(freezable_parts().begin(), freezable_parts().end(), name) == freezable_parts().end())
        errors->push_back(absl::StrCat("key '", at, "freeze' names '", name, "'; allowed: ",
                                       absl::StrJoin(freezable_parts(), ", "), " (comma-separated)"));
    }
    if (st.discrete && c.model.fsq.groups * c.model.fsq.dims_per_group != channels)
      errors->push_back(absl::StrCat("stage ", at, " is discrete, but model.fsq_groups x model.fsq_dims = ",
                                     c.model.fsq.groups * c.model.fsq.dims_per_group, " differs from the ", channels,
                                     " latent channels it has: set latent_channels or the fsq keys (SPEC: 8 x 6 = 48)"));
    double shares = 0;
    for (Task task : all_tasks()) {
      const double share = task_config(st, task).share;
      shares += share;
      if (share <= 0 || c.data.source != "shards") continue;
      const common::Modality modality = task_modality(task);
      if (modality_paths(c.data, modality).train.empty())
        errors->push_back(absl::StrCat("key 'data.", common::modality_name(modality), ".train' is empty, but ", at, "tasks.",
                                       task_name(task), " samples it: give a folder made by `tetra-data pack`, or set "
                                       "that share to 0"));
    }
    if (shares <= 0)
      errors->push_back(absl::StrCat("stage ", at, "name '", st.name, "' has no task with a share > 0 (", at, "tasks)"));
  }
}

std::vector<std::string> cross_field_errors(const Config& c) {
  std::vector<std::string> errors;
  if (auto loss = losses::validate(c.loss); !loss.ok()) errors.push_back(std::string(loss.message()));
  const model::TokenizerOptions m = c.model.resolved();
  const int64_t width = m.width;
  const int64_t heads = m.heads;
  if (width % heads != 0)
    errors.push_back(absl::StrCat("key 'model.width' (", width, ") must be divisible by model.heads (", heads, ")"));
  else if ((width / heads) % 8 != 0)
    errors.push_back(absl::StrCat("model.width / model.heads = ", width / heads,
                                  " must be divisible by 8 for 4D RoPE; e.g. width ", heads * 8 * ((width / heads + 7) / 8)));
  if (c.optim.schedule.min_lr > c.optim.schedule.lr)
    errors.push_back(absl::StrCat("key 'optim.min_lr' (", c.optim.schedule.min_lr, ") exceeds optim.lr (", c.optim.schedule.lr, ")"));
  if (c.parallel.first_bucket_mb > c.parallel.bucket_mb)
    errors.push_back(absl::StrCat("key 'parallel.first_bucket_mb' (", c.parallel.first_bucket_mb,
                                  ") exceeds parallel.bucket_mb (", c.parallel.bucket_mb, ")"));
  if (c.data.video_frames % c.model.patch.t != 0)
    errors.push_back(absl::StrCat("key 'data.video_frames' (", c.data.video_frames, ") must be a multiple of model.patch_time (",
                                  c.model.patch.t, ")"));
  if (c.data.video_min_stride > c.data.video_max_stride)
    errors.push_back("key 'data.video_min_stride' exceeds data.video_max_stride");
  check_stages(c, &errors);
  if (c.run.start_stage >= static_cast<int64_t>(c.stages.size()))
    errors.push_back(absl::StrCat("key 'run.start_stage' (", c.run.start_stage, ") must name one of the ",
                                  c.stages.size(), " stages (indices from 0)"));
  return errors;
}

}  // namespace

absl::StatusOr<Config> parse_config(const std::string& yaml_text, const std::string& origin,
                                    const std::vector<std::string>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": not valid YAML: ", e.what()));
  }
  if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) return absl::InvalidArgumentError(absl::StrCat(origin, ": the top level must be a mapping (run:, model:, data:, optim:, loss:, parallel:, stages:)"));
  std::set<std::string> overridden;
  for (const auto& o : overrides) {
    auto status = apply_override(root, o, &overridden);
    if (!status.ok()) return status;
  }
  Config config;
  YamlReader reader(origin, overridden);
  reader.set_root(root);
  config.visit(reader);
  reader.check_top_level(root);
  std::vector<std::string> errors = reader.errors();
  if (errors.empty())
    for (const auto& e : cross_field_errors(config)) errors.push_back(absl::StrCat(origin, ": ", e));
  if (!errors.empty())
    return absl::InvalidArgumentError(absl::StrCat("invalid configuration:\n  ", absl::StrJoin(errors, "\n  "),
                                                   "\n(see docs/configuration.md for every key)"));
  return config;
}

absl::StatusOr<Config> load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("config file '", path, "' cannot be read; try configs/smoke_cpu.yaml"));
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path, overrides);
}

std::string to_yaml(const Config& config) {
  YamlWriter writer;
  Config copy = config;
  copy.visit(writer);
  return writer.finish();
}

std::string to_key_values(const Config& config) {
  FlatWriter writer(FlatWriter::Style::kKeyValue);
  Config copy = config;
  copy.visit(writer);
  return writer.str();
}

std::string key_reference() {
  FlatWriter writer(FlatWriter::Style::kMarkdown);
  Config defaults;
  defaults.visit(writer);
  return "| key | default | allowed | meaning |\n|---|---|---|---|\n" + writer.str();
}

}  // namespace tetra::trainer
