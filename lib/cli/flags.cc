#include "lib/cli/flags.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/status_macros.h"

namespace mydocker::cli {
namespace {

std::string Dashed(absl::string_view name) {
  return absl::StrCat(name.size() == 1 ? "-" : "--", name);
}

}  // namespace

void FlagSet::Add(absl::string_view names, absl::string_view help,
                  absl::string_view value_name,
                  std::function<absl::Status(absl::string_view)> set) {
  Flag flag;
  flag.names = absl::StrSplit(names, ',', absl::SkipEmpty());
  flag.help = std::string(help);
  flag.value_name = std::string(value_name);
  flag.set = std::move(set);
  // A name declared again belongs to the later flag: an applet's own -h
  // (run's --hostname) or -l (--label) wins over the common -h/--help and
  // -l/--log-level, which keep their long spellings.
  for (Flag& earlier : flags_) {
    std::erase_if(earlier.names, [&](const std::string& n) {
      return std::find(flag.names.begin(), flag.names.end(), n) != flag.names.end();
    });
  }
  flags_.push_back(std::move(flag));
}

void FlagSet::Bool(absl::string_view names, bool* out,
                   absl::string_view help) {
  Add(names, help, "", [out](absl::string_view v) -> absl::Status {
    if (v == "true" || v == "1") {
      *out = true;
    } else if (v == "false" || v == "0") {
      *out = false;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", v, "\" is not true or false"));
    }
    return absl::OkStatus();
  });
}

void FlagSet::String(absl::string_view names, std::string* out,
                     absl::string_view help, absl::string_view value_name) {
  Add(names, help, value_name, [out](absl::string_view v) {
    *out = std::string(v);
    return absl::OkStatus();
  });
}

void FlagSet::StringList(absl::string_view names,
                         std::vector<std::string>* out, absl::string_view help,
                         absl::string_view value_name) {
  Add(names, help, value_name, [out](absl::string_view v) {
    out->emplace_back(v);
    return absl::OkStatus();
  });
}

void FlagSet::Int(absl::string_view names, int64_t* out,
                  absl::string_view help) {
  Add(names, help, "int", [out](absl::string_view v) -> absl::Status {
    if (!absl::SimpleAtoi(v, out)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", v, "\" is not an integer"));
    }
    return absl::OkStatus();
  });
}

void FlagSet::Custom(absl::string_view names, absl::string_view help,
                     absl::string_view value_name,
                     std::function<absl::Status(absl::string_view)> set) {
  Add(names, help, value_name, std::move(set));
}

void FlagSet::Hide(absl::string_view name) {
  if (Flag* f = Find(name)) f->hidden = true;
}

FlagSet::Flag* FlagSet::Find(absl::string_view name) {
  for (Flag& f : flags_) {
    if (std::find(f.names.begin(), f.names.end(), name) != f.names.end()) {
      return &f;
    }
  }
  return nullptr;
}

absl::Status FlagSet::Apply(Flag& flag, absl::string_view spelled,
                            absl::string_view value) {
  absl::Status s = flag.set(value);
  if (s.ok()) return s;
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid value for ", spelled, ": ", s.message()));
}

absl::StatusOr<std::vector<std::string>> FlagSet::Parse(
    absl::Span<const std::string> args) {
  std::vector<std::string> positional;
  auto unknown = [&](absl::string_view spelled) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown flag: ", spelled));
  };
  auto missing = [&](absl::string_view spelled) {
    return absl::InvalidArgumentError(
        absl::StrCat("flag needs an argument: ", spelled));
  };

  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--") {
      positional.insert(positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {  // "-" alone is a positional too.
      positional.emplace_back(arg);
      if (!interspersed_) {
        positional.insert(positional.end(), args.begin() + i + 1, args.end());
        break;
      }
      continue;
    }

    // A long flag: "--name", "--name=value", or the original tool's
    // single-dash "-name" when "name" is a long flag of ours.
    bool double_dash = arg[1] == '-';
    absl::string_view body = arg.substr(double_dash ? 2 : 1);
    absl::string_view name = body.substr(0, body.find('='));
    if (double_dash || (name.size() > 1 && Find(name) != nullptr)) {
      Flag* flag = Find(name);
      if (flag == nullptr || name.size() == 1) return unknown(arg);
      std::string spelled = absl::StrCat(double_dash ? "--" : "-", name);
      if (name.size() < body.size()) {  // "--name=value"
        RETURN_IF_ERROR(Apply(*flag, spelled, body.substr(name.size() + 1)));
      } else if (flag->value_name.empty()) {
        RETURN_IF_ERROR(Apply(*flag, spelled, "true"));
      } else {
        if (i + 1 >= args.size()) return missing(spelled);
        RETURN_IF_ERROR(Apply(*flag, spelled, args[++i]));
      }
      continue;
    }

    // A cluster of short flags: "-it", "-p8080:80", "-dp 80:80".
    for (size_t j = 1; j < arg.size(); ++j) {
      std::string spelled = absl::StrCat("-", arg.substr(j, 1));
      Flag* flag = Find(arg.substr(j, 1));
      if (flag == nullptr) return unknown(spelled);
      if (flag->value_name.empty()) {
        RETURN_IF_ERROR(Apply(*flag, spelled, "true"));
        continue;
      }
      absl::string_view rest = arg.substr(j + 1);
      if (!rest.empty() && rest[0] == '=') rest.remove_prefix(1);
      if (!rest.empty()) {
        RETURN_IF_ERROR(Apply(*flag, spelled, rest));
      } else {
        if (i + 1 >= args.size()) return missing(spelled);
        RETURN_IF_ERROR(Apply(*flag, spelled, args[++i]));
      }
      break;
    }
  }
  return positional;
}

std::string FlagSet::Usage() const {
  std::vector<std::pair<std::string, std::string>> rows;
  size_t width = 0;
  for (const Flag& f : flags_) {
    if (f.hidden) continue;
    std::string shorts, longs;
    for (const std::string& n : f.names) {
      std::string& slot = n.size() == 1 ? shorts : longs;
      if (slot.empty()) slot = Dashed(n);  // The first spelling is canonical.
    }
    std::string left = shorts.empty() ? absl::StrCat("    ", longs)
                       : longs.empty() ? shorts
                                       : absl::StrCat(shorts, ", ", longs);
    if (!f.value_name.empty()) absl::StrAppend(&left, " ", f.value_name);
    width = std::max(width, left.size());
    rows.emplace_back(std::move(left), f.help);
  }
  std::string out;
  for (const auto& [left, help] : rows) {
    absl::StrAppend(&out, "  ", left, std::string(width - left.size() + 3, ' '),
                    help, "\n");
  }
  return out;
}

}  // namespace mydocker::cli
