#include "lib/container/go_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace mydocker::container {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Go's float64 encoding (encoding/json floatEncoder): 'f' format with the
// shortest digits, or 'e' when the magnitude is < 1e-6 or >= 1e21, with the
// exponent's leading zero dropped ("1e-07" -> "1e-7").
void AppendGoFloat(double f, std::string* out) {
  if (!std::isfinite(f)) {
    out->append("null");
    return;
  }
  char buf[64];
  const double a = std::fabs(f);
  const bool exp_form = a != 0 && (a < 1e-6 || a >= 1e21);
  std::to_chars_result r = std::to_chars(
      buf, buf + sizeof(buf), f,
      exp_form ? std::chars_format::scientific : std::chars_format::fixed);
  std::string s(buf, r.ptr);
  // Go drops the zero of a one-digit negative exponent only: "1e-07" ->
  // "1e-7", but "1e+21" stays.
  const size_t n = s.size();
  if (exp_form && n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' &&
      s[n - 2] == '0') {
    s.erase(n - 2, 1);
  }
  out->append(s);
}

void Append(const nlohmann::ordered_json& v, std::string* out) {
  using T = nlohmann::ordered_json::value_t;
  switch (v.type()) {
    case T::null:
    case T::discarded:
    case T::binary:
      out->append("null");
      return;
    case T::boolean:
      out->append(v.get<bool>() ? "true" : "false");
      return;
    case T::number_integer:
      absl::StrAppend(out, v.get<int64_t>());
      return;
    case T::number_unsigned:
      absl::StrAppend(out, v.get<uint64_t>());
      return;
    case T::number_float:
      AppendGoFloat(v.get<double>(), out);
      return;
    case T::string:
      AppendGoJsonString(v.get_ref<const std::string&>(), out);
      return;
    case T::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& e : v) {
        if (!first) out->push_back(',');
        first = false;
        Append(e, out);
      }
      out->push_back(']');
      return;
    }
    case T::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, value] : v.items()) {
        if (!first) out->push_back(',');
        first = false;
        AppendGoJsonString(key, out);
        out->push_back(':');
        Append(value, out);
      }
      out->push_back('}');
      return;
    }
  }
  out->append("null");
}

}  // namespace

int32_t DecodeRune(absl::string_view s, size_t* len) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  *len = 1;
  if (c < 0x80) return c;
  size_t n;
  unsigned char lo = 0x80, hi = 0xbf;  // Allowed range of the second byte.
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;  // No surrogates.
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;  // Nothing above U+10FFFF.
  } else {
    return -1;
  }
  if (s.size() < n || b(1) < lo || b(1) > hi) return -1;
  for (size_t i = 2; i < n; ++i) {
    if (b(i) < 0x80 || b(i) > 0xbf) return -1;
  }
  int32_t r = c & (0xff >> (n + 1));
  for (size_t i = 1; i < n; ++i) r = (r << 6) | (b(i) & 0x3f);
  *len = n;
  return r;
}

void AppendRune(uint32_t r, std::string* out) {
  if ((r >= 0xd800 && r <= 0xdfff) || r > 0x10ffff) r = 0xfffd;
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3f)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3f)));
  }
}

void AppendGoJsonString(absl::string_view s, std::string* out) {
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        default:
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            out->append("\\u00");
            out->push_back(kHex[c >> 4]);
            out->push_back(kHex[c & 0xf]);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    size_t n = 0;
    const int32_t rune = DecodeRune(s.substr(i), &n);
    if (rune < 0) {
      out->append("\\ufffd");
      ++i;
      continue;
    }
    if (rune == 0x2028 || rune == 0x2029) {
      out->append(rune == 0x2028 ? "\\u2028" : "\\u2029");
    } else {
      out->append(s.data() + i, n);
    }
    i += n;
  }
  out->push_back('"');
}

std::string GoJson(const nlohmann::ordered_json& v) {
  std::string out;
  Append(v, &out);
  return out;
}

std::string GoJsonLine(const nlohmann::ordered_json& v) {
  std::string out = GoJson(v);
  out.push_back('\n');
  return out;
}

}  // namespace mydocker::container
