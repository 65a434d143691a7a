#include "lib/tarsplit/writer.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/compress/decompressor.h"
#include "lib/tar/reader.h"
#include "lib/tar/testing.h"
#include "lib/tarsplit/format.h"
#include "lib/tarsplit/gzip.h"
#include "lib/tarsplit/sink.h"

namespace mydocker::tarsplit {
namespace {

using ::mydocker::tar::testing::EndMarker;
using ::mydocker::tar::testing::FeedInChunks;
using ::mydocker::tar::testing::File;
using ::mydocker::tar::testing::Header;
using ::mydocker::tar::testing::Pax;
using ::mydocker::tar::testing::PaxRecord;
using ::mydocker::tar::testing::ReadRunfile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const char* const kFixtures[] = {
    "git_archive", "gnu",        "gnu_base256", "gnu_posix",
    "gnu_v7",      "python_gnu", "python_pax",  "python_ustar",
};

std::string Gunzip(absl::string_view gz) {
  std::string out;
  auto reader = compress::Decompressor::Create(
      manifest::Compression::kGzip, [&](absl::string_view b) {
        out.append(b.data(), b.size());
        return absl::OkStatus();
      });
  EXPECT_TRUE(reader.ok());
  EXPECT_TRUE((*reader)->Feed(gz).ok());
  EXPECT_TRUE((*reader)->Finish().ok());
  return out;
}

// The tar-split of `tar`, decompressed, read in `chunk`-byte pieces.
absl::StatusOr<std::string> TarSplitJson(absl::string_view tar,
                                         size_t chunk = 0) {
  std::string gz;
  TarSplitWriter writer(StringSink(&gz));
  absl::Status s = FeedInChunks(tar, chunk, &writer);
  if (!s.ok()) return s;
  s = writer.Finish();
  if (!s.ok()) return s;
  return Gunzip(gz);
}

std::vector<Entry> Decode(absl::string_view json) {
  std::vector<Entry> out;
  for (absl::string_view line : absl::StrSplit(json, '\n', absl::SkipEmpty())) {
    absl::StatusOr<Entry> e = DecodeEntry(line);
    EXPECT_TRUE(e.ok()) << e.status();
    if (e.ok()) out.push_back(*e);
  }
  return out;
}

// One-line summaries: "S<n bytes>" for a segment, "F<name>:<size>" for a file.
std::vector<std::string> Shape(absl::string_view json) {
  std::vector<std::string> out;
  for (const Entry& e : Decode(json)) {
    if (e.type == EntryType::kSegment) {
      out.push_back(absl::StrCat("S", e.payload ? e.payload->size() : 0));
    } else {
      out.push_back(absl::StrCat("F", e.name, ":", e.size));
    }
  }
  return out;
}

// The decompressed JSON must be byte for byte what the real tar-split (the
// Debian tar-split 0.11.2 CLI, `tar-split disasm`) wrote for the same tar,
// except that 0.11.2 still ends with an empty segment which later versions
// (and we) no longer write.
TEST(TarSplitWriterTest, MatchesTheRealTarSplit) {
  for (const char* name : kFixtures) {
    SCOPED_TRACE(name);
    std::string golden = Gunzip(ReadRunfile(
        absl::StrCat("lib/tarsplit/testdata/", name, ".tar-split.json.gz")));
    std::vector<Entry> golden_entries = Decode(golden);
    ASSERT_FALSE(golden_entries.empty());
    const Entry& last = golden_entries.back();
    ASSERT_EQ(last.type, EntryType::kSegment);
    ASSERT_EQ(last.payload, "");
    std::string want = absl::StrCat(
        golden.substr(0, golden.rfind("{\"type\":2,\"payload\":\"\"")));

    std::string tar =
        ReadRunfile(absl::StrCat("lib/tar/testdata/", name, ".tar"));
    for (size_t chunk : {0, 1, 7, 512}) {
      SCOPED_TRACE(chunk);
      absl::StatusOr<std::string> got = TarSplitJson(tar, chunk);
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(*got, want);
    }
  }
}

TEST(TarSplitWriterTest, SegmentsAroundEntries) {
  std::string tar = File("a", "hello") +
                    Header({.name = "d/", .typeflag = '5'}) + EndMarker() +
                    std::string(100, '\0');
  absl::StatusOr<std::string> json = TarSplitJson(tar);
  ASSERT_TRUE(json.ok()) << json.status();
  // Header | file | padding+header | dir | end marker | trailing bytes.
  EXPECT_THAT(Shape(*json),
              ElementsAre("S512", "Fa:5", "S1019", "Fd/:0", "S1024", "S100"));
  std::vector<Entry> entries = Decode(*json);
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].position, static_cast<int64_t>(i));
  }
  // CRC-64/ISO of "hello" (computed bit by bit in Python), big-endian.
  EXPECT_EQ(entries[1].payload,
            std::string("\x3c\x3e\xee\xe2\xd8\x10\x00\x00", 8));
  EXPECT_EQ(entries[3].payload, std::nullopt);
}

TEST(TarSplitWriterTest, ArchivesWithoutAFullEndMarker) {
  std::string one = File("a", "x");
  absl::StatusOr<std::string> json = TarSplitJson(one);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(Shape(*json), ElementsAre("S512", "Fa:1", "S511"));
  json = TarSplitJson(one + std::string(512, '\0'));
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(Shape(*json), ElementsAre("S512", "Fa:1", "S1023"));
  json = TarSplitJson("");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json, "");
}

TEST(TarSplitWriterTest, TrailingBytesInOneMebibyteSegments) {
  std::string tar =
      File("a", "x") + EndMarker() + std::string((5 << 19) + 3, 'z');
  absl::StatusOr<std::string> json = TarSplitJson(tar, 100000);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(Shape(*json), ElementsAre("S512", "Fa:1", "S1535", "S1048576",
                                        "S1048576", "S524291"));
}

TEST(TarSplitWriterTest, GlobalHeadersAreFileEntries) {
  std::string tar =
      Pax(PaxRecord("comment", "c"), 'g') + File("a", "") + EndMarker();
  absl::StatusOr<std::string> json = TarSplitJson(tar);
  ASSERT_TRUE(json.ok()) << json.status();
  // The record's padding goes with the next header, as in Go's reader.
  EXPECT_THAT(Shape(*json), ElementsAre("S525", "Fpax_global_header:0", "S1011",
                                        "Fa:0", "S1024"));
}

TEST(TarSplitWriterTest, DuplicatePathsAreRefusedLikeTarSplit) {
  for (const char* second : {"a", "./a", "a/", "b/../a"}) {
    std::string tar = File("a", "1") + File(second, "2") + EndMarker();
    absl::StatusOr<std::string> json = TarSplitJson(tar);
    EXPECT_EQ(json.status().code(), absl::StatusCode::kInvalidArgument)
        << second;
    EXPECT_THAT(json.status().message(), HasSubstr("two entries for path"));
  }
  EXPECT_TRUE(TarSplitJson(File("a", "1") + File("b", "2") + EndMarker()).ok());
  // Go's filepath.Clean keeps the leading slash: "/a" is another path.
  EXPECT_TRUE(
      TarSplitJson(File("a", "1") + File("/a", "2") + EndMarker()).ok());
}

TEST(TarSplitWriterTest, FinishNeedsTheEndOfTheArchive) {
  std::string gz;
  TarSplitWriter writer(StringSink(&gz));
  tar::Reader reader(&writer);
  ASSERT_TRUE(reader.Feed(File("a", "hello")).ok());
  absl::Status s = writer.Finish();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
}

TEST(TarSplitWriterTest, SinkErrorsAreReturned) {
  TarSplitWriter writer(
      [](absl::string_view) { return absl::ResourceExhaustedError("full"); });
  absl::Status s = FeedInChunks(File("a", "x") + EndMarker(), 0, &writer);
  if (s.ok()) s = writer.Finish();  // Small output: it fails at the flush.
  EXPECT_EQ(s, absl::ResourceExhaustedError("full"));
}

}  // namespace
}  // namespace mydocker::tarsplit
