// Reading a json-file log (json_log.h) as `docker logs` reads it: dockerd
// 20.10's jsonfilelog reader, LogFile.ReadLogs with its tail, and
// followLogs.
//
//   ReadOptions o;
//   o.tail = ParseTail("100");
//   ASSIGN_OR_RETURN(o.since, ParseSince("10m", absl::Now()));  // time_spec.h
//   ASSIGN_OR_RETURN(JsonLogReader log, JsonLogReader::Open(path, o));
//   LogPrinter out(STDOUT_FILENO, STDERR_FILENO, {});             // log_printer.h
//   RETURN_IF_ERROR(log.ReadAll(out));    // what the file held at Open
//   RETURN_IF_ERROR(log.Follow(out, [&]() -> absl::StatusOr<bool> {
//     return StillRunning();              // -f: until the writer is gone
//   }));
//
// What is read, and what is left out:
//  - A line counts once its "\n" is written (the writer writes a line and
//    its "\n" in one write(2)), so a line still being written at Open is not
//    part of ReadAll; Follow prints it when it is complete. --tail counts
//    JSON lines, as dockerd does: a 16 KiB chunk of a long line is a line.
//  - `since` leaves out entries older than it; the first entry newer than
//    `until` ends the reading (dockerd stops there rather than skipping, as
//    the log is in time order), Follow included.
//  - A damaged line (not a JSON log entry: a writer that died mid-line and
//    was restarted, a bad time) is skipped and counted in damaged_lines().
//    dockerd's decoder also goes on after one (it retries up to 20000
//    times), but only after dropping the rest of its read buffer, so how
//    much it loses after the damage depends on read sizes; in a small file
//    it shows nothing after it. We drop exactly the damaged line.
//  - A missing file is an empty log (a container that never started).
//
// Memory is bounded: the file is read in 64 KiB blocks, --tail finds its
// start by reading backwards from the end, and a line longer than 1 MiB
// (no writer makes one) is dropped as damaged.
#ifndef MYDOCKER_LIB_LOGGER_JSON_LOG_READER_H_
#define MYDOCKER_LIB_LOGGER_JSON_LOG_READER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lib/base/unique_fd.h"
#include "lib/logger/json_log.h"

namespace mydocker::logger {

// One entry as read.
struct LogRecord {
  Entry entry;
  // Its "attrs" (dockerd writes them for --log-opt labels/env/tag), read
  // only with ReadOptions::attrs.
  std::map<std::string, std::string> attrs;
};

struct ReadOptions {
  // The last `tail` lines of the file; negative for all of them, 0 for none
  // (Follow still prints what comes).
  int64_t tail = -1;
  absl::Time since = absl::InfinitePast();
  absl::Time until = absl::InfiniteFuture();
  // Fill LogRecord::attrs (for --details).
  bool attrs = false;
  // How often Follow asks whether the writer is still there.
  absl::Duration check_interval = absl::Milliseconds(200);
};

// Where a reader sends the entries, in file order.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual absl::Status Write(const LogRecord& record) = 0;
  // Called before the reader waits or returns: whatever Write buffered
  // should reach its reader now.
  virtual absl::Status Flush() = 0;
};

// `docker logs --tail`: dockerd's strconv.Atoi, where anything that is not
// a base-10 int64 ("all", "", " 5") means all, as does a negative number.
int64_t ParseTail(absl::string_view value);

class JsonLogReader {
 public:
  // Opens the log at `path` and finds the part ReadAll reads: the file as
  // it is now, up to its last complete line, the last `options.tail` lines
  // of it. Errors name the path.
  static absl::StatusOr<JsonLogReader> Open(const std::string& path,
                                            const ReadOptions& options);

  JsonLogReader(JsonLogReader&&) = default;
  JsonLogReader& operator=(JsonLogReader&&) = default;

  // Sends the entries of that part to `sink`, then flushes it. Errors are
  // read errors (naming the path) and the sink's.
  absl::Status ReadAll(LogSink& sink);

  // Goes on from where the reader is (after ReadAll: the end of what it
  // read): sends each entry as it is appended, waking on inotify, and asks
  // `writer_active` every check_interval whether the writer is still there.
  // Once it says no, reads what the writer appended before that and
  // returns; an unfinished line left then counts as damaged. Also returns
  // after an entry newer than `until`. A file truncated under it is read
  // again from its start, as dockerd does. Errors of `writer_active` end it
  // and are returned.
  absl::Status Follow(LogSink& sink,
                      const std::function<absl::StatusOr<bool>()>& writer_active);

  // Lines skipped as damaged so far.
  int64_t damaged_lines() const { return damaged_; }

 private:
  JsonLogReader(std::string path, ReadOptions options)
      : path_(std::move(path)), options_(std::move(options)) {}

  // Finds start_ and end_ from the size of the file.
  absl::Status FindRange(int64_t size);
  // Reads from pos_ up to `limit` (or the end of the file if negative),
  // handing each complete line to HandleLine.
  absl::Status Pump(int64_t limit, LogSink& sink);
  absl::Status HandleLine(absl::string_view line, LogSink& sink);
  // Opens the file if it was missing; false if it still is.
  absl::StatusOr<bool> EnsureOpen();

  std::string path_;
  ReadOptions options_;
  base::UniqueFd fd_;
  int64_t start_ = 0;       // What ReadAll reads: [start_, end_).
  int64_t end_ = 0;
  int64_t pos_ = 0;         // The next byte to read.
  std::string partial_;     // A line read without its "\n" yet.
  bool skipping_ = false;   // Dropping an overlong line up to its "\n".
  bool past_until_ = false; // An entry newer than `until` was read.
  int64_t damaged_ = 0;
  std::vector<char> block_;
};

}  // namespace mydocker::logger

#endif  // MYDOCKER_LIB_LOGGER_JSON_LOG_READER_H_
