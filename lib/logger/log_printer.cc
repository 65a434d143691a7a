#include "lib/logger/log_printer.h"

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"

namespace mydocker::logger {
namespace {

constexpr size_t kFlushBytes = 64 << 10;

// Go's url.QueryEscape: letters, digits and -_.~ stay, a space is "+",
// every other byte is %XX.
void AppendQueryEscaped(std::string& out, absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
}

// jsonmessage.RFC3339NanoFixed in UTC and a space: always nine digits,
// unlike the file. By hand, as absl::FormatTime would take most of the time
// of `logs -t`.
void AppendTime(std::string& out, absl::Time t) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  absl::CivilSecond cs = absl::ToCivilSecond(t, utc);
  int64_t nanos = (t - absl::FromCivil(cs, utc)) / absl::Nanoseconds(1);
  if (cs.year() < 0 || cs.year() > 9999) {
    // Not from any writer of ours; Go prints such years, so do we.
    absl::StrAppend(&out, absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ ", t, utc));
    return;
  }
  char buf[32];
  auto put = [&](int pos, int64_t v, int digits) {
    for (int i = digits - 1; i >= 0; --i, v /= 10) buf[pos + i] = '0' + v % 10;
  };
  put(0, cs.year(), 4);
  buf[4] = '-';
  put(5, cs.month(), 2);
  buf[7] = '-';
  put(8, cs.day(), 2);
  buf[10] = 'T';
  put(11, cs.hour(), 2);
  buf[13] = ':';
  put(14, cs.minute(), 2);
  buf[16] = ':';
  put(17, cs.second(), 2);
  buf[19] = '.';
  put(20, nanos, 9);
  buf[29] = 'Z';
  buf[30] = ' ';
  out.append(buf, 31);
}

}  // namespace

void AppendRecord(std::string& out, const LogRecord& r, const PrintOptions& o) {
  if (o.timestamps) AppendTime(out, r.entry.time);
  if (o.details) {
    bool first = true;
    for (const auto& [k, v] : r.attrs) {
      if (!first) out.push_back(',');
      first = false;
      AppendQueryEscaped(out, k);
      out.push_back('=');
      AppendQueryEscaped(out, v);
    }
    out.push_back(' ');
  }
  out.append(r.entry.log);
}

absl::Status LogPrinter::Write(const LogRecord& record) {
  int fd = record.entry.stream == Stream::kStderr ? err_fd_ : out_fd_;
  if (fd != buffered_fd_) {
    RETURN_IF_ERROR(Flush());
    buffered_fd_ = fd;
  }
  AppendRecord(buffer_, record, options_);
  if (buffer_.size() >= kFlushBytes) return Flush();
  return absl::OkStatus();
}

absl::Status LogPrinter::Flush() {
  if (buffer_.empty()) return absl::OkStatus();
  absl::Status s = base::WriteAll(buffered_fd_, buffer_,
                                  buffered_fd_ == out_fd_ ? "stdout" : "stderr");
  buffer_.clear();
  return s;
}

}  // namespace mydocker::logger
