#include "lib/registry/challenge.h"

#include "absl/strings/ascii.h"

namespace mydocker::registry {
namespace {

// RFC 7230 tchar.
bool IsTokenChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
    case '+': case '-': case '.': case '^': case '_': case '`': case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

class Scanner {
 public:
  explicit Scanner(absl::string_view s) : s_(s) {}

  bool AtEnd() const { return i_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[i_]; }
  void SkipSpace() {
    while (!AtEnd() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  bool Consume(char c) {
    SkipSpace();
    if (Peek() != c) return false;
    ++i_;
    return true;
  }
  // token68 is a superset of token for the characters we care about ('/',
  // '=' padding); accept it where a token is expected in a value.
  std::string Token(bool token68 = false) {
    SkipSpace();
    size_t start = i_;
    while (!AtEnd() && (IsTokenChar(s_[i_]) || (token68 && s_[i_] == '/'))) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }
  // A quoted-string, with backslash escapes; false if unterminated.
  bool Quoted(std::string* out) {
    SkipSpace();
    if (Peek() != '"') return false;
    ++i_;
    out->clear();
    while (!AtEnd()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (c == '\\' && !AtEnd()) c = s_[i_++];
      out->push_back(c);
    }
    return false;
  }
  size_t pos() const { return i_; }
  void set_pos(size_t p) { i_ = p; }

 private:
  absl::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::string Challenge::Param(absl::string_view name) const {
  auto it = params.find(std::string(name));
  return it == params.end() ? "" : it->second;
}

std::vector<Challenge> ParseChallenges(absl::string_view header) {
  std::vector<Challenge> out;
  Scanner sc(header);
  while (!sc.AtEnd()) {
    while (sc.Consume(',')) {
    }
    std::string scheme = sc.Token();
    if (scheme.empty()) break;
    Challenge ch;
    ch.scheme = absl::AsciiStrToLower(scheme);
    // auth-params: name = (token | quoted-string), separated by commas. A
    // name not followed by '=' starts the next challenge.
    for (;;) {
      size_t mark = sc.pos();
      std::string name = sc.Token();
      if (name.empty() || !sc.Consume('=')) {
        sc.set_pos(mark);
        break;
      }
      std::string value;
      sc.SkipSpace();
      if (sc.Peek() == '"') {
        if (!sc.Quoted(&value)) break;
      } else {
        value = sc.Token(/*token68=*/true);
      }
      ch.params[absl::AsciiStrToLower(name)] = value;
      if (!sc.Consume(',')) break;
    }
    out.push_back(std::move(ch));
    sc.SkipSpace();
    if (!sc.AtEnd() && !IsTokenChar(sc.Peek()) && sc.Peek() != ',') break;
  }
  return out;
}

}  // namespace mydocker::registry
