#include "trainer/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "model/options.h"

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
    std::optional<YAML::Node> saved = node_;
    std::string saved_prefix = prefix_;
    std::vector<std::string>* saved_keys = keys_;
    std::optional<YAML::Node> child;
    if (node_) {
      const YAML::Node& parent = *node_;
      YAML::Node found = parent[name];
      if (found.IsDefined()) child.emplace(found);
    }
    prefix_ = prefix_ + name + ".";
    if (child && !child->IsMap()) {
      error(prefix_.substr(0, prefix_.size() - 1), "must be a mapping of keys");
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
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (!cursor[path[i]] || !cursor[path[i]].IsMap()) cursor[path[i]] = YAML::Node(YAML::NodeType::Map);
    YAML::Node next = cursor[path[i]];
    cursor.reset(next);
  }
  cursor[path.back()] = value;
  keys->insert(key);
  return absl::OkStatus();
}

std::vector<std::string> cross_field_errors(const Config& c) {
  std::vector<std::string> errors;
  if (auto loss = losses::validate(c.loss); !loss.ok()) errors.push_back(std::string(loss.message()));
  model::TokenizerOptions m;
  model::apply_preset(c.model.preset, &m);
  const int64_t width = c.model.width ? c.model.width : m.width;
  const int64_t heads = c.model.heads ? c.model.heads : m.heads;
  if (width % heads != 0)
    errors.push_back(absl::StrCat("key 'model.width' (", width, ") must be divisible by model.heads (", heads, ")"));
  else if ((width / heads) % 8 != 0)
    errors.push_back(absl::StrCat("model.width / model.heads = ", width / heads,
                                  " must be divisible by 8 for 4D RoPE; e.g. width ", heads * 8 * ((width / heads + 7) / 8)));
  if (c.data.min_side > c.data.max_side)
    errors.push_back(absl::StrCat("key 'data.min_side' (", c.data.min_side, ") exceeds data.max_side (", c.data.max_side, ")"));
  if (c.data.max_side < c.model.patch_size)
    errors.push_back(absl::StrCat("key 'data.max_side' (", c.data.max_side, ") is smaller than model.patch_size (", c.model.patch_size, ")"));
  if (c.data.embedded_min_side > c.data.embedded_max_side)
    errors.push_back("key 'data.embedded_min_side' exceeds data.embedded_max_side");
  if (c.optim.min_lr > c.optim.lr)
    errors.push_back(absl::StrCat("key 'optim.min_lr' (", c.optim.min_lr, ") exceeds optim.lr (", c.optim.lr, ")"));
  if (c.parallel.first_bucket_mb > c.parallel.bucket_mb)
    errors.push_back(absl::StrCat("key 'parallel.first_bucket_mb' (", c.parallel.first_bucket_mb,
                                  ") exceeds parallel.bucket_mb (", c.parallel.bucket_mb, ")"));
  if (c.data.source == "shards" && c.data.train_path.empty())
    errors.push_back("key 'data.train_path' is required when data.source is 'shards' (a folder made by `tetra-data pack images`)");
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
  if (!root.IsMap()) return absl::InvalidArgumentError(absl::StrCat(origin, ": the top level must be a mapping (run:, model:, data:, optim:, loss:, parallel:)"));
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
