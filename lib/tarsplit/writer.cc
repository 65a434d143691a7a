#include "lib/tarsplit/writer.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

namespace mydocker::tarsplit {
namespace {

// tar-split reads what follows the end-of-archive marker 1 MiB at a time
// and writes a segment per read.
constexpr size_t kTrailingSegmentSize = 1 << 20;

}  // namespace

TarSplitWriter::TarSplitWriter(Sink sink, int gzip_level)
    : gzip_(std::move(sink), gzip_level) {}

absl::Status TarSplitWriter::Sticky(absl::Status s) {
  if (status_.ok()) status_ = s;
  return s;
}

absl::Status TarSplitWriter::Emit(Entry entry) {
  entry.position = position_++;
  return gzip_.Write(EncodeEntry(entry));
}

absl::Status TarSplitWriter::FlushSegment(size_t max_bytes) {
  size_t n = std::min(max_bytes, pending_.size());
  if (n == 0) return absl::OkStatus();
  Entry e;
  e.type = EntryType::kSegment;
  e.payload = pending_.substr(0, n);
  pending_.erase(0, n);
  return Emit(std::move(e));
}

absl::Status TarSplitWriter::AddFile(absl::string_view name, int64_t size,
                                     std::optional<std::string> payload) {
  if (!seen_.insert(CleanPath(name)).second) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tar-split: two entries for path \"", absl::CHexEscape(name),
        "\": tar-split (and so Docker) cannot record such an archive"));
  }
  Entry e;
  e.type = EntryType::kFile;
  e.name = std::string(name);
  e.size = size;
  e.payload = std::move(payload);
  return Emit(std::move(e));
}

absl::Status TarSplitWriter::OnEntry(const tar::Entry& entry) {
  if (!status_.ok()) return status_;
  if (in_entry_ || archive_ended_) {
    return Sticky(
        absl::FailedPreconditionError("tar-split: OnEntry out of order"));
  }
  RETURN_IF_ERROR(Sticky(FlushSegment(pending_.size())));
  in_entry_ = true;
  entry_name_ = entry.name;
  entry_size_ = entry.size;
  entry_seen_ = 0;
  crc_.Reset();
  return absl::OkStatus();
}

absl::Status TarSplitWriter::OnData(absl::string_view chunk) {
  if (!status_.ok()) return status_;
  entry_seen_ += static_cast<int64_t>(chunk.size());
  if (!in_entry_ || entry_seen_ > entry_size_) {
    return Sticky(absl::FailedPreconditionError(absl::StrCat(
        "tar-split: content outside of an entry or beyond its size (\"",
        absl::CHexEscape(entry_name_), "\")")));
  }
  crc_.Update(chunk);
  return absl::OkStatus();
}

absl::Status TarSplitWriter::OnEntryEnd() {
  if (!status_.ok()) return status_;
  if (!in_entry_ || entry_seen_ != entry_size_) {
    return Sticky(absl::FailedPreconditionError(absl::StrCat(
        "tar-split: entry \"", absl::CHexEscape(entry_name_), "\" ended after ",
        entry_seen_, " of ", entry_size_, " bytes")));
  }
  in_entry_ = false;
  std::optional<std::string> payload;
  if (entry_size_ > 0) payload = crc_.BigEndianBytes();
  return Sticky(AddFile(entry_name_, entry_size_, std::move(payload)));
}

absl::Status TarSplitWriter::OnRaw(absl::string_view bytes) {
  if (!status_.ok()) return status_;
  pending_.append(bytes.data(), bytes.size());
  if (archive_ended_) {
    while (pending_.size() >= kTrailingSegmentSize) {
      RETURN_IF_ERROR(Sticky(FlushSegment(kTrailingSegmentSize)));
    }
  }
  return absl::OkStatus();
}

absl::Status TarSplitWriter::OnGlobalHeader(absl::string_view name) {
  if (!status_.ok()) return status_;
  RETURN_IF_ERROR(Sticky(FlushSegment(pending_.size())));
  return Sticky(AddFile(name, 0, std::nullopt));
}

absl::Status TarSplitWriter::OnArchiveEnd() {
  if (!status_.ok()) return status_;
  archive_ended_ = true;
  return Sticky(FlushSegment(pending_.size()));
}

absl::Status TarSplitWriter::Finish() {
  if (!status_.ok()) return status_;
  if (finished_) {
    return absl::FailedPreconditionError("tar-split: Finish called twice");
  }
  if (!archive_ended_ || in_entry_) {
    return Sticky(absl::FailedPreconditionError(
        "tar-split: Finish before the end of the archive was read"));
  }
  finished_ = true;
  RETURN_IF_ERROR(Sticky(FlushSegment(pending_.size())));
  return Sticky(gzip_.Finish());
}

}  // namespace mydocker::tarsplit
