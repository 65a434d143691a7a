// The part of Go's text/template that `docker inspect -f` and `--format`
// are used with, applied to a JSON value (what Docker's templates see is
// the same data as its JSON output):
//
//   {{.NetworkSettings.IPAddress}}          a field path ("." is the value)
//   {{json .Config.ExposedPorts}}           the value as Go's JSON
//   {{index .Config.Labels "maintainer"}}   a map entry or array element
//   {{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}
//                                            each element (a map's in key
//                                            order), as "." inside
//   {{range $k, $v := .Ports}}{{$k}} {{end}} with variables for key/value
//   {{println ...}}, {{len .X}}, {{upper .X}}, {{lower .X}}
//   {{if .X}}...{{else}}...{{end}}          Go's truthiness (non-empty)
//
// Values print as Go prints them: strings bare, numbers and booleans as
// text, a missing field as "<no value>", maps as map[k:v ...], arrays as
// [a b]. Anything else (pipelines, other functions) is InvalidArgument
// naming the action, at parse time.
//
//   ASSIGN_OR_RETURN(GoTemplate t, GoTemplate::Parse("{{.Id}}"));
//   ASSIGN_OR_RETURN(std::string out, t.Execute(inspect_json));
#ifndef MYDOCKER_LIB_CLI_GO_TEMPLATE_H_
#define MYDOCKER_LIB_CLI_GO_TEMPLATE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace mydocker::cli {

class GoTemplate {
 public:
  static absl::StatusOr<GoTemplate> Parse(absl::string_view text);

  struct Options {
    // As with docker's listings, whose rows are Go structs: a field that is
    // not there is an error, not "<no value>".
    bool missing_field_is_error = false;
    // The header row of a `--format 'table ...'`: json, upper and lower
    // give their argument unchanged (docker's HeaderFunctions).
    bool header = false;
  };
  absl::StatusOr<std::string> Execute(const nlohmann::ordered_json& data) const {
    return Execute(data, Options());
  }
  absl::StatusOr<std::string> Execute(const nlohmann::ordered_json& data,
                                      const Options& options) const;

  struct Node;  // Parsed form (go_template.cc).
  GoTemplate(GoTemplate&&) noexcept;
  GoTemplate& operator=(GoTemplate&&) noexcept;
  ~GoTemplate();

 private:
  GoTemplate();
  std::vector<std::unique_ptr<Node>> nodes_;
};

}  // namespace mydocker::cli

#endif  // MYDOCKER_LIB_CLI_GO_TEMPLATE_H_
