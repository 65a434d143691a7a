#include "lib/logger/json_log_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/base/errno_status.h"
#include "lib/base/file.h"
#include "lib/base/status_macros.h"
#include "nlohmann/json.hpp"

namespace mydocker::logger {
namespace {

constexpr size_t kBlockBytes = 64 << 10;
// The longest line we hold. dockerd's own lines stay under ~100 KiB (a
// 16 KiB chunk of control characters, each escaped to six bytes); a longer
// one is garbage, and holding it would let a damaged file take our memory.
constexpr size_t kMaxHeldLineBytes = 1 << 20;

// pread(2) that retries EINTR.
absl::StatusOr<size_t> ReadAt(int fd, char* buf, size_t n, int64_t offset,
                              const std::string& path) {
  for (;;) {
    ssize_t r = pread(fd, buf, n, offset);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno != EINTR) return base::ErrnoStatus(errno, "read ", path);
  }
}

// The "attrs" object of a log line: string values only, as dockerd's
// map[string]string decodes it. nullopt if it is something else.
std::optional<std::map<std::string, std::string>> ParseAttrs(
    absl::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr,
                                           /*allow_exceptions=*/false);
  std::map<std::string, std::string> attrs;
  auto it = j.find("attrs");
  if (it == j.end() || it->is_null()) return attrs;
  if (!it->is_object()) return std::nullopt;
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) return std::nullopt;
    attrs[k] = v.get<std::string>();
  }
  return attrs;
}

}  // namespace

int64_t ParseTail(absl::string_view value) {
  absl::string_view digits = value;
  bool neg = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    neg = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return -1;
  int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    if (n > (INT64_MAX - (c - '0')) / 10) return -1;
    n = n * 10 + (c - '0');
  }
  // A negative count reads as all, as in dockerd; "-0" is still 0.
  return neg && n != 0 ? -1 : n;
}

absl::StatusOr<JsonLogReader> JsonLogReader::Open(const std::string& path,
                                                  const ReadOptions& options) {
  JsonLogReader r(path, options);
  absl::StatusOr<base::UniqueFd> fd = base::OpenFile(path, O_RDONLY);
  if (absl::IsNotFound(fd.status())) return r;
  if (!fd.ok()) return fd.status();
  r.fd_ = *std::move(fd);
  struct stat st;
  if (fstat(r.fd_.get(), &st) < 0) return base::ErrnoStatus(errno, "stat ", path);
  RETURN_IF_ERROR(r.FindRange(st.st_size));
  r.pos_ = r.start_;
  return r;
}

absl::Status JsonLogReader::FindRange(int64_t size) {
  // Backwards from the end: the last "\n" ends the range; with a tail of n,
  // the "\n" before the last n lines starts it (dockerd's tailfile).
  const int64_t tail = options_.tail;
  int64_t end = -1;
  int64_t start = 0;
  int64_t lines = 0;
  block_.resize(kBlockBytes);
  for (int64_t pos = size; pos > 0;) {
    size_t n = static_cast<size_t>(std::min<int64_t>(kBlockBytes, pos));
    ASSIGN_OR_RETURN(size_t got, ReadAt(fd_.get(), block_.data(), n, pos - n, path_));
    if (got < n) break;  // Truncated under us: take what was found.
    pos -= n;
    for (size_t i = n; i-- > 0;) {
      if (block_[i] != '\n') continue;
      int64_t at = pos + static_cast<int64_t>(i);
      if (end < 0) {
        end = at + 1;
        lines = 1;
        if (tail <= 0) break;
        continue;
      }
      if (lines == tail) {
        start = at + 1;
        break;
      }
      ++lines;
    }
    if (end >= 0 && (tail <= 0 || start > 0)) break;
  }
  end_ = std::max<int64_t>(end, 0);
  start_ = tail == 0 ? end_ : (tail < 0 ? 0 : start);
  return absl::OkStatus();
}

absl::Status JsonLogReader::HandleLine(absl::string_view line, LogSink& sink) {
  // dockerd's decoder skips blank space between entries.
  if (absl::StripAsciiWhitespace(line).empty()) return absl::OkStatus();
  absl::StatusOr<Entry> e = ParseEntry(line);
  if (!e.ok()) {
    ++damaged_;
    return absl::OkStatus();
  }
  if (e->time < options_.since) return absl::OkStatus();
  if (e->time > options_.until) {
    past_until_ = true;
    return absl::OkStatus();
  }
  LogRecord r{*std::move(e), {}};
  if (options_.attrs) {
    std::optional<std::map<std::string, std::string>> attrs = ParseAttrs(line);
    if (!attrs) {
      ++damaged_;  // dockerd cannot decode the entry either.
      return absl::OkStatus();
    }
    r.attrs = *std::move(attrs);
  }
  return sink.Write(r);
}

absl::Status JsonLogReader::Pump(int64_t limit, LogSink& sink) {
  if (!fd_.valid()) return absl::OkStatus();
  block_.resize(kBlockBytes);
  while (!past_until_ && (limit < 0 || pos_ < limit)) {
    size_t want = limit < 0 ? kBlockBytes
                            : static_cast<size_t>(
                                  std::min<int64_t>(kBlockBytes, limit - pos_));
    ASSIGN_OR_RETURN(size_t got, ReadAt(fd_.get(), block_.data(), want, pos_, path_));
    if (got == 0) break;
    pos_ += static_cast<int64_t>(got);
    absl::string_view data(block_.data(), got);
    while (!past_until_) {
      size_t nl = data.find('\n');
      if (nl == absl::string_view::npos) break;
      absl::string_view piece = data.substr(0, nl);
      data.remove_prefix(nl + 1);
      if (skipping_) {
        skipping_ = false;  // The overlong line ends here.
        continue;
      }
      if (partial_.empty()) {
        RETURN_IF_ERROR(HandleLine(piece, sink));
      } else {
        partial_.append(piece.data(), piece.size());
        std::string line = std::move(partial_);
        partial_.clear();
        RETURN_IF_ERROR(HandleLine(line, sink));
      }
    }
    if (past_until_ || skipping_) continue;
    partial_.append(data.data(), data.size());
    if (partial_.size() > kMaxHeldLineBytes) {
      ++damaged_;
      partial_.clear();
      skipping_ = true;
    }
  }
  return absl::OkStatus();
}

absl::Status JsonLogReader::ReadAll(LogSink& sink) {
  RETURN_IF_ERROR(Pump(end_, sink));
  return sink.Flush();
}

absl::StatusOr<bool> JsonLogReader::EnsureOpen() {
  if (fd_.valid()) return true;
  absl::StatusOr<base::UniqueFd> fd = base::OpenFile(path_, O_RDONLY);
  if (absl::IsNotFound(fd.status())) return false;
  if (!fd.ok()) return fd.status();
  fd_ = *std::move(fd);
  pos_ = 0;
  return true;
}

absl::Status JsonLogReader::Follow(
    LogSink& sink, const std::function<absl::StatusOr<bool>()>& writer_active) {
  // Watch before reading, so that nothing appended in between goes
  // unnoticed. Without inotify (no instances left, say) we poll instead.
  base::UniqueFd watch(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  bool watching = false;
  auto add_watch = [&] {
    watching = watch.valid() &&
               inotify_add_watch(watch.get(), path_.c_str(),
                                 IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE |
                                     IN_DELETE_SELF | IN_MOVE_SELF) >= 0;
  };
  ASSIGN_OR_RETURN(bool open, EnsureOpen());
  if (open) add_watch();

  // Reads what is there; a file that shrank was truncated and is read again
  // from its start (dockerd's follow does the same).
  auto read_new = [&]() -> absl::Status {
    if (!fd_.valid()) return absl::OkStatus();
    struct stat st;
    if (fstat(fd_.get(), &st) < 0) return base::ErrnoStatus(errno, "stat ", path_);
    if (st.st_size < pos_) {
      pos_ = 0;
      partial_.clear();
      skipping_ = false;
    }
    return Pump(-1, sink);
  };

  absl::Time next_check = absl::Now() + options_.check_interval;
  for (;;) {
    RETURN_IF_ERROR(read_new());
    RETURN_IF_ERROR(sink.Flush());
    if (past_until_) return absl::OkStatus();
    absl::Time now = absl::Now();
    if (now >= next_check) {
      ASSIGN_OR_RETURN(bool active, writer_active());
      if (!active) {
        // The writer closed the log before it said it was done, so this
        // reads all it wrote.
        RETURN_IF_ERROR(read_new());
        RETURN_IF_ERROR(sink.Flush());
        if (!partial_.empty()) {
          ++damaged_;
          partial_.clear();
        }
        return absl::OkStatus();
      }
      if (!fd_.valid()) {
        ASSIGN_OR_RETURN(open, EnsureOpen());
        if (open) {
          add_watch();
          next_check = now + options_.check_interval;
          continue;
        }
      }
      next_check = now + options_.check_interval;
    }
    int timeout_ms = static_cast<int>(
        std::max<int64_t>(1, absl::ToInt64Milliseconds(next_check - now)));
    struct pollfd p = {watching ? watch.get() : -1, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR) {
      return base::ErrnoStatus(errno, "wait for ", path_);
    }
    if (watching && (p.revents & POLLIN)) {
      // The events only say "look again"; drain them.
      alignas(struct inotify_event) char events[4096];
      while (read(watch.get(), events, sizeof events) > 0) {
      }
    }
  }
}

}  // namespace mydocker::logger
