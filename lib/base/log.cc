#include "lib/base/log.h"

#include <time.h>
#include <unistd.h>

#include <atomic>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace mydocker::base {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kWarn};
std::atomic<int> g_fd{STDERR_FILENO};

double SecondsSinceStart() {
  static const timespec start = [] {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
  }();
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec - start.tv_sec) +
         static_cast<double>(now.tv_nsec - start.tv_nsec) / 1e9;
}

absl::string_view Tag(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBU";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERRO";
  }
  return "????";
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(level); }
LogLevel GetLogLevel() { return g_level.load(); }
void SetLogFd(int fd) { g_fd.store(fd); }

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(name);
  if (lower == "debug") return LogLevel::kDebug;
  if (lower == "info") return LogLevel::kInfo;
  if (lower == "warn" || lower == "warning") return LogLevel::kWarn;
  if (lower == "error" || lower == "fatal") return LogLevel::kError;
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid log level \"", name, "\": want debug, info, warn or error"));
}

void LogLine(LogLevel level, absl::string_view message) {
  if (!LogEnabled(level)) return;
  std::string line = absl::StrFormat("%s[%08.3f] %s\n", Tag(level),
                                     SecondsSinceStart(), message);
  // One write per line keeps lines from concurrent threads whole; a failed
  // log write has nowhere better to be reported.
  ssize_t ignored = ::write(g_fd.load(), line.data(), line.size());
  (void)ignored;
}

}  // namespace mydocker::base
