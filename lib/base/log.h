// A small leveled logger writing one line per message to stderr.
//
// Library code logs only what helps someone debug (`--debug`): errors travel
// as absl::Status and are printed once, by the applet.
//
//   base::SetLogLevel(base::LogLevel::kDebug);
//   base::LogDebug("pull %s: %d layers", ref, n);
//   // stderr: "DEBU[0000.012] pull docker.io/library/nginx:latest: 3 layers"
#ifndef MYDOCKER_LIB_BASE_LOG_H_
#define MYDOCKER_LIB_BASE_LOG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace mydocker::base {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Messages below `level` are dropped. The default is kWarn.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

// Parses Docker's level names: "debug", "info", "warn", "error" ("fatal" is
// accepted as "error"). InvalidArgument for anything else.
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name);

// Sends the log to `fd` instead of stderr (tests; the monitor's log file).
void SetLogFd(int fd);

// Writes one already-formatted line if `level` is enabled. Thread-safe: each
// line is a single write(2).
void LogLine(LogLevel level, absl::string_view message);

inline bool LogEnabled(LogLevel level) { return level >= GetLogLevel(); }

template <typename... Args>
void LogDebug(const absl::FormatSpec<Args...>& format, const Args&... args) {
  if (LogEnabled(LogLevel::kDebug)) {
    LogLine(LogLevel::kDebug, absl::StrFormat(format, args...));
  }
}
template <typename... Args>
void LogInfo(const absl::FormatSpec<Args...>& format, const Args&... args) {
  if (LogEnabled(LogLevel::kInfo)) {
    LogLine(LogLevel::kInfo, absl::StrFormat(format, args...));
  }
}
template <typename... Args>
void LogWarn(const absl::FormatSpec<Args...>& format, const Args&... args) {
  if (LogEnabled(LogLevel::kWarn)) {
    LogLine(LogLevel::kWarn, absl::StrFormat(format, args...));
  }
}
template <typename... Args>
void LogError(const absl::FormatSpec<Args...>& format, const Args&... args) {
  if (LogEnabled(LogLevel::kError)) {
    LogLine(LogLevel::kError, absl::StrFormat(format, args...));
  }
}

}  // namespace mydocker::base

#endif  // MYDOCKER_LIB_BASE_LOG_H_
