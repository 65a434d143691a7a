// The --format of the listing commands (ps, images, network ls), read as
// Docker's CLI reads it:
//
//   ""  or "table"        the command's own table
//   "json", "{{json .}}"  one JSON object per row
//   "table TEMPLATE"      TEMPLATE per row, its tab-separated cells aligned
//                         as a table under a header row
//   TEMPLATE              TEMPLATE per row, each followed by a newline
//
// A row is what `--format json` prints for it, and that is what a template
// sees (lib/cli/go_template): `ps --format '{{.ID}}\t{{.Names}}'`; a field
// it does not have is an error. "\t" and "\n" typed as two characters are
// a tab and a newline, as in Docker. The header of a "table" template is
// the template run on the command's column names ({"ID": "CONTAINER ID",
// ...}), with json, upper and lower giving their argument unchanged.
//
//   ASSIGN_OR_RETURN(ListFormat f, ListFormat::Parse(format));
//   if (f.is_default()) { ...the command's table...; }
//   else ASSIGN_OR_RETURN(std::string out, f.Render(rows, headers));
#ifndef MYDOCKER_APPLETS_LIST_FORMAT_H_
#define MYDOCKER_APPLETS_LIST_FORMAT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/cli/go_template.h"
#include "nlohmann/json.hpp"

namespace mydocker::applets {

class ListFormat {
 public:
  // InvalidArgument for a template that does not parse ("--format: ...").
  static absl::StatusOr<ListFormat> Parse(absl::string_view format);

  // The command's own table.
  bool is_default() const { return kind_ == Kind::kDefault; }

  // The output for `rows`; `headers` maps each field to its column name
  // (for "table TEMPLATE"). An error from running the template names it.
  absl::StatusOr<std::string> Render(
      const std::vector<nlohmann::ordered_json>& rows,
      const nlohmann::ordered_json& headers) const;

 private:
  enum class Kind { kDefault, kJson, kTable, kTemplate };
  ListFormat(Kind kind, std::optional<cli::GoTemplate> t)
      : kind_(kind), template_(std::move(t)) {}

  Kind kind_;
  std::optional<cli::GoTemplate> template_;
};

}  // namespace mydocker::applets

#endif  // MYDOCKER_APPLETS_LIST_FORMAT_H_
