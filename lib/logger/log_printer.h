// What `docker logs` prints for each entry of a json-file log, to the two
// streams it prints on (dockerd's httputils.WriteLogStream, demultiplexed
// by the CLI):
//
//   out1                                         plain
//   2026-11-30T09:26:16.152741173Z out1          -t: nine fraction digits
//    out1                                        --details, no attrs
//   2026-11-30T09:26:16.152741173Z tag=web out1  -t --details
//
// The log text is written as it is: no newline is added to a partial line,
// "\r\n" stays. stdout entries go to `out_fd`, stderr entries to `err_fd`
// (the same fd for a tty container, whose log is all stdout anyway, as the
// CLI copies it to stdout). Consecutive entries of one stream are written
// together, and a change of stream writes what came before first, so the
// two keep their order where they meet (`logs c >all 2>&1`).
//
//   LogPrinter out(STDOUT_FILENO, STDERR_FILENO, {.timestamps = true});
//   RETURN_IF_ERROR(reader.ReadAll(out));
#ifndef MYDOCKER_LIB_LOGGER_LOG_PRINTER_H_
#define MYDOCKER_LIB_LOGGER_LOG_PRINTER_H_

#include <string>

#include "absl/status/status.h"
#include "lib/logger/json_log_reader.h"

namespace mydocker::logger {

struct PrintOptions {
  bool timestamps = false;  // -t
  bool details = false;     // --details
};

// Appends what `docker logs` prints for `r` to `out`: with -t the time in
// UTC as 2006-01-02T15:04:05.000000000Z and a space; with --details the
// attrs as k=v pairs, query-escaped, sorted, joined by "," (nothing if
// there are none) and a space; then the log text.
void AppendRecord(std::string& out, const LogRecord& r, const PrintOptions& o);

class LogPrinter : public LogSink {
 public:
  LogPrinter(int out_fd, int err_fd, PrintOptions options)
      : out_fd_(out_fd), err_fd_(err_fd), options_(options) {}

  // Buffers the entry (up to 64 KiB, one stream at a time).
  absl::Status Write(const LogRecord& record) override;
  // Writes what is buffered. What is not flushed is lost.
  absl::Status Flush() override;

 private:
  int out_fd_;
  int err_fd_;
  PrintOptions options_;
  int buffered_fd_ = -1;
  std::string buffer_;
};

}  // namespace mydocker::logger

#endif  // MYDOCKER_LIB_LOGGER_LOG_PRINTER_H_
