// TarSplitWriter records a layer's tar stream as Docker's tar-split file
// (tar-split.json.gz): every byte of the tar except file contents, plus a
// name, size and CRC-64 per entry, so that the exact tar can be rebuilt
// later from the extracted files (reassemble.h). The format is in format.h.
//
// It is a tar::Reader::Handler: the layer pipeline parses the layer once
// and tees the events to the layer applier and to this writer.
//
//   std::string json_gz;
//   TarSplitWriter tar_split(StringSink(&json_gz));
//   tar::TeeHandler tee({&applier, &tar_split});
//   tar::Reader reader(&tee);
//   ... reader.Feed(chunk) for each decompressed chunk ...
//   RETURN_IF_ERROR(reader.Finish());
//   RETURN_IF_ERROR(tar_split.Finish());
//
// The entries come out exactly as tar-split's asm.NewInputTarStream
// (v0.11.5 and later, what current moby vendors) cuts them, so that tools
// relying on that shape (containers/storage's asm.IterateHeaders) read ours
// too:
//  * before each entry, one segment with everything since the previous
//    entry's content: its padding, then the entry's header block(s) and
//    PAX/GNU records;
//  * then one file entry: the name as the tar gives it (after PAX/GNU
//    records), the content size and its CRC, or size 0 and a null payload
//    for entries without content (directories, links, devices...);
//  * a PAX global header ('g') is an entry of its own too (size 0), as Go's
//    tar reader reports it;
//  * at the end, one segment with the last padding and the end-of-archive
//    blocks, then whatever follows them in segments of at most 1 MiB.
// tar-split before v0.11.5 also wrote an empty segment last; neither
// version needs it to read the file back.
//
// Like tar-split, the writer refuses an archive with two entries for the
// same cleaned path (InvalidArgument): moby's tar-split reader would refuse
// to read such a file back ("duplicates of file paths not supported"), so a
// pull of such a layer fails in dockerd too.
#ifndef MYDOCKER_LIB_TARSPLIT_WRITER_H_
#define MYDOCKER_LIB_TARSPLIT_WRITER_H_

#include <cstdint>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/tar/entry.h"
#include "lib/tar/reader.h"
#include "lib/tarsplit/crc64.h"
#include "lib/tarsplit/format.h"
#include "lib/tarsplit/gzip.h"
#include "lib/tarsplit/sink.h"

namespace mydocker::tarsplit {

class TarSplitWriter : public tar::Reader::Handler {
 public:
  // Gzip-compressed output goes to `sink` as it is produced.
  explicit TarSplitWriter(Sink sink, int gzip_level = Z_DEFAULT_COMPRESSION);

  // tar::Reader::Handler. The writer holds the raw bytes between two
  // entries in memory; tar::Reader's Limits bound them.
  absl::Status OnEntry(const tar::Entry& entry) override;
  absl::Status OnData(absl::string_view chunk) override;
  absl::Status OnEntryEnd() override;
  absl::Status OnRaw(absl::string_view bytes) override;
  absl::Status OnGlobalHeader(absl::string_view name) override;
  absl::Status OnArchiveEnd() override;

  // Writes the last segment and the gzip trailer. Call it after the
  // Reader's Finish() returned OK; FailedPrecondition if the archive's end
  // was never reported.
  absl::Status Finish();

 private:
  absl::Status Emit(Entry entry);
  absl::Status FlushSegment(size_t max_bytes);
  absl::Status AddFile(absl::string_view name, int64_t size,
                       std::optional<std::string> payload);
  absl::Status Sticky(absl::Status s);

  GzipWriter gzip_;
  std::string pending_;  // Raw bytes not yet in a segment.
  int64_t position_ = 0;
  std::set<std::string> seen_;  // Cleaned names of the file entries.
  bool in_entry_ = false;
  std::string entry_name_;
  int64_t entry_size_ = 0;
  int64_t entry_seen_ = 0;
  Crc64 crc_;
  bool archive_ended_ = false;
  bool finished_ = false;
  absl::Status status_;  // Sticky.
};

}  // namespace mydocker::tarsplit

#endif  // MYDOCKER_LIB_TARSPLIT_WRITER_H_
