#include "lib/logger/json_log.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "lib/imagedb/imagedb.h"
#include "nlohmann/json.hpp"

namespace mydocker::logger {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not one.
size_t Utf8Length(absl::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  // Overlong forms, surrogates and out-of-range code points are invalid.
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
      cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

}  // namespace

std::string EscapeLog(absl::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  static constexpr char kHex[] = "0123456789abcdef";
  auto plain = [](unsigned char c) {
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' &&
           c != '>' && c != '&';
  };
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (plain(c)) {
      // Most output is plain text: copy runs of it at once.
      size_t j = i + 1;
      while (j < s.size() && plain(static_cast<unsigned char>(s[j]))) ++j;
      out.append(s.data() + i, j - i);
      i = j;
      continue;
    }
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        default:  // Other control characters, and <>& as Go escapes them.
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
      }
      ++i;
      continue;
    }
    size_t n = Utf8Length(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    absl::string_view seq = s.substr(i, n);
    if (seq == "\xE2\x80\xA8") {
      out += "\\u2028";
    } else if (seq == "\xE2\x80\xA9") {
      out += "\\u2029";
    } else {
      out.append(seq.data(), seq.size());
    }
    i += n;
  }
  return out;
}

std::string FormatEntry(const Entry& e) {
  return absl::StrCat("{\"log\":\"", EscapeLog(e.log), "\",\"stream\":\"",
                      e.stream == Stream::kStdout ? "stdout" : "stderr",
                      "\",\"time\":\"", imagedb::FormatRfc3339Nano(e.time), "\"}\n");
}

absl::StatusOr<Entry> ParseEntry(absl::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr,
                                           /*allow_exceptions=*/false);
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("not a json-file log line: ", line.substr(0, 80)));
  };
  if (j.is_discarded() || !j.is_object()) return bad();
  auto log = j.find("log");
  auto stream = j.find("stream");
  auto time = j.find("time");
  if (log == j.end() || !log->is_string() || time == j.end() || !time->is_string()) {
    return bad();
  }
  Entry e{Stream::kStdout, log->get<std::string>(), absl::InfinitePast()};
  if (stream != j.end() && stream->is_string() && stream->get<std::string>() == "stderr") {
    e.stream = Stream::kStderr;
  }
  ASSIGN_OR_RETURN(e.time, imagedb::ParseRfc3339(time->get<std::string>()));
  return e;
}

void JsonLogWriter::Emit(Stream stream, absl::string_view text, absl::Time t) {
  // The lines of one read share its time: format it once.
  if (t != cached_time_ || cached_time_text_.empty()) {
    cached_time_ = t;
    cached_time_text_ = imagedb::FormatRfc3339Nano(t);
  }
  absl::StrAppend(&out_, "{\"log\":\"", EscapeLog(text), "\",\"stream\":\"",
                  stream == Stream::kStdout ? "stdout" : "stderr",
                  "\",\"time\":\"", cached_time_text_, "\"}\n");
}

absl::Status JsonLogWriter::FlushOut() {
  // One write for everything one read of the container's output made.
  absl::Status s = base::WriteAll(fd_, out_, "container log");
  out_.clear();
  return s;
}

absl::Status JsonLogWriter::Write(Stream stream, absl::string_view data) {
  Pending& p = pending_[static_cast<int>(stream)];
  p.data.append(data.data(), data.size());
  absl::Time now = now_();
  size_t start = 0;
  for (;;) {
    absl::string_view rest = absl::string_view(p.data).substr(start);
    size_t nl = rest.find('\n');
    if (nl != absl::string_view::npos && nl < kMaxLineBytes) {
      absl::Time t = p.first == absl::InfinitePast() ? now : p.first;
      Emit(stream, rest.substr(0, nl + 1), t);
      p.first = absl::InfinitePast();
      start += nl + 1;
      continue;
    }
    if (rest.size() >= kMaxLineBytes) {
      // A long line: a full chunk without "\n"; the rest keeps its time.
      if (p.first == absl::InfinitePast()) p.first = now;
      Emit(stream, rest.substr(0, kMaxLineBytes), p.first);
      start += kMaxLineBytes;
      continue;
    }
    break;
  }
  p.data.erase(0, start);
  return FlushOut();
}

absl::Status JsonLogWriter::Flush(Stream stream) {
  Pending& p = pending_[static_cast<int>(stream)];
  if (p.data.empty()) return absl::OkStatus();
  absl::Time t = p.first == absl::InfinitePast() ? now_() : p.first;
  Emit(stream, p.data, t);
  p.data.clear();
  p.first = absl::InfinitePast();
  return FlushOut();
}

absl::Status JsonLogWriter::Close() {
  absl::Status s = Flush(Stream::kStdout);
  s.Update(Flush(Stream::kStderr));
  return s;
}

}  // namespace mydocker::logger
