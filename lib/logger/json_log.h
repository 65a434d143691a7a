// Docker's json-file log driver: what a container prints, as
// containers/<id>/<id>-json.log lines that `docker logs` (and ours) read.
//
//   {"log":"out1\n","stream":"stdout","time":"2026-11-30T09:26:16.152741173Z"}
//
// Byte for byte as dockerd 20.10 writes them (lib/store/DOCKER_CONTAINERS.md
// section 8): the log text escaped by dockerd's own encoder (\u0009 for a tab,
// \ufffd for invalid UTF-8, <>& as \u003c...), one entry per line with its
// "\n" kept, a line longer than 16 KiB cut into 16384-byte chunks that share
// the first chunk's time, a partial line held until its newline or the end.
//
//   JsonLogWriter log(fd);
//   RETURN_IF_ERROR(log.Write(Stream::kStdout, chunk));   // any chunking
//   ...
//   RETURN_IF_ERROR(log.Close());                         // flushes partials
#ifndef MYDOCKER_LIB_LOGGER_JSON_LOG_H_
#define MYDOCKER_LIB_LOGGER_JSON_LOG_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mydocker::logger {

enum class Stream { kStdout, kStderr };

// dockerd's buffer: a line longer than this is cut.
inline constexpr size_t kMaxLineBytes = 16384;

// One log entry.
struct Entry {
  Stream stream;
  std::string log;  // The text, "\n" included when the line ended.
  absl::Time time;
};

// The JSON line (with its "\n") dockerd writes for `e`.
std::string FormatEntry(const Entry& e);

// dockerd's escaping of the log text (the part between the quotes).
std::string EscapeLog(absl::string_view text);

// Parses one JSON log line. InvalidArgument for anything else.
absl::StatusOr<Entry> ParseEntry(absl::string_view line);

class JsonLogWriter {
 public:
  // Appends to `fd` (opened O_APPEND by the caller, which keeps it).
  // `now` is the clock; tests pass a fake one.
  explicit JsonLogWriter(int fd, std::function<absl::Time()> now = absl::Now)
      : fd_(fd), now_(std::move(now)) {}

  // Adds what the container wrote on `stream`; complete lines are written.
  absl::Status Write(Stream stream, absl::string_view data);
  // Writes what is still buffered of `stream` (the stream ended).
  absl::Status Flush(Stream stream);
  // Flushes both streams.
  absl::Status Close();

 private:
  struct Pending {
    std::string data;
    absl::Time first = absl::InfinitePast();  // Time of a chunked line.
  };
  // Adds one entry to out_.
  void Emit(Stream stream, absl::string_view text, absl::Time t);
  absl::Status FlushOut();

  int fd_;
  std::function<absl::Time()> now_;
  Pending pending_[2];
  std::string out_;  // Entries formatted, not yet written.
  absl::Time cached_time_ = absl::InfinitePast();
  std::string cached_time_text_;
};

}  // namespace mydocker::logger

#endif  // MYDOCKER_LIB_LOGGER_JSON_LOG_H_
