// Push-based decompression for layer streams: compressed chunks go in as
// they arrive from the network, decompressed chunks come out to a sink.
// Nothing is buffered beyond one output window, and nothing touches disk.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Decompressor> d,
//                    Decompressor::Create(manifest::Compression::kGzip, sink));
//   for (chunk : network) RETURN_IF_ERROR(d->Feed(chunk));
//   RETURN_IF_ERROR(d->Finish());   // DataLoss if the stream was cut short
#ifndef MYDOCKER_LIB_COMPRESS_DECOMPRESSOR_H_
#define MYDOCKER_LIB_COMPRESS_DECOMPRESSOR_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/manifest/manifest.h"

namespace mydocker::compress {

using Sink = std::function<absl::Status(absl::string_view)>;

class Decompressor {
 public:
  virtual ~Decompressor() = default;

  struct Options {
    // Compute and compare gzip's CRC-32 of each member. A caller that
    // hashes the compressed and the decompressed bytes against digests it
    // trusts (a pull: the blob digest, the diff id) can skip it: it costs a
    // twentieth of a pull's CPU and cannot catch anything those miss.
    // Without it a member's length trailer (ISIZE) is not compared either;
    // the member must still end where gzip says. zstd's optional frame
    // checksum is always checked.
    bool verify_gzip_crc = true;
  };

  // kNone passes bytes through; kGzip accepts concatenated members, as
  // gzip(1) does; kZstd accepts concatenated frames.
  static absl::StatusOr<std::unique_ptr<Decompressor>> Create(
      manifest::Compression compression, Sink sink, Options options);
  static absl::StatusOr<std::unique_ptr<Decompressor>> Create(
      manifest::Compression compression, Sink sink) {
    return Create(compression, std::move(sink), Options{});
  }

  // Decompresses `chunk` and hands the output to the sink. DataLoss for
  // corrupt input; the sink's own error is returned as is.
  virtual absl::Status Feed(absl::string_view chunk) = 0;

  // The input has ended: DataLoss unless it ended at the end of a complete
  // stream (a truncated layer must not pass for a short one).
  virtual absl::Status Finish() = 0;
};

}  // namespace mydocker::compress

#endif  // MYDOCKER_LIB_COMPRESS_DECOMPRESSOR_H_
