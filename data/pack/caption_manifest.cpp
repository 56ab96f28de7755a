#include "data/pack/caption_manifest.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "data/util/io_util.h"

namespace tetra::data {
namespace {

absl::Status line_error(const std::string& manifest, int64_t line, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(manifest, ":", line, ": ", what));
}

// One CSV record starting at `pos` (quoted fields may span lines); advances pos and line.
absl::StatusOr<std::vector<std::string>> csv_record(const std::string& text, size_t* pos,
                                                   int64_t* line, const std::string& manifest) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  const int64_t first_line = *line;
  while (*pos < text.size()) {
    const char c = text[(*pos)++];
    if (quoted) {
      if (c == '"' && *pos < text.size() && text[*pos] == '"') {
        fields.back() += '"';
        ++*pos;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++*line;
        fields.back() += c;
      }
    } else if (c == '"' && fields.back().empty()) {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '\n') {
      ++*line;
      break;
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (quoted) return line_error(manifest, first_line, "unterminated quoted field");
  return fields;
}

absl::StatusOr<std::vector<CaptionEntry>> ParseCsv(const std::string& text,
                                                   const std::string& manifest) {
  size_t pos = 0;
  int64_t line = 1;
  absl::StatusOr<std::vector<std::string>> header = csv_record(text, &pos, &line, manifest);
  if (!header.ok()) return header.status();
  const auto path_col = std::find(header->begin(), header->end(), "path") - header->begin();
  const auto caption_col = std::find(header->begin(), header->end(), "caption") - header->begin();
  if (path_col == static_cast<long>(header->size()) ||
      caption_col == static_cast<long>(header->size())) {
    return line_error(manifest, 1, "the header row must name a 'path' and a 'caption' column");
  }
  std::vector<CaptionEntry> entries;
  while (pos < text.size()) {
    const int64_t record_line = line;
    absl::StatusOr<std::vector<std::string>> fields = csv_record(text, &pos, &line, manifest);
    if (!fields.ok()) return fields.status();
    if (fields->size() == 1 && (*fields)[0].empty()) continue;  // blank line
    if (fields->size() != header->size()) {
      return line_error(manifest, record_line,
                       absl::StrCat("has ", fields->size(), " fields, the header ", header->size()));
    }
    entries.push_back({(*fields)[path_col], (*fields)[caption_col]});
  }
  return entries;
}

absl::StatusOr<std::vector<CaptionEntry>> ParseJsonLines(const std::string& text,
                                                         const std::string& manifest) {
  std::vector<CaptionEntry> entries;
  int64_t line = 0;
  for (absl::string_view row : absl::StrSplit(text, '\n')) {
    ++line;
    if (std::all_of(row.begin(), row.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); })) {
      continue;
    }
    const nlohmann::json value = nlohmann::json::parse(row.begin(), row.end(), nullptr, false);
    if (value.is_discarded() || !value.is_object() || !value.contains("path") ||
        !value.contains("caption") || !value["path"].is_string() || !value["caption"].is_string()) {
      return line_error(manifest, line, R"(expected {"path": "...", "caption": "..."})");
    }
    entries.push_back({value["path"].get<std::string>(), value["caption"].get<std::string>()});
  }
  return entries;
}

}  // namespace

absl::StatusOr<std::vector<CaptionEntry>> read_caption_manifest(const std::string& manifest) {
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadFileBytes(manifest);
  if (!bytes.ok()) return bytes.status();
  const std::string text(bytes->begin(), bytes->end());
  std::string ext = std::filesystem::path(manifest).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".csv") return ParseCsv(text, manifest);
  if (ext == ".jsonl" || ext == ".ndjson") return ParseJsonLines(text, manifest);
  return absl::InvalidArgumentError(absl::StrCat(
      "caption manifest '", manifest, "': unknown extension '", ext, "'; use .csv or .jsonl"));
}

}  // namespace tetra::data
