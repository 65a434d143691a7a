#include "lib/spec/env.h"

#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"

namespace mydocker::spec {
namespace {

constexpr size_t kMaxEnvFileBytes = 16 << 20;

// Go's unicode.IsSpace for the ASCII range (what matters in env files):
// \t \n \v \f \r and space.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
         c == '\r';
}

bool ValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra;  // Continuation bytes after the lead byte.
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i - 1 < extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
        (extra == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

absl::Status BadKey(absl::string_view msg) {
  return absl::InvalidArgumentError(
      absl::StrCat("poorly formatted environment: ", msg));
}

}  // namespace

EnvLookup ProcessEnvLookup() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

absl::string_view EnvKey(absl::string_view entry) {
  return entry.substr(0, entry.find('='));
}

absl::StatusOr<std::string> ExpandEnvFlag(absl::string_view value,
                                          const EnvLookup& lookup) {
  absl::string_view key = EnvKey(value);
  if (key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid environment variable: ", value));
  }
  if (key.size() < value.size()) return std::string(value);
  if (lookup) {
    if (std::optional<std::string> v = lookup(std::string(key))) {
      return absl::StrCat(key, "=", *v);
    }
  }
  return std::string(value);
}

absl::StatusOr<std::vector<std::string>> ParseEnvFile(
    absl::string_view contents, absl::string_view name,
    const EnvLookup& lookup) {
  std::vector<std::string> out;
  int line_no = 0;
  for (absl::string_view raw : absl::StrSplit(contents, '\n')) {
    ++line_no;
    // bufio.ScanLines: a final empty piece is not a line; "\r\n" is a
    // line ending.
    if (raw.empty() && raw.data() == contents.data() + contents.size()) break;
    absl::ConsumeSuffix(&raw, "\r");
    if (!ValidUtf8(raw)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "env file ", name, " contains invalid utf8 bytes at line ", line_no));
    }
    if (line_no == 1) absl::ConsumePrefix(&raw, "\xEF\xBB\xBF");
    while (!raw.empty() && IsSpace(raw.front())) raw.remove_prefix(1);
    if (raw.empty() || raw[0] == '#') continue;

    size_t eq = raw.find('=');
    absl::string_view variable = raw.substr(0, eq);
    // The key was already left-trimmed with the line.
    for (char c : variable) {
      if (c == ' ' || c == '\t') {
        return BadKey(
            absl::StrCat("variable '", variable, "' contains whitespaces"));
      }
    }
    if (variable.empty()) {
      return BadKey(absl::StrCat("no variable name on line '", raw, "'"));
    }
    if (eq != absl::string_view::npos) {
      out.push_back(absl::StrCat(variable, "=", raw.substr(eq + 1)));
    } else if (lookup) {
      if (std::optional<std::string> v = lookup(std::string(raw))) {
        out.push_back(absl::StrCat(absl::StripAsciiWhitespace(raw), "=", *v));
      }
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ReadEnvFile(const std::string& path,
                                                     const EnvLookup& lookup) {
  ASSIGN_OR_RETURN(std::string contents,
                   base::ReadFile(path, kMaxEnvFileBytes));
  return ParseEnvFile(contents, path, lookup);
}

std::vector<std::string> MergeImageEnv(const std::vector<std::string>& user,
                                       const std::vector<std::string>& image) {
  std::set<absl::string_view> user_keys;
  for (const std::string& e : user) user_keys.insert(EnvKey(e));
  std::vector<std::string> out = user;
  for (const std::string& e : image) {
    if (!user_keys.count(EnvKey(e))) out.push_back(e);
  }
  return out;
}

std::vector<std::string> ReplaceOrAppendEnv(
    std::vector<std::string> defaults,
    const std::vector<std::string>& overrides) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < defaults.size(); ++i) {
    index.emplace(std::string(EnvKey(defaults[i])), i);
  }
  std::vector<bool> removed(defaults.size(), false);
  for (const std::string& value : overrides) {
    std::string key(EnvKey(value));
    auto it = index.find(key);
    if (key.size() == value.size()) {  // A bare "K": unset K.
      if (it != index.end()) removed[it->second] = true;
      continue;
    }
    if (it != index.end()) {
      defaults[it->second] = value;
      removed[it->second] = false;
    } else {
      index.emplace(key, defaults.size());
      defaults.push_back(value);
      removed.push_back(false);
    }
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < defaults.size(); ++i) {
    if (!removed[i]) out.push_back(std::move(defaults[i]));
  }
  return out;
}

}  // namespace mydocker::spec
