#include "lib/compress/decompressor.h"

#include <zlib.h>
#include <zstd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

namespace mydocker::compress {
namespace {

constexpr size_t kOutChunk = 256 << 10;

class Passthrough : public Decompressor {
 public:
  explicit Passthrough(Sink sink) : sink_(std::move(sink)) {}
  absl::Status Feed(absl::string_view chunk) override { return sink_(chunk); }
  absl::Status Finish() override { return absl::OkStatus(); }

 private:
  Sink sink_;
};

class Gzip : public Decompressor {
 public:
  explicit Gzip(Sink sink) : sink_(std::move(sink)), out_(kOutChunk) {}
  ~Gzip() override {
    if (initialized_) inflateEnd(&z_);
  }

  absl::Status Init(bool verify_crc) {
    // 16 + MAX_WBITS: gzip framing only, not raw or zlib.
    if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) {
      return absl::ResourceExhaustedError("gzip: cannot initialise zlib");
    }
    initialized_ = true;
    verify_crc_ = verify_crc;
    return Validate();
  }

  absl::Status Feed(absl::string_view chunk) override {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(chunk.data()));
    z_.avail_in = static_cast<uInt>(chunk.size());
    while (z_.avail_in > 0) {
      if (member_done_) {
        // Another member follows the one that ended (gzip -c a b > ab).
        if (inflateReset(&z_) != Z_OK) return Corrupt("cannot reset");
        RETURN_IF_ERROR(Validate());
        member_done_ = false;
      }
      z_.next_out = reinterpret_cast<Bytef*>(out_.data());
      z_.avail_out = static_cast<uInt>(out_.size());
      int rc = inflate(&z_, Z_NO_FLUSH);
      size_t produced = out_.size() - z_.avail_out;
      if (produced > 0) {
        RETURN_IF_ERROR(sink_(absl::string_view(out_.data(), produced)));
      }
      if (rc == Z_STREAM_END) {
        member_done_ = true;
        continue;
      }
      if (rc == Z_BUF_ERROR && produced == 0) break;  // Needs more input.
      if (rc != Z_OK) return Corrupt(z_.msg ? z_.msg : "inflate failed");
    }
    return absl::OkStatus();
  }

  absl::Status Finish() override {
    if (!member_done_) return absl::DataLossError("gzip: stream ends early (truncated)");
    return absl::OkStatus();
  }

 private:
  // Without verification zlib neither computes nor compares a member's
  // CRC-32 (nor its length trailer); the member must still end properly.
  absl::Status Validate() {
    if (inflateValidate(&z_, verify_crc_ ? 1 : 0) != Z_OK) {
      return absl::InternalError("gzip: inflateValidate failed");
    }
    return absl::OkStatus();
  }

  absl::Status Corrupt(absl::string_view why) {
    return absl::DataLossError(absl::StrCat("gzip: corrupt stream: ", why));
  }

  Sink sink_;
  std::vector<char> out_;
  z_stream z_{};
  bool initialized_ = false;
  bool member_done_ = false;
  bool verify_crc_ = true;
};

class Zstd : public Decompressor {
 public:
  explicit Zstd(Sink sink) : sink_(std::move(sink)), out_(kOutChunk) {}
  ~Zstd() override { ZSTD_freeDStream(ds_); }

  absl::Status Init() {
    ds_ = ZSTD_createDStream();
    if (ds_ == nullptr) return absl::ResourceExhaustedError("zstd: cannot allocate");
    // Cap the window a hostile frame may ask for (2^27 = 128 MiB, zstd's
    // default for streaming decompression is the same).
    ZSTD_DCtx_setParameter(ds_, ZSTD_d_windowLogMax, 27);
    return absl::OkStatus();
  }

  absl::Status Feed(absl::string_view chunk) override {
    ZSTD_inBuffer in{chunk.data(), chunk.size(), 0};
    // Until all input is consumed and zstd has nothing left to flush (it
    // did not fill the whole output window).
    for (;;) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      size_t before = in.pos;
      size_t rc = ZSTD_decompressStream(ds_, &out, &in);
      if (ZSTD_isError(rc)) {
        return absl::DataLossError(
            absl::StrCat("zstd: corrupt stream: ", ZSTD_getErrorName(rc)));
      }
      if (out.pos > 0) {
        RETURN_IF_ERROR(sink_(absl::string_view(out_.data(), out.pos)));
      }
      // 0 means a frame is complete and flushed. A call that made no
      // progress says nothing new (at a frame boundary it returns a hint).
      if (in.pos > before || out.pos > 0) frame_done_ = rc == 0;
      if (in.pos == in.size && out.pos < out.size) break;
    }
    return absl::OkStatus();
  }

  absl::Status Finish() override {
    if (!frame_done_) return absl::DataLossError("zstd: stream ends early (truncated)");
    return absl::OkStatus();
  }

 private:
  Sink sink_;
  std::vector<char> out_;
  ZSTD_DStream* ds_ = nullptr;
  bool frame_done_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Decompressor>> Decompressor::Create(
    manifest::Compression compression, Sink sink, Options options) {
  switch (compression) {
    case manifest::Compression::kNone:
      return std::make_unique<Passthrough>(std::move(sink));
    case manifest::Compression::kGzip: {
      auto d = std::make_unique<Gzip>(std::move(sink));
      RETURN_IF_ERROR(d->Init(options.verify_gzip_crc));
      return d;
    }
    case manifest::Compression::kZstd: {
      auto d = std::make_unique<Zstd>(std::move(sink));
      RETURN_IF_ERROR(d->Init());
      return d;
    }
  }
  return absl::InvalidArgumentError("unknown compression");
}

}  // namespace mydocker::compress
