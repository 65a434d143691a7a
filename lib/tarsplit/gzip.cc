#include "lib/tarsplit/gzip.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

namespace mydocker::tarsplit {
namespace {

constexpr size_t kBufferSize = 64 << 10;
constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper.

std::string ZlibMessage(const z_stream& z, int ret) {
  return z.msg != nullptr ? std::string(z.msg)
                          : absl::StrCat("zlib error ", ret);
}

// zlib counts in uInt; chunks larger than that are fed in pieces.
constexpr size_t kMaxZlibChunk = 1u << 30;

}  // namespace

GzipWriter::GzipWriter(Sink sink, int level) : sink_(std::move(sink)) {
  int ret = deflateInit2(&z_, level, Z_DEFLATED, kGzipWindowBits, 8,
                         Z_DEFAULT_STRATEGY);
  if (ret != Z_OK) {
    status_ = absl::InternalError(
        absl::StrCat("gzip: deflateInit2: ", ZlibMessage(z_, ret)));
    return;
  }
  initialized_ = true;
  out_.resize(kBufferSize);
}

GzipWriter::~GzipWriter() {
  if (initialized_) deflateEnd(&z_);
}

absl::Status GzipWriter::Write(absl::string_view data) {
  if (!status_.ok()) return status_;
  if (finished_)
    return absl::FailedPreconditionError("gzip: Write after Finish");
  while (!data.empty()) {
    size_t n = std::min(data.size(), kMaxZlibChunk);
    status_ = Deflate(data.substr(0, n), Z_NO_FLUSH);
    if (!status_.ok()) return status_;
    data.remove_prefix(n);
  }
  return absl::OkStatus();
}

absl::Status GzipWriter::Finish() {
  if (!status_.ok()) return status_;
  if (finished_) return absl::FailedPreconditionError("gzip: Finish twice");
  finished_ = true;
  status_ = Deflate(absl::string_view(), Z_FINISH);
  return status_;
}

absl::Status GzipWriter::Deflate(absl::string_view data, int flush) {
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z_.avail_in = static_cast<uInt>(data.size());
  for (;;) {
    z_.next_out = reinterpret_cast<Bytef*>(out_.data());
    z_.avail_out = static_cast<uInt>(out_.size());
    int ret = deflate(&z_, flush);
    if (ret == Z_STREAM_ERROR) {
      return absl::InternalError(
          absl::StrCat("gzip: deflate: ", ZlibMessage(z_, ret)));
    }
    size_t produced = out_.size() - z_.avail_out;
    if (produced > 0)
      RETURN_IF_ERROR(sink_(absl::string_view(out_.data(), produced)));
    if (flush == Z_FINISH) {
      if (ret == Z_STREAM_END) return absl::OkStatus();
    } else if (z_.avail_in == 0 && z_.avail_out != 0) {
      return absl::OkStatus();
    }
  }
}

}  // namespace mydocker::tarsplit
