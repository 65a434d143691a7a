#include "lib/container/summary.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/container/go_json.h"
#include "lib/image/format.h"
#include "lib/reference/reference.h"

namespace mydocker::container {
namespace {

// golang.org/x/text/width: East Asian Wide and Fullwidth count 2. The main
// blocks, not the full Unicode table.
int CharWidth(int32_t r) {
  static constexpr int32_t kWide[][2] = {
      {0x1100, 0x115f},   {0x231a, 0x231b},   {0x2329, 0x232a},
      {0x23e9, 0x23ec},   {0x23f0, 0x23f0},   {0x23f3, 0x23f3},
      {0x25fd, 0x25fe},   {0x2614, 0x2615},   {0x2648, 0x2653},
      {0x267f, 0x267f},   {0x2693, 0x2693},   {0x26a1, 0x26a1},
      {0x26aa, 0x26ab},   {0x26bd, 0x26be},   {0x26c4, 0x26c5},
      {0x26ce, 0x26ce},   {0x26d4, 0x26d4},   {0x26ea, 0x26ea},
      {0x26f2, 0x26f3},   {0x26f5, 0x26f5},   {0x26fa, 0x26fa},
      {0x26fd, 0x26fd},   {0x2705, 0x2705},   {0x270a, 0x270b},
      {0x2728, 0x2728},   {0x274c, 0x274c},   {0x274e, 0x274e},
      {0x2753, 0x2755},   {0x2757, 0x2757},   {0x2795, 0x2797},
      {0x27b0, 0x27b0},   {0x27bf, 0x27bf},   {0x2b1b, 0x2b1c},
      {0x2b50, 0x2b50},   {0x2b55, 0x2b55},   {0x2e80, 0x303e},
      {0x3041, 0x33ff},   {0x3400, 0x4dbf},   {0x4e00, 0x9fff},
      {0xa000, 0xa4cf},   {0xa960, 0xa97f},   {0xac00, 0xd7a3},
      {0xf900, 0xfaff},   {0xfe10, 0xfe19},   {0xfe30, 0xfe6f},
      {0xff00, 0xff60},   {0xffe0, 0xffe6},   {0x16fe0, 0x18aff},
      {0x1b000, 0x1b2ff}, {0x1f004, 0x1f004}, {0x1f0cf, 0x1f0cf},
      {0x1f18e, 0x1f18e}, {0x1f191, 0x1f19a}, {0x1f200, 0x1f2ff},
      {0x1f300, 0x1f64f}, {0x1f680, 0x1f6ff}, {0x1f7e0, 0x1f7eb},
      {0x1f90c, 0x1f9ff}, {0x1fa70, 0x1faff}, {0x20000, 0x2fffd},
      {0x30000, 0x3fffd}};
  for (const auto& [lo, hi] : kWide) {
    if (r >= lo && r <= hi) return 2;
  }
  return 1;
}

// unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the
// ASCII space. Everything valid is taken as printable except the control,
// separator, format, private-use and non-character ranges below (unassigned
// code points are not told apart).
bool IsPrint(int32_t r) {
  if (r < 0x20 || (r >= 0x7f && r <= 0xa0) || r == 0xad) return false;
  static constexpr int32_t kNot[][2] = {
      {0x0600, 0x0605},   {0x061c, 0x061c},   {0x06dd, 0x06dd},
      {0x070f, 0x070f},   {0x1680, 0x1680},   {0x180e, 0x180e},
      {0x2000, 0x200f},   {0x2028, 0x202f},   {0x205f, 0x2064},
      {0x2066, 0x206f},   {0x3000, 0x3000},   {0xd800, 0xf8ff},
      {0xfeff, 0xfeff},   {0xfff9, 0xfffb},   {0xfffe, 0xffff},
      {0xe0000, 0xe007f}, {0xf0000, 0x10ffff}};
  for (const auto& [lo, hi] : kNot) {
    if (r >= lo && r <= hi) return false;
  }
  return (r & 0xfffe) != 0xfffe;
}

bool ComparePorts(const Port& i, const Port& j) {
  if (i.private_port != j.private_port) return i.private_port < j.private_port;
  if (i.ip != j.ip) return i.ip < j.ip;
  if (i.public_port != j.public_port) return i.public_port < j.public_port;
  return i.type < j.type;
}

std::string FormGroup(absl::string_view key, int start, int last) {
  std::vector<absl::string_view> parts = absl::StrSplit(key, '/');
  absl::string_view group_type = parts[0];
  absl::string_view ip;
  if (parts.size() > 1) {
    ip = parts[0];
    group_type = parts[1];
  }
  std::string group = absl::StrCat(start);
  if (start != last) absl::StrAppend(&group, "-", last);
  if (!ip.empty()) group = absl::StrCat(ip, ":", group, "->", group);
  return absl::StrCat(group, "/", group_type);
}

// nat.ParsePort: "" is 0; otherwise a decimal number up to 65535.
bool ParsePortNumber(absl::string_view s, uint16_t* out) {
  if (s.empty()) {
    *out = 0;
    return true;
  }
  uint32_t v;
  if (!absl::SimpleAtoi(s, &v) || v > 65535) return false;
  *out = static_cast<uint16_t>(v);
  return true;
}

}  // namespace

std::string StateString(const State& s) {
  if (s.running) {
    if (s.paused) return "paused";
    if (s.restarting) return "restarting";
    return "running";
  }
  if (s.removal_in_progress) return "removing";
  if (s.dead) return "dead";
  if (s.started_at == kZeroTime) return "created";
  return "exited";
}

std::string StatusString(const State& s, absl::Time now) {
  if (s.running) {
    std::string up = image::HumanDuration(now - s.started_at);
    if (s.paused) return absl::StrCat("Up ", up, " (Paused)");
    if (s.restarting) {
      return absl::StrCat("Restarting (", s.exit_code, ") ",
                          image::HumanDuration(now - s.finished_at), " ago");
    }
    if (s.health.is_object()) {
      std::string status;
      if (auto it = s.health.find("Status");
          it != s.health.end() && it->is_string()) {
        status = it->get<std::string>();
      }
      if (status == "starting") status = "health: starting";
      return absl::StrCat("Up ", up, " (", status, ")");
    }
    return absl::StrCat("Up ", up);
  }
  if (s.removal_in_progress) return "Removal In Progress";
  if (s.dead) return "Dead";
  if (s.started_at == kZeroTime) return "Created";
  if (s.finished_at == kZeroTime) return "";
  return absl::StrCat("Exited (", s.exit_code, ") ",
                      image::HumanDuration(now - s.finished_at), " ago");
}

std::string CommandString(absl::string_view path,
                          const std::vector<std::string>& args) {
  std::string out(path);
  for (const std::string& a : args) {
    if (a.find(' ') != std::string::npos) {
      absl::StrAppend(&out, " '", a, "'");
    } else {
      absl::StrAppend(&out, " ", a);
    }
  }
  return out;
}

std::vector<Port> PortsOf(const NetworkSettings& n) {
  std::vector<Port> out;
  if (!n.ports) return out;
  for (const auto& [key, bindings] : *n.ports) {
    absl::string_view k = key;
    size_t slash = k.find('/');
    absl::string_view number = k.substr(0, slash);
    std::string proto = slash == absl::string_view::npos
                            ? "tcp"
                            : std::string(k.substr(slash + 1));
    uint16_t private_port;
    if (!ParsePortNumber(number, &private_port)) continue;
    if (!bindings || bindings->empty()) {
      out.push_back(Port{"", private_port, 0, proto});
      continue;
    }
    for (const PortBinding& b : *bindings) {
      uint16_t public_port;
      if (!ParsePortNumber(b.host_port, &public_port)) continue;
      out.push_back(Port{b.host_ip, private_port, public_port, proto});
    }
  }
  return out;
}

Summary Summarize(const Container& c, absl::Time now) {
  Summary s;
  s.id = c.id;
  s.names = {c.name};
  s.image = c.config.image;
  s.image_id = c.image;
  s.command =
      CommandString(c.path, c.args ? *c.args : std::vector<std::string>{});
  s.created = c.created;
  s.ports = PortsOf(c.network_settings);
  if (c.config.labels) s.labels = *c.config.labels;
  s.state = StateString(c.state);
  s.status = StatusString(c.state, now);
  return s;
}

std::string Ellipsis(absl::string_view s, int width) {
  if (width <= 0) return "";
  // As []rune(s) in Go: an invalid byte is one rune, U+FFFD.
  std::vector<std::string> runes;
  std::vector<int> cumulative;
  int total = 0;
  for (size_t i = 0; i < s.size();) {
    size_t len;
    int32_t r = DecodeRune(s.substr(i), &len);
    runes.push_back(r < 0 ? std::string("\xef\xbf\xbd")
                          : std::string(s.substr(i, len)));
    total += CharWidth(r < 0 ? 0xfffd : r);
    cumulative.push_back(total);
    i += len;
  }
  if (runes.empty()) return "";
  if (width == 1) return runes[0];
  auto first = [&](size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += runes[i];
    return out + "…";
  };
  if (s.size() == runes.size()) {  // One byte per rune.
    if (s.size() <= static_cast<size_t>(width)) return std::string(s);
    return first(static_cast<size_t>(width - 1));
  }
  if (total <= width) return std::string(s);
  for (size_t i = 0; i + 1 < cumulative.size(); ++i) {
    if (cumulative[i] <= width - 1 && cumulative[i + 1] > width - 1) {
      return first(i + 1);
    }
  }
  return std::string(s);
}

std::string GoQuote(absl::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    size_t len;
    int32_t r = DecodeRune(s.substr(i), &len);
    if (r < 0) {
      unsigned char b = static_cast<unsigned char>(s[i]);
      absl::StrAppend(&out, "\\x", std::string(1, kHex[b >> 4]),
                      std::string(1, kHex[b & 0xf]));
      i += 1;
      continue;
    }
    if (r == '"' || r == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(r));
    } else if (IsPrint(r)) {
      out.append(s.data() + i, len);
    } else {
      switch (r) {
        case '\a':
          out += "\\a";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\v':
          out += "\\v";
          break;
        default:
          if (r < ' ' || r == 0x7f) {
            absl::StrAppend(&out, absl::StrFormat("\\x%02x", r));
          } else if (r < 0x10000) {
            absl::StrAppend(&out, absl::StrFormat("\\u%04x", r));
          } else {
            absl::StrAppend(&out, absl::StrFormat("\\U%08x", r));
          }
      }
    }
    i += len;
  }
  out.push_back('"');
  return out;
}

std::string FormatCommand(absl::string_view command, bool trunc) {
  return GoQuote(trunc ? Ellipsis(command, 20) : std::string(command));
}

std::string FormatImage(const Summary& s, bool trunc) {
  if (s.image.empty()) return "<no image>";
  if (!trunc) return s.image;
  std::string id = image::TruncateId(s.image_id);
  if (id == image::TruncateId(s.image)) return id;
  absl::StatusOr<reference::Reference> ref =
      reference::ParseNormalizedNamed(s.image);
  if (!ref.ok()) return s.image;
  reference::Reference named = *ref;
  named.digest.reset();
  return named.tag.empty() ? named.FamiliarName() : named.FamiliarString();
}

std::string FormatRunningFor(absl::Time created, absl::Time now) {
  absl::Time whole = absl::FromUnixSeconds(absl::ToUnixSeconds(created));
  return absl::StrCat(image::HumanDuration(now - whole), " ago");
}

std::string FormatPorts(std::vector<Port> ports) {
  struct Group {
    int first;
    int last;
  };
  std::map<std::string, Group> groups;
  std::vector<std::string> keys;  // In the order groups are made.
  std::vector<std::string> result;
  std::vector<std::string> host_mappings;
  std::stable_sort(ports.begin(), ports.end(), ComparePorts);
  for (const Port& p : ports) {
    const int current = p.private_port;
    std::string key = p.type;
    if (!p.ip.empty()) {
      if (p.public_port != p.private_port) {
        host_mappings.push_back(absl::StrCat(p.ip, ":", p.public_port, "->",
                                             p.private_port, "/", p.type));
        continue;
      }
      key = absl::StrCat(p.ip, "/", p.type);
    }
    auto it = groups.find(key);
    if (it == groups.end()) {
      groups[key] = Group{current, current};
      keys.push_back(key);
      continue;
    }
    // Go's uint16 arithmetic: 65535 + 1 wraps to 0.
    if (current == static_cast<uint16_t>(it->second.last + 1)) {
      it->second.last = current;
      continue;
    }
    result.push_back(FormGroup(key, it->second.first, it->second.last));
    it->second = Group{current, current};
  }
  for (const std::string& key : keys) {
    const Group& g = groups[key];
    result.push_back(FormGroup(key, g.first, g.last));
  }
  result.insert(result.end(), host_mappings.begin(), host_mappings.end());
  return absl::StrJoin(result, ", ");
}

std::string FormatNames(const std::vector<std::string>& names, bool trunc) {
  std::vector<std::string> stripped;
  for (const std::string& n : names) {
    stripped.push_back(!n.empty() && n[0] == '/' ? n.substr(1) : n);
  }
  if (trunc) {
    for (const std::string& n : stripped) {
      if (n.find('/') == std::string::npos) return n;
    }
  }
  return absl::StrJoin(stripped, ",");
}

}  // namespace mydocker::container
