#include "applets/list_format.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "applets/table.h"
#include "lib/container/go_json.h"

namespace mydocker::applets {

namespace {

// `s` without the spaces (only those) at its ends, as docker trims a format.
absl::string_view TrimSpaces(absl::string_view s) {
  while (absl::ConsumePrefix(&s, " ")) {
  }
  while (absl::ConsumeSuffix(&s, " ")) {
  }
  return s;
}

}  // namespace

absl::StatusOr<ListFormat> ListFormat::Parse(absl::string_view format) {
  absl::string_view f = TrimSpaces(format);
  if (f.empty() || f == "table") return ListFormat(Kind::kDefault, std::nullopt);
  if (f == "json" || f == "{{json .}}") return ListFormat(Kind::kJson, std::nullopt);
  Kind kind = Kind::kTemplate;
  if (absl::ConsumePrefix(&f, "table")) {
    kind = Kind::kTable;
    f = TrimSpaces(f);
  }
  // As Docker's formatter (preFormat): typed escapes become the characters.
  std::string text = absl::StrReplaceAll(f, {{"\\t", "\t"}, {"\\n", "\n"}});
  absl::StatusOr<cli::GoTemplate> t = cli::GoTemplate::Parse(text);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--format: ", t.status().message()));
  }
  return ListFormat(kind, *std::move(t));
}

// A row is a Go struct to docker's templates: an unknown field is an error.
constexpr cli::GoTemplate::Options kRowOptions = {.missing_field_is_error = true,
                                                  .header = false};

absl::StatusOr<std::string> ListFormat::Render(
    const std::vector<nlohmann::ordered_json>& rows,
    const nlohmann::ordered_json& headers) const {
  std::string out;
  switch (kind_) {
    case Kind::kDefault:
      break;
    case Kind::kJson:
      for (const nlohmann::ordered_json& row : rows) {
        absl::StrAppend(&out, container::GoJsonLine(row));
      }
      break;
    case Kind::kTemplate:
      for (const nlohmann::ordered_json& row : rows) {
        absl::StatusOr<std::string> line = template_->Execute(row, kRowOptions);
        if (!line.ok()) return line.status();
        absl::StrAppend(&out, *line, "\n");
      }
      break;
    case Kind::kTable: {
      // The header and the rows, each split into cells at its tabs and
      // aligned as Docker's tabwriter aligns them. As docker, a header the
      // template cannot make is left empty.
      absl::StatusOr<std::string> header =
          template_->Execute(headers, {.missing_field_is_error = false, .header = true});
      auto cells = [](absl::string_view line) {
        return std::vector<std::string>(absl::StrSplit(line, '\t'));
      };
      std::vector<std::vector<std::string>> lines;
      for (absl::string_view l : absl::StrSplit(header.ok() ? *header : "", '\n')) {
        lines.push_back(cells(l));
      }
      for (const nlohmann::ordered_json& row : rows) {
        absl::StatusOr<std::string> text = template_->Execute(row, kRowOptions);
        if (!text.ok()) return text.status();
        for (absl::string_view l : absl::StrSplit(*text, '\n')) {
          lines.push_back(cells(l));
        }
      }
      Table table(lines.front());
      for (size_t i = 1; i < lines.size(); ++i) table.Add(std::move(lines[i]));
      out = table.Render();
      break;
    }
  }
  return out;
}

}  // namespace mydocker::applets
