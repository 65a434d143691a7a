#include "lib/reference/grammar.h"

#include <algorithm>
#include <cstddef>

#include "absl/strings/string_view.h"

namespace mydocker::reference::internal {
namespace {

// ASCII only, on purpose: <cctype> would consult the locale, and a byte >= 0x80
// must fail as it does in RE2's Latin-1 mode.
constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
constexpr bool IsAlpha(char c) { return IsLower(c) || (c >= 'A' && c <= 'Z'); }
constexpr bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
constexpr bool IsLowerAlnum(char c) { return IsLower(c) || IsDigit(c); }
constexpr bool IsHex(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr bool IsLowerHex(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f');
}

// Index of the first byte at or after `i` that fails `pred`.
template <typename Pred>
size_t Span(absl::string_view s, size_t i, Pred pred) {
  while (i < s.size() && pred(s[i])) ++i;
  return i;
}

// (?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])
bool IsHostLabel(absl::string_view s) {
  return !s.empty() && IsAlnum(s.front()) && IsAlnum(s.back()) &&
         Span(s, 0, [](char c) { return IsAlnum(c) || c == '-'; }) == s.size();
}

// label(?:\.label)*
bool IsHostName(absl::string_view s) {
  for (;;) {
    size_t dot = s.find('.');
    if (!IsHostLabel(s.substr(0, dot))) return false;
    if (dot == absl::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

// \[[a-fA-F0-9:]+\]
bool IsBracketedAddress(absl::string_view s) {
  return s.size() >= 3 && s.front() == '[' && s.back() == ']' &&
         Span(s, 1, [](char c) { return IsHex(c) || c == ':'; }) ==
             s.size() - 1;
}

// (?::[0-9]+)?
bool IsOptionalPort(absl::string_view s) {
  return s.empty() ||
         (s.size() >= 2 && s.front() == ':' && Span(s, 1, IsDigit) == s.size());
}

// [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*
bool IsDigestAlgorithm(absl::string_view s) {
  size_t i = 0;
  for (;;) {
    if (i == s.size() || !IsAlpha(s[i])) return false;
    i = Span(s, i + 1, IsAlnum);
    if (i == s.size()) return true;
    const char c = s[i];
    if (c != '-' && c != '_' && c != '+' && c != '.') return false;
    ++i;
  }
}

}  // namespace

// [a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*
bool IsPathComponent(absl::string_view s) {
  size_t i = Span(s, 0, IsLowerAlnum);
  if (i == 0) return false;
  while (i < s.size()) {
    // The separator is the whole run up to the next alphanumeric: an
    // alternative that stopped short would leave a separator byte where
    // [a-z0-9]+ must start.
    if (s[i] == '-') {
      i = Span(s, i, [](char c) { return c == '-'; });
    } else if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < s.size() && s[i] == '_') ++i;
    } else {
      return false;
    }
    const size_t word = i;
    i = Span(s, i, IsLowerAlnum);
    if (i == word) return false;
  }
  return true;
}

// (?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?
bool IsDomain(absl::string_view s) {
  // A host name has no ':' and a bracketed address no ']', so the host ends
  // at the first ':' or just after the first ']'.
  size_t host_end;
  if (!s.empty() && s.front() == '[') {
    host_end = s.find(']');
    if (host_end == absl::string_view::npos) return false;
    ++host_end;
    if (!IsBracketedAddress(s.substr(0, host_end))) return false;
  } else {
    host_end = s.find(':');
    if (!IsHostName(s.substr(0, host_end))) return false;
  }
  return IsOptionalPort(s.substr(std::min(host_end, s.size())));
}

// [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
bool IsTag(absl::string_view s) {
  constexpr size_t kMaxLength = 128;
  if (s.empty() || s.size() > kMaxLength) return false;
  if (!IsAlnum(s[0]) && s[0] != '_') return false;
  return Span(s, 1, [](char c) {
           return IsAlnum(c) || c == '_' || c == '.' || c == '-';
         }) == s.size();
}

// [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}
bool IsDigestShape(absl::string_view s) {
  constexpr size_t kMinHexLength = 32;
  // Neither the algorithm nor the hex has a ':'.
  const size_t colon = s.find(':');
  if (colon == absl::string_view::npos) return false;
  absl::string_view hex = s.substr(colon + 1);
  return IsDigestAlgorithm(s.substr(0, colon)) && hex.size() >= kMinHexLength &&
         Span(hex, 0, IsHex) == hex.size();
}

// [a-f0-9]{64}
bool IsIdentifier(absl::string_view s) {
  constexpr size_t kLength = 64;
  return s.size() == kLength && Span(s, 0, IsLowerHex) == kLength;
}

}  // namespace mydocker::reference::internal
