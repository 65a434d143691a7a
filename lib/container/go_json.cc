#include "lib/container/go_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace mydocker::container {
namespace {

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
