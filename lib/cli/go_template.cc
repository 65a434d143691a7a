#include "lib/cli/go_template.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/status_macros.h"
#include "lib/container/go_json.h"

namespace mydocker::cli {

using Json = nlohmann::ordered_json;

namespace {

absl::Status Bad(absl::string_view action, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("template: {{", action, "}}: ", why));
}

// An operand: a field path from "." or from a variable, or a literal.
struct Operand {
  enum Kind { kPath, kString, kNumber } kind = kPath;
  std::string var;                  // "" = ".", else the variable's name
  std::vector<std::string> fields;  // .A.B -> {"A", "B"}
  std::string literal;
};

// One action's words: an optional function, then operands.
struct Command {
  std::string func;  // "", "json", "index", "len", "upper", "lower", "println"
  std::vector<Operand> args;
};

}  // namespace

struct GoTemplate::Node {
  enum Kind { kText, kPrint, kRange, kIf } kind = kText;
  std::string text;
  Command cmd;
  std::string key_var, value_var;  // range $k, $v :=
  std::vector<std::unique_ptr<Node>> body, else_body;
};

namespace {

using Node = GoTemplate::Node;
using Nodes = std::vector<std::unique_ptr<Node>>;

// Words of an action, keeping "quoted strings" whole.
absl::StatusOr<std::vector<std::string>> Words(absl::string_view action) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < action.size()) {
    if (absl::ascii_isspace(action[i])) {
      ++i;
      continue;
    }
    if (action[i] == '"') {
      std::string s = "\"";
      size_t j = i + 1;
      for (; j < action.size() && action[j] != '"'; ++j) {
        if (action[j] == '\\' && j + 1 < action.size()) ++j;
        s += action[j];
      }
      if (j >= action.size()) return Bad(action, "unterminated string");
      out.push_back(s + "\"");
      i = j + 1;
      continue;
    }
    size_t j = i;
    while (j < action.size() && !absl::ascii_isspace(action[j])) ++j;
    out.emplace_back(action.substr(i, j - i));
    i = j;
  }
  return out;
}

absl::StatusOr<Operand> ParseOperand(absl::string_view action,
                                     const std::string& w) {
  Operand o;
  if (w.size() >= 2 && w.front() == '"') {
    o.kind = Operand::kString;
    o.literal = w.substr(1, w.size() - 2);
    return o;
  }
  if (absl::ascii_isdigit(w[0]) || w[0] == '-') {
    o.kind = Operand::kNumber;
    o.literal = w;
    return o;
  }
  absl::string_view rest = w;
  if (rest[0] == '$') {
    size_t dot = rest.find('.');
    o.var = std::string(rest.substr(0, dot));
    rest = dot == absl::string_view::npos ? "" : rest.substr(dot);
  } else if (rest[0] != '.') {
    return Bad(action, absl::StrCat("function \"", w, "\" not supported"));
  }
  if (rest == ".") return o;
  for (absl::string_view f : absl::StrSplit(rest, '.')) {
    if (f.empty()) continue;
    o.fields.emplace_back(f);
  }
  return o;
}

absl::StatusOr<Command> ParseCommand(absl::string_view action,
                                     const std::vector<std::string>& words) {
  Command c;
  size_t i = 0;
  static constexpr absl::string_view kFuncs[] = {"json", "index", "len",
                                                 "upper", "lower", "println"};
  if (!words.empty() && std::find(std::begin(kFuncs), std::end(kFuncs),
                                  words[0]) != std::end(kFuncs)) {
    c.func = words[0];
    i = 1;
  }
  for (; i < words.size(); ++i) {
    if (words[i] == "|") return Bad(action, "pipelines are not supported");
    ASSIGN_OR_RETURN(Operand o, ParseOperand(action, words[i]));
    c.args.push_back(std::move(o));
  }
  if (c.func.empty() && c.args.size() != 1) {
    return Bad(action, c.args.empty() ? "empty action" : "too many operands");
  }
  if ((c.func == "json" || c.func == "len" || c.func == "upper" ||
       c.func == "lower") &&
      c.args.size() != 1) {
    return Bad(action, absl::StrCat(c.func, " takes one argument"));
  }
  if (c.func == "index" && c.args.size() < 2) {
    return Bad(action, "index takes a value and at least one key");
  }
  return c;
}

struct Parser {
  absl::string_view text;
  size_t pos = 0;

  // Parses nodes until {{end}} / {{else}} (returned in `stop`) or the end.
  absl::Status ParseList(Nodes& out, std::string* stop) {
    while (pos < text.size()) {
      size_t open = text.find("{{", pos);
      std::string literal(text.substr(
          pos, open == absl::string_view::npos ? absl::string_view::npos : open - pos));
      if (open == absl::string_view::npos) {
        pos = text.size();
      } else {
        pos = open + 2;
      }
      // "{{- " trims the space before, " -}}" the space after.
      bool trim_left = open != absl::string_view::npos && pos + 1 < text.size() &&
                       text[pos] == '-' && absl::ascii_isspace(text[pos + 1]);
      if (trim_left) {
        ++pos;
        literal = std::string(absl::StripTrailingAsciiWhitespace(literal));
      }
      if (!literal.empty()) {
        auto n = std::make_unique<Node>();
        n->text = std::move(literal);
        out.push_back(std::move(n));
      }
      if (open == absl::string_view::npos) break;
      size_t close = text.find("}}", pos);
      if (close == absl::string_view::npos) {
        return absl::InvalidArgumentError(absl::StrCat(
            "template: unclosed action: ", text.substr(open, 22)));
      }
      absl::string_view action = text.substr(pos, close - pos);
      pos = close + 2;
      if (action.size() >= 2 && absl::EndsWith(action, "-") &&
          absl::ascii_isspace(action[action.size() - 2])) {
        action.remove_suffix(1);
        while (pos < text.size() && absl::ascii_isspace(text[pos])) ++pos;
      }
      action = absl::StripAsciiWhitespace(action);
      ASSIGN_OR_RETURN(std::vector<std::string> words, Words(action));
      if (words.empty()) return Bad(action, "empty action");
      if (words[0] == "end" || words[0] == "else") {
        if (!stop) return Bad(action, "unexpected");
        *stop = words[0];
        return absl::OkStatus();
      }
      auto n = std::make_unique<Node>();
      if (words[0] == "range" || words[0] == "if") {
        n->kind = words[0] == "range" ? Node::kRange : Node::kIf;
        std::vector<std::string> rest(words.begin() + 1, words.end());
        if (n->kind == Node::kRange) {
          auto assign = std::find(rest.begin(), rest.end(), ":=");
          if (assign != rest.end()) {
            std::vector<std::string> vars(rest.begin(), assign);
            if (vars.size() == 2 && absl::EndsWith(vars[0], ",")) {
              n->key_var = vars[0].substr(0, vars[0].size() - 1);
              n->value_var = vars[1];
            } else if (vars.size() == 1) {
              n->value_var = vars[0];
            } else {
              return Bad(action, "bad range variables");
            }
            rest.erase(rest.begin(), assign + 1);
          }
        }
        ASSIGN_OR_RETURN(n->cmd, ParseCommand(action, rest));
        std::string ended;
        RETURN_IF_ERROR(ParseList(n->body, &ended));
        if (ended == "else") {
          ended.clear();
          RETURN_IF_ERROR(ParseList(n->else_body, &ended));
        }
        if (ended != "end") return Bad(action, "missing {{end}}");
      } else {
        n->kind = Node::kPrint;
        ASSIGN_OR_RETURN(n->cmd, ParseCommand(action, words));
      }
      out.push_back(std::move(n));
    }
    if (stop) *stop = "";
    return absl::OkStatus();
  }
};

// A value during execution: missing (a field that is not there) or JSON.
struct Value {
  bool missing = false;
  Json json;
};

std::vector<std::string> SortedKeys(const Json& j) {
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  std::sort(keys.begin(), keys.end());
  return keys;
}

// Go's %v.
std::string Print(const Value& v) {
  if (v.missing) return "<no value>";
  const Json& j = v.json;
  switch (j.type()) {
    case Json::value_t::null:
      return "<nil>";
    case Json::value_t::string:
      return j.get<std::string>();
    case Json::value_t::boolean:
      return j.get<bool>() ? "true" : "false";
    case Json::value_t::array: {
      std::vector<std::string> parts;
      for (const Json& e : j) parts.push_back(Print({false, e}));
      return absl::StrCat("[", absl::StrJoin(parts, " "), "]");
    }
    case Json::value_t::object: {
      std::vector<std::string> parts;
      for (const std::string& k : SortedKeys(j)) {
        parts.push_back(absl::StrCat(k, ":", Print({false, j[k]})));
      }
      return absl::StrCat("map[", absl::StrJoin(parts, " "), "]");
    }
    default:
      return j.dump();
  }
}

bool Truthy(const Value& v) {
  if (v.missing) return false;
  const Json& j = v.json;
  switch (j.type()) {
    case Json::value_t::null:
      return false;
    case Json::value_t::boolean:
      return j.get<bool>();
    case Json::value_t::string:
      return !j.get_ref<const std::string&>().empty();
    case Json::value_t::array:
    case Json::value_t::object:
      return !j.empty();
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return j.get<int64_t>() != 0;
    case Json::value_t::number_float:
      return j.get<double>() != 0;
    default:
      return true;
  }
}

struct Scope {
  Json dot;
  std::map<std::string, Json> vars;
  const GoTemplate::Options* options;
};

absl::StatusOr<Value> Eval(const Operand& o, const Scope& s) {
  if (o.kind == Operand::kString) return Value{false, Json(o.literal)};
  if (o.kind == Operand::kNumber) {
    int64_t n;
    if (absl::SimpleAtoi(o.literal, &n)) return Value{false, Json(n)};
    return Value{false, Json(o.literal)};
  }
  Value v;
  if (o.var.empty()) {
    v.json = s.dot;
  } else {
    auto it = s.vars.find(o.var);
    if (it == s.vars.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("template: undefined variable ", o.var));
    }
    v.json = it->second;
  }
  for (const std::string& f : o.fields) {
    if (v.missing || v.json.is_null()) return Value{true, {}};
    if (!v.json.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "template: can't evaluate field ", f, " in a ", v.json.type_name()));
    }
    auto it = v.json.find(f);
    if (it == v.json.end()) {
      if (s.options->missing_field_is_error) {
        return absl::InvalidArgumentError(
            absl::StrCat("template: can't evaluate field ", f));
      }
      return Value{true, {}};
    }
    Json next = *it;
    v.json = std::move(next);
  }
  return v;
}

absl::StatusOr<Value> Run(const Command& c, const Scope& s) {
  std::vector<Value> args;
  for (const Operand& o : c.args) {
    ASSIGN_OR_RETURN(Value v, Eval(o, s));
    args.push_back(std::move(v));
  }
  if (c.func.empty()) return args[0];
  if (s.options->header &&
      (c.func == "json" || c.func == "upper" || c.func == "lower")) {
    return args[0];
  }
  if (c.func == "json") {
    return Value{false, Json(args[0].missing ? "null" : container::GoJson(args[0].json))};
  }
  if (c.func == "len") {
    const Json& j = args[0].json;
    if (j.is_string()) return Value{false, Json(j.get<std::string>().size())};
    if (j.is_array() || j.is_object()) return Value{false, Json(j.size())};
    return absl::InvalidArgumentError("template: len of a value without length");
  }
  if (c.func == "upper" || c.func == "lower") {
    std::string t = Print(args[0]);
    return Value{false, Json(c.func == "upper" ? absl::AsciiStrToUpper(t)
                                               : absl::AsciiStrToLower(t))};
  }
  if (c.func == "println") {
    std::vector<std::string> parts;
    for (const Value& v : args) parts.push_back(Print(v));
    return Value{false, Json(absl::StrJoin(parts, " ") + "\n")};
  }
  // index
  Value v = args[0];
  for (size_t i = 1; i < args.size(); ++i) {
    if (v.missing || v.json.is_null()) return Value{true, {}};
    const Json& key = args[i].json;
    if (v.json.is_object() && key.is_string()) {
      auto it = v.json.find(key.get<std::string>());
      if (it == v.json.end()) return Value{true, {}};
      Json next = *it;
      v.json = std::move(next);
    } else if (v.json.is_array() && key.is_number_integer()) {
      int64_t n = key.get<int64_t>();
      if (n < 0 || static_cast<size_t>(n) >= v.json.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("template: index ", n, " out of range"));
      }
      Json next = v.json[n];
      v.json = std::move(next);
    } else {
      return absl::InvalidArgumentError("template: cannot index that value");
    }
  }
  return v;
}

absl::Status Exec(const Nodes& nodes, Scope& s, std::string& out) {
  for (const auto& n : nodes) {
    switch (n->kind) {
      case Node::kText:
        out += n->text;
        break;
      case Node::kPrint: {
        ASSIGN_OR_RETURN(Value v, Run(n->cmd, s));
        out += Print(v);
        break;
      }
      case Node::kIf: {
        ASSIGN_OR_RETURN(Value v, Run(n->cmd, s));
        RETURN_IF_ERROR(Exec(Truthy(v) ? n->body : n->else_body, s, out));
        break;
      }
      case Node::kRange: {
        ASSIGN_OR_RETURN(Value v, Run(n->cmd, s));
        std::vector<std::pair<Json, Json>> items;  // key, value
        if (!v.missing && v.json.is_object()) {
          for (const std::string& k : SortedKeys(v.json)) {
            items.emplace_back(Json(k), v.json[k]);
          }
        } else if (!v.missing && v.json.is_array()) {
          for (size_t i = 0; i < v.json.size(); ++i) {
            items.emplace_back(Json(i), v.json[i]);
          }
        } else if (!v.missing && !v.json.is_null()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "template: range can't iterate over a ", v.json.type_name()));
        }
        if (items.empty()) {
          RETURN_IF_ERROR(Exec(n->else_body, s, out));
          break;
        }
        for (auto& [k, e] : items) {
          Scope inner = s;
          inner.dot = e;
          if (!n->key_var.empty()) inner.vars[n->key_var] = k;
          if (!n->value_var.empty()) inner.vars[n->value_var] = e;
          RETURN_IF_ERROR(Exec(n->body, inner, out));
        }
        break;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

GoTemplate::GoTemplate() = default;
GoTemplate::GoTemplate(GoTemplate&&) noexcept = default;
GoTemplate& GoTemplate::operator=(GoTemplate&&) noexcept = default;
GoTemplate::~GoTemplate() = default;

absl::StatusOr<GoTemplate> GoTemplate::Parse(absl::string_view text) {
  GoTemplate t;
  Parser p{text};
  RETURN_IF_ERROR(p.ParseList(t.nodes_, nullptr));
  return t;
}

absl::StatusOr<std::string> GoTemplate::Execute(const Json& data,
                                                const Options& options) const {
  Scope s;
  s.dot = data;
  s.vars["$"] = data;
  s.options = &options;
  std::string out;
  RETURN_IF_ERROR(Exec(nodes_, s, out));
  return out;
}

}  // namespace mydocker::cli
