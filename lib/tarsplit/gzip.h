// Streaming gzip compression over zlib, push-based: bytes go in with Write
// and come out through a Sink. (Reading gzip is lib/compress's job.)
//
// tar-split files are gzip streams (moby writes them with Go's gzip.Writer).
//
//   GzipWriter gz(StringSink(&compressed));
//   RETURN_IF_ERROR(gz.Write(json_line));
//   RETURN_IF_ERROR(gz.Finish());
#ifndef MYDOCKER_LIB_TARSPLIT_GZIP_H_
#define MYDOCKER_LIB_TARSPLIT_GZIP_H_

#include <zlib.h>

#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/tarsplit/sink.h"

namespace mydocker::tarsplit {

// Compresses into one gzip member.
class GzipWriter {
 public:
  // `level` is zlib's (Z_DEFAULT_COMPRESSION, or 0-9).
  explicit GzipWriter(Sink sink, int level = Z_DEFAULT_COMPRESSION);
  ~GzipWriter();
  GzipWriter(const GzipWriter&) = delete;
  GzipWriter& operator=(const GzipWriter&) = delete;

  // Compresses `data`; full output buffers go to the sink as they fill.
  absl::Status Write(absl::string_view data);
  // Flushes everything and writes the gzip trailer. No Write after it.
  absl::Status Finish();

 private:
  absl::Status Deflate(absl::string_view data, int flush);

  Sink sink_;
  z_stream z_{};
  bool initialized_ = false;
  bool finished_ = false;
  absl::Status status_;  // Sticky.
  std::string out_;
};

}  // namespace mydocker::tarsplit

#endif  // MYDOCKER_LIB_TARSPLIT_GZIP_H_
