// A push-based streaming tar parser.
//
// Layers arrive as a stream that must be processed in one pass: the network
// pushes chunks, they are hashed and decompressed, and the tar bytes are fed
// to a Reader as they come. The Reader never blocks and never reads: the
// caller pushes bytes with Feed() and the Reader calls back a Handler as soon
// as it knows something. It buffers at most one 512-byte header block and one
// PAX/GNU metadata record (bounded by Limits); entry contents are passed
// through as views into the caller's chunk, without copying.
//
//   class Printer : public tar::Reader::Handler {
//     absl::Status OnEntry(const tar::Entry& e) override { ... }
//     absl::Status OnData(absl::string_view chunk) override { ... }
//     absl::Status OnEntryEnd() override { ... }
//     absl::Status OnRaw(absl::string_view bytes) override { ... }
//   };
//   Printer printer;
//   tar::Reader reader(&printer);
//   while (auto chunk = NextChunk()) RETURN_IF_ERROR(reader.Feed(*chunk));
//   RETURN_IF_ERROR(reader.Finish());
//
// Formats: V7, ustar (with its `prefix` field), star, GNU (type 'L' long
// names, 'K' long link names, base-256 numbers) and PAX ('x' records). The
// rules for what a header means follow Go's archive/tar, which is what Docker
// uses to extract layers, so a layer means the same thing here as there:
//
//  * PAX 'x' records apply to the next entry only; a second 'x' before that
//    entry replaces the first. Keys that apply: path, linkpath, size, uid,
//    gid, mtime (with a fraction: Entry::mtime_nsec) and SCHILY.xattr.*.
//    uname/gname/atime/ctime are checked for syntax and otherwise ignored
//    (Entry has no field for them), other keys are ignored. A record with an
//    empty value keeps the header's value, except for xattrs: an empty xattr
//    value is a value (moby sets it from PAXRecords).
//  * GNU 'L'/'K' apply to the next entry and win over PAX path/linkpath.
//  * PAX global 'g' headers are parsed and validated but NOT applied to later
//    entries: Go reports them as a separate header and Docker ignores them.
//    They are reported through Handler::OnGlobalHeader. A 'g' header also
//    drops any 'x'/'L'/'K' records pending before it, as in Go.
//  * Type '\0' with a name ending in '/' is a directory (old archives).
//  * Hard links, symlinks, devices, FIFOs and directories carry no content,
//    whatever their size field says; their Entry::size is 0.
//  * The end of the archive is two zero blocks. Like Go, the reader also
//    accepts one zero block then end of input, end of input right at a header
//    boundary, and end of input inside the padding after the last entry's
//    content (every content byte was delivered). Bytes after the end marker
//    are not parsed; they go to OnRaw.
//
// Refused, with the entry named in the message:
//  * sparse files (GNU type 'S', PAX GNU.sparse.* records): Unimplemented.
//  * any other type flag (GNU 'D' dump dirs, 'V' volume labels, vendor
//    types...): InvalidArgument. Docker refuses them too ("unhandled tar
//    header type").
//  * negative uid/gid/size, device numbers outside 32 bits: InvalidArgument.
//
// Error codes: InvalidArgument for a malformed header or record (bad
// checksum, bad number, bad PAX syntax, a record larger than Limits),
// DataLoss when the input ends in the middle of a header, record or content,
// FailedPrecondition for Feed() after Finish(). Messages name the entry
// and/or the stream offset of the header. An error is sticky: every later
// Feed()/Finish() returns it again. A status returned by the Handler is
// passed through unchanged (and is sticky too).
#ifndef MYDOCKER_LIB_TAR_READER_H_
#define MYDOCKER_LIB_TAR_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/tar/entry.h"

namespace mydocker::tar {

// Bounds on what a hostile archive can make the reader buffer.
struct Limits {
  // Largest PAX ('x'/'g') or GNU ('L'/'K') record content the reader
  // buffers; larger ones fail with InvalidArgument. Go's archive/tar uses
  // the same 1 MiB.
  int64_t max_record_size = int64_t{1} << 20;
  // Most non-content bytes (padding, header blocks, records) the reader
  // accepts between one entry's content and the next entry, so a chain of
  // metadata headers cannot grow without bound either.
  int64_t max_metadata_size = int64_t{4} << 20;
};

class Reader {
 public:
  // The consumer of a tar stream. Each callback may return an error to stop
  // the reader; it is then returned from Feed()/Finish() as is.
  //
  // Call order for each entry: OnRaw (its header blocks and records, in one
  // or more calls), OnEntry, OnData (zero or more calls, never empty),
  // OnEntryEnd; the entry's padding comes as OnRaw after OnEntryEnd. At the
  // end: OnRaw (end marker), OnArchiveEnd, then OnRaw for any trailing bytes.
  class Handler {
   public:
    virtual ~Handler() = default;
    // A complete entry header, after any PAX 'x' and GNU 'L'/'K' records
    // were applied. `entry` is only valid during the call.
    virtual absl::Status OnEntry(const Entry& entry) = 0;
    // Content bytes of the current entry, in order; their sizes add up to
    // entry.size (padding excluded). `chunk` is only valid during the call.
    virtual absl::Status OnData(absl::string_view chunk) = 0;
    // The current entry's content is complete.
    virtual absl::Status OnEntryEnd() = 0;
    // Every byte of the stream that is not entry content (header blocks,
    // PAX/GNU records, padding, end-of-archive blocks and anything after
    // them) in stream order, so that concatenating OnRaw and OnData bytes in
    // call order gives back the input exactly. Called as soon as bytes are
    // consumed, so a header may arrive in several calls. Never empty.
    virtual absl::Status OnRaw(absl::string_view bytes) = 0;
    // A PAX global header ('g') was read; its records are not applied (see
    // the file comment). `name` is the header's own name, as Go reports it
    // (its own PAX path record, if any, else the header's name field). For
    // consumers that record the archive's structure (tar-split).
    virtual absl::Status OnGlobalHeader(absl::string_view name) {
      (void)name;
      return absl::OkStatus();
    }
    // The archive's end was reached: right after the end-of-archive marker
    // (two zero blocks) was passed to OnRaw, or in Finish() if the input
    // ended without a full marker. Called at most once.
    virtual absl::Status OnArchiveEnd() { return absl::OkStatus(); }
  };

  // `handler` must outlive the Reader.
  explicit Reader(Handler* handler, Limits limits = {});
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Parses the next `bytes` of the stream, in chunks of any size (including
  // 1 byte and empty), calling the handler for what they complete.
  absl::Status Feed(absl::string_view bytes);

  // The end of input. OK if the archive ended cleanly (see the file
  // comment); DataLoss if it was cut inside a header, record or content.
  absl::Status Finish();

  // Bytes consumed so far (the offset in the stream of the next byte).
  uint64_t offset() const { return offset_; }

 private:
  enum class State {
    kHeader,    // Collecting a 512-byte header block.
    kRecord,    // Collecting the content of a PAX or GNU metadata record.
    kData,      // Passing entry content to OnData.
    kPadding,   // Skipping padding up to the next block boundary.
    kTrailing,  // After the end marker: everything goes to OnRaw.
    kFinished,  // Finish() returned OK.
  };

  absl::Status Consume(absl::string_view bytes);
  absl::Status Raw(absl::string_view bytes);
  absl::Status OnBlock();
  absl::Status OnRecordComplete();
  absl::Status StartEntry(Entry entry);
  absl::Status EndArchive();
  void ExpectPadding(int64_t content_size);
  std::string HeaderContext() const;

  Handler* handler_;
  Limits limits_;
  State state_ = State::kHeader;
  absl::Status status_;  // Sticky error.
  uint64_t offset_ = 0;

  char block_[512];
  size_t block_len_ = 0;
  uint64_t block_offset_ = 0;  // Stream offset of the current header.
  bool saw_zero_block_ = false;
  bool ended_ = false;  // OnArchiveEnd was called.

  int64_t content_size_ = 0;     // Of the current entry or record.
  int64_t remaining_ = 0;        // Bytes left in kRecord, kData or kPadding.
  uint64_t metadata_bytes_ = 0;  // Non-content bytes since the last entry.

  // The record being collected (state kRecord) and its header.
  char record_type_ = 0;
  std::string record_;
  std::string record_header_name_;

  // Records pending for the next entry.
  bool have_pax_ = false;
  std::vector<std::pair<std::string, std::string>> pax_;
  bool have_long_name_ = false;
  std::string long_name_;
  bool have_long_link_ = false;
  std::string long_link_;
  bool pending_sparse_ = false;  // pax_ has GNU.sparse.* records.

  std::string entry_name_;  // For messages about the current content.
};

}  // namespace mydocker::tar

#endif  // MYDOCKER_LIB_TAR_READER_H_
