#include "lib/tarsplit/format.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/go_string.h"
#include "nlohmann/json.hpp"

namespace mydocker::tarsplit {
namespace {

absl::Status Bad(absl::string_view line, absl::string_view why) {
  constexpr size_t kMax = 120;
  return absl::InvalidArgumentError(
      absl::StrCat("tar-split entry ", absl::CHexEscape(line.substr(0, kMax)),
                   line.size() > kMax ? "..." : "", ": ", why));
}

// A base64 field as Go's encoding/json decodes []byte: standard alphabet,
// padded.
bool DecodeBase64(const nlohmann::json& v, std::string* out) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() % 4 != 0) return false;
  return absl::Base64Unescape(s, out);
}

}  // namespace

std::string EncodeEntry(const Entry& entry) {
  std::string out = absl::StrCat("{\"type\":", static_cast<int>(entry.type));
  if (!entry.name.empty()) {
    if (IsValidUtf8(entry.name)) {
      out.append(",\"name\":");
      base::AppendGoJsonString(entry.name, &out);
    } else {
      absl::StrAppend(&out, ",\"name_raw\":\"", absl::Base64Escape(entry.name),
                      "\"");
    }
  }
  if (entry.size != 0) absl::StrAppend(&out, ",\"size\":", entry.size);
  if (entry.payload.has_value()) {
    absl::StrAppend(&out, ",\"payload\":\"", absl::Base64Escape(*entry.payload),
                    "\"");
  } else {
    out.append(",\"payload\":null");
  }
  absl::StrAppend(&out, ",\"position\":", entry.position, "}\n");
  return out;
}

absl::StatusOr<Entry> DecodeEntry(absl::string_view line) {
  nlohmann::json j =
      nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
  if (j.is_discarded()) return Bad(line, "not JSON");
  if (!j.is_object()) return Bad(line, "not a JSON object");
  Entry e;
  auto type = j.find("type");
  if (type == j.end() || !type->is_number_integer()) {
    return Bad(line, "no integer \"type\"");
  }
  int64_t t = type->get<int64_t>();
  if (t != static_cast<int>(EntryType::kFile) &&
      t != static_cast<int>(EntryType::kSegment)) {
    return Bad(line, absl::StrCat("unknown type ", t));
  }
  e.type = static_cast<EntryType>(t);

  auto name_raw = j.find("name_raw");
  if (name_raw != j.end() && !name_raw->is_null()) {
    if (!DecodeBase64(*name_raw, &e.name)) return Bad(line, "bad \"name_raw\"");
  }
  auto name = j.find("name");
  if (e.name.empty() && name != j.end() && !name->is_null()) {
    if (!name->is_string()) return Bad(line, "\"name\" is not a string");
    e.name = name->get<std::string>();
  }
  auto size = j.find("size");
  if (size != j.end() && !size->is_null()) {
    if (!size->is_number_integer())
      return Bad(line, "\"size\" is not an integer");
    e.size = size->get<int64_t>();
    if (e.size < 0 ||
        (size->is_number_unsigned() && size->get<uint64_t>() > INT64_MAX)) {
      return Bad(line, "\"size\" out of range");
    }
  }
  auto payload = j.find("payload");
  if (payload != j.end() && !payload->is_null()) {
    std::string bytes;
    if (!DecodeBase64(*payload, &bytes)) return Bad(line, "bad \"payload\"");
    e.payload = std::move(bytes);
  }
  auto position = j.find("position");
  if (position != j.end() && position->is_number_integer()) {
    e.position = position->get<int64_t>();
  }
  return e;
}

bool IsValidUtf8(absl::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;  // Continuation byte, overlong lead (C0, C1) or > F4.
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += len;
  }
  return true;
}

std::string CleanPath(absl::string_view path) {
  const bool rooted = !path.empty() && path[0] == '/';
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }  // ".." at the root is the root.
      continue;
    }
    parts.push_back(part);
  }
  std::string out = absl::StrCat(rooted ? "/" : "", absl::StrJoin(parts, "/"));
  return out.empty() ? "." : out;
}

}  // namespace mydocker::tarsplit
