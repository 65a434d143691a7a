// Test helpers for code that reads tars: hand-built headers and records, the
// checked-in fixtures, and a Handler that records what a Reader reports.
// testonly.
//
//   std::string tar = File("a.txt", "hello") + EndMarker();
//   RecordingHandler rec;
//   Reader reader(&rec);
//   ASSERT_TRUE(reader.Feed(tar).ok());
//   EXPECT_EQ(rec.entries()[0].name, "a.txt");
#ifndef MYDOCKER_LIB_TAR_TESTING_H_
#define MYDOCKER_LIB_TAR_TESTING_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/tar/entry.h"
#include "lib/tar/reader.h"

namespace mydocker::tar::testing {

// The fields of a hand-built header. The defaults make a ustar regular file.
struct HeaderFields {
  enum class Magic { kUstar, kGnu, kV7 };
  std::string name{};
  char typeflag = '0';
  std::string linkname{};
  int64_t mode = 0644;
  int64_t uid = 1000;
  int64_t gid = 1000;
  int64_t size = 0;
  int64_t mtime = 1700000000;
  int64_t devmajor = 0;
  int64_t devminor = 0;
  std::string prefix{};  // ustar only.
  Magic magic = Magic::kUstar;
};

// One 512-byte header block with a valid checksum. Numbers are written in
// octal; use SetField for anything else.
std::string Header(const HeaderFields& fields);
// Overwrites `bytes` at `offset` of a header block (padding with NULs up to
// `length` if given) and recomputes its checksum.
void SetField(std::string* block, size_t offset, absl::string_view bytes,
              size_t length = 0);
// Recomputes the checksum field of a header block.
void FixChecksum(std::string* block);
// `content` followed by NULs up to the next 512-byte boundary.
std::string Padded(absl::string_view content);
// A regular file entry: header, content, padding.
std::string File(absl::string_view name, absl::string_view content);
// One PAX record, "<len> key=value\n", with its length right.
std::string PaxRecord(absl::string_view key, absl::string_view value);
// A PAX header ('x', or 'g' for global) holding `records` (concatenated
// PaxRecord strings).
std::string Pax(absl::string_view records, char typeflag = 'x');
// A GNU 'L' (long name) or 'K' (long link name) record for `value`.
std::string GnuLong(char typeflag, absl::string_view value);
// Two zero blocks.
std::string EndMarker();

// The first `n` bytes of "mydocker tar fixture\n" repeated: the content of
// every file in the checked-in fixtures.
std::string FixtureContent(size_t n);
// A file from the source tree, read through the test's runfiles, by its
// workspace-relative path ("lib/tar/testdata/gnu.tar"). Aborts the test
// binary if it cannot be read.
std::string ReadRunfile(absl::string_view path);

// Entry fields as one line, for comparisons and failure messages.
std::string Describe(const Entry& entry);

// Records every Reader event. Adjacent OnRaw calls and adjacent OnData
// calls are merged, so that the same stream fed in different chunk sizes
// gives the same events().
class RecordingHandler : public Reader::Handler {
 public:
  absl::Status OnEntry(const Entry& entry) override;
  absl::Status OnData(absl::string_view chunk) override;
  absl::Status OnEntryEnd() override;
  absl::Status OnRaw(absl::string_view bytes) override;
  absl::Status OnGlobalHeader(absl::string_view name) override;
  absl::Status OnArchiveEnd() override;

  // "entry <Describe>", "data <bytes>", "end-entry", "raw <bytes>",
  // "global <name>", "end-archive".
  const std::vector<std::string>& events() const { return events_; }
  const std::vector<Entry>& entries() const { return entries_; }
  // Content of each regular entry, by entry index.
  const std::map<size_t, std::string>& contents() const { return contents_; }
  // All OnRaw and OnData bytes, in call order.
  const std::string& stream() const { return stream_; }
  // Every check that the call order obeys the Handler contract; empty if
  // it did.
  const std::vector<std::string>& violations() const { return violations_; }

  // Makes the n-th (0-based) callback of any kind fail with `status`.
  void FailAt(int n, absl::Status status) {
    fail_at_ = n;
    fail_status_ = std::move(status);
  }

 private:
  absl::Status Count();
  void Add(std::string kind, absl::string_view payload);

  std::vector<std::string> events_;
  std::vector<Entry> entries_;
  std::map<size_t, std::string> contents_;
  std::string stream_;
  std::vector<std::string> violations_;
  std::string last_kind_;
  bool in_entry_ = false;
  int64_t data_left_ = 0;
  bool archive_ended_ = false;
  int calls_ = 0;
  int fail_at_ = -1;
  absl::Status fail_status_;
};

// Feeds `tar` to a Reader over `handler` in chunks of `chunk_size` bytes
// (0: all at once), then calls Finish(). Returns the first error.
absl::Status FeedInChunks(absl::string_view tar, size_t chunk_size,
                          Reader::Handler* handler, Limits limits = {});

}  // namespace mydocker::tar::testing

#endif  // MYDOCKER_LIB_TAR_TESTING_H_
