#include "lib/tar/reader.h"

#include <cstdint>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/tar/entry.h"
#include "lib/tar/testing.h"

namespace mydocker::tar {
namespace {

using ::mydocker::tar::testing::Describe;
using ::mydocker::tar::testing::EndMarker;
using ::mydocker::tar::testing::FeedInChunks;
using ::mydocker::tar::testing::File;
using ::mydocker::tar::testing::FixtureContent;
using ::mydocker::tar::testing::GnuLong;
using ::mydocker::tar::testing::Header;
using ::mydocker::tar::testing::HeaderFields;
using ::mydocker::tar::testing::Padded;
using ::mydocker::tar::testing::Pax;
using ::mydocker::tar::testing::PaxRecord;
using ::mydocker::tar::testing::ReadRunfile;
using ::mydocker::tar::testing::RecordingHandler;
using ::mydocker::tar::testing::SetField;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// The fixtures the reader must accept (see testdata/make_fixtures.sh).
const char* const kGoodFixtures[] = {
    "git_archive", "gnu",        "gnu_base256", "gnu_posix",
    "gnu_v7",      "python_gnu", "python_pax",  "python_ustar",
};

std::string Fixture(absl::string_view name) {
  return ReadRunfile(absl::StrCat("lib/tar/testdata/", name, ".tar"));
}

// Parses `tar` in one piece; fails the test on a parse error.
RecordingHandler MustParse(absl::string_view tar) {
  RecordingHandler rec;
  absl::Status s = FeedInChunks(tar, 0, &rec);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(rec.violations(), ::testing::IsEmpty());
  return rec;
}

absl::Status ParseError(absl::string_view tar, Limits limits = {}) {
  RecordingHandler rec;
  return FeedInChunks(tar, 0, &rec, limits);
}

const Entry* Find(const RecordingHandler& rec, absl::string_view name) {
  for (const Entry& e : rec.entries()) {
    if (e.name == name) return &e;
  }
  ADD_FAILURE() << "no entry " << name;
  static const Entry kNone;
  return &kNone;
}

// --- The checked-in fixtures ----------------------------------------------

TEST(ReaderFixtureTest, ChunkSizesGiveTheSameEventsAndTheInputBack) {
  for (const char* name : kGoodFixtures) {
    SCOPED_TRACE(name);
    std::string tar = Fixture(name);
    RecordingHandler whole;
    ASSERT_TRUE(FeedInChunks(tar, 0, &whole).ok());
    EXPECT_EQ(whole.stream(), tar);  // OnRaw + OnData == input, byte for byte.
    EXPECT_THAT(whole.violations(), ::testing::IsEmpty());
    EXPECT_EQ(whole.events().back().substr(0, 3), "raw");  // Record padding.
    for (size_t chunk : {1, 7, 512, 4096}) {
      SCOPED_TRACE(chunk);
      RecordingHandler rec;
      absl::Status s = FeedInChunks(tar, chunk, &rec);
      ASSERT_TRUE(s.ok()) << s;
      EXPECT_EQ(rec.events(), whole.events());
      EXPECT_EQ(rec.stream(), tar);
      EXPECT_THAT(rec.violations(), ::testing::IsEmpty());
    }
  }
}

TEST(ReaderFixtureTest, ContentOfEveryRegularFile) {
  for (const char* name : kGoodFixtures) {
    SCOPED_TRACE(name);
    RecordingHandler rec = MustParse(Fixture(name));
    ASSERT_FALSE(rec.entries().empty());
    for (const auto& [index, content] : rec.contents()) {
      const Entry& e = rec.entries()[index];
      EXPECT_EQ(content.size(), static_cast<size_t>(e.size)) << e.name;
      EXPECT_EQ(content, FixtureContent(content.size())) << e.name;
    }
  }
}

// Python's tarfile, ustar format: every entry type, and a path that only
// fits with the `prefix` field.
TEST(ReaderFixtureTest, PythonUstar) {
  RecordingHandler rec = MustParse(Fixture("python_ustar"));
  ASSERT_EQ(rec.entries().size(), 14u);
  const Entry& dir = rec.entries()[0];
  EXPECT_EQ(dir.name, "dir/");
  EXPECT_EQ(dir.type, EntryType::kDirectory);
  EXPECT_EQ(dir.mode, 0755u);
  EXPECT_EQ(dir.uid, 1000);
  EXPECT_EQ(dir.gid, 1000);
  EXPECT_EQ(dir.mtime_sec, 1700000000);
  EXPECT_EQ(dir.mtime_nsec, 0);
  for (int n : {0, 1, 511, 512, 513}) {
    const Entry* f = Find(rec, absl::StrCat("dir/f", n));
    EXPECT_EQ(f->type, EntryType::kRegular);
    EXPECT_EQ(f->size, n);
    EXPECT_EQ(f->mode, 0644u);
  }
  EXPECT_EQ(Find(rec, "dir/setuid")->mode, 04755u);
  const Entry* link = Find(rec, "dir/link");
  EXPECT_EQ(link->type, EntryType::kSymlink);
  EXPECT_EQ(link->linkname, "f1");
  EXPECT_EQ(link->size, 0);
  const Entry* hard = Find(rec, "dir/hard");
  EXPECT_EQ(hard->type, EntryType::kHardlink);
  EXPECT_EQ(hard->linkname, "dir/f1");
  EXPECT_EQ(Find(rec, "dir/fifo")->type, EntryType::kFifo);
  const Entry* null = Find(rec, "dir/null");
  EXPECT_EQ(null->type, EntryType::kCharDevice);
  EXPECT_EQ(null->devmajor, 1u);
  EXPECT_EQ(null->devminor, 3u);
  EXPECT_EQ(null->mode, 0666u);
  const Entry* sda = Find(rec, "dir/sda");
  EXPECT_EQ(sda->type, EntryType::kBlockDevice);
  EXPECT_EQ(sda->devmajor, 8u);
  EXPECT_EQ(sda->devminor, 0u);
  const std::string long_dir =
      std::string(60, 'p') + "/" + std::string(60, 'q') + "/";
  EXPECT_EQ(rec.entries()[12].name, long_dir);
  EXPECT_EQ(rec.entries()[12].type, EntryType::kDirectory);
  EXPECT_EQ(rec.entries()[13].name, long_dir + "file.txt");
  EXPECT_EQ(rec.entries()[13].size, 21);
}

// Python's tarfile, PAX format: a global header, long path and linkpath,
// xattrs (one binary, one empty), a fractional mtime, ids above 2^31, and
// names that need escaping.
TEST(ReaderFixtureTest, PythonPax) {
  RecordingHandler rec = MustParse(Fixture("python_pax"));
  ASSERT_EQ(rec.entries().size(), 19u);
  EXPECT_THAT(rec.events(), ::testing::Contains("global ././@PaxHeader"));
  const std::string long_name =
      std::string(50, 'd') + "/" + std::string(150, 'n');
  EXPECT_EQ(Find(rec, long_name)->size, 5);
  EXPECT_EQ(Find(rec, "dir/longlink")->linkname, std::string(200, 't'));
  EXPECT_THAT(
      Find(rec, "dir/xattrs")->xattrs,
      ElementsAre(Pair("user.mime_type", "text/plain"),
                  Pair("security.capability",
                       std::string("\x01\x00\x00\x02\x00\x20\x00\x00", 8)),
                  Pair("user.empty", "")));
  const Entry* frac = Find(rec, "dir/frac");
  EXPECT_EQ(frac->mtime_sec, 1700000000);
  EXPECT_EQ(frac->mtime_nsec, 250000000);
  const Entry* big = Find(rec, "dir/bigid");
  EXPECT_EQ(big->uid, 3000000000);
  EXPECT_EQ(big->gid, 3000000001);
  EXPECT_EQ(Find(rec, "dir/caf\xc3\xa9")->size, 4);
  EXPECT_EQ(Find(rec, "dir/esc<&>\"\\\x01\n\xe2\x80\xa8")->size, 6);
  // The global header's comment did not leak into any entry.
  for (const Entry& e : rec.entries()) {
    if (e.name != "dir/xattrs") {
      EXPECT_TRUE(e.xattrs.empty()) << e.name;
    }
  }
}

// Python's tarfile, GNU format: 'L' and 'K' records, base-256 ids.
TEST(ReaderFixtureTest, PythonGnu) {
  RecordingHandler rec = MustParse(Fixture("python_gnu"));
  ASSERT_EQ(rec.entries().size(), 15u);
  const std::string long_name =
      std::string(50, 'd') + "/" + std::string(150, 'n');
  EXPECT_EQ(rec.entries()[12].name, long_name);
  EXPECT_EQ(rec.entries()[12].size, 7);
  EXPECT_EQ(rec.entries()[13].linkname, std::string(200, 't'));
  EXPECT_EQ(rec.entries()[13].type, EntryType::kSymlink);
  EXPECT_EQ(rec.entries()[14].uid, 3000000000);
  EXPECT_EQ(rec.entries()[14].gid, 3000000001);
}

// GNU tar 1.34, --format=gnu: a file name that is not UTF-8, a 10000-byte
// file, a char device.
TEST(ReaderFixtureTest, GnuTar) {
  RecordingHandler rec = MustParse(Fixture("gnu"));
  ASSERT_EQ(rec.entries().size(), 16u);
  EXPECT_EQ(Find(rec, "tree/latin1-\xff")->size, 6);
  EXPECT_EQ(Find(rec, "tree/f10000")->size, 10000);
  EXPECT_EQ(Find(rec, "tree/sub/" + std::string(120, 'x'))->size, 33);
  std::string target;
  for (int i = 0; i < 20; ++i) target += "target";
  EXPECT_EQ(Find(rec, "tree/longsym")->linkname, target);
  const Entry* zero = Find(rec, "tree/zero");
  EXPECT_EQ(zero->type, EntryType::kCharDevice);
  EXPECT_EQ(zero->devmajor, 1u);
  EXPECT_EQ(zero->devminor, 5u);
  EXPECT_EQ(Find(rec, "tree/hard")->linkname, "tree/f1");
}

// GNU tar, --format=posix --xattrs: PAX path for the long name, xattrs and
// a nanosecond mtime.
TEST(ReaderFixtureTest, GnuTarPosix) {
  RecordingHandler rec = MustParse(Fixture("gnu_posix"));
  ASSERT_EQ(rec.entries().size(), 16u);
  const Entry* x = Find(rec, "tree/xattrs");
  EXPECT_THAT(x->xattrs, ElementsAre(Pair("user.one", "first"),
                                     Pair("user.two", "second")));
  EXPECT_EQ(x->mtime_sec, 1700000000);
  EXPECT_EQ(x->mtime_nsec, 123456789);
  EXPECT_EQ(Find(rec, "tree/sub/" + std::string(120, 'x'))->size, 33);
  EXPECT_EQ(Find(rec, "tree/latin1-\xff")->size, 6);
}

TEST(ReaderFixtureTest, GnuTarBase256Ids) {
  RecordingHandler rec = MustParse(Fixture("gnu_base256"));
  ASSERT_EQ(rec.entries().size(), 3u);
  for (const Entry& e : rec.entries()) {
    EXPECT_EQ(e.uid, 3000000) << e.name;
    EXPECT_EQ(e.gid, 3000001) << e.name;
  }
}

TEST(ReaderFixtureTest, GnuTarV7) {
  RecordingHandler rec = MustParse(Fixture("gnu_v7"));
  ASSERT_EQ(rec.entries().size(), 4u);
  EXPECT_EQ(rec.entries()[0].type, EntryType::kDirectory);
  EXPECT_EQ(rec.entries()[1].size, 100);
  EXPECT_EQ(rec.entries()[2].type, EntryType::kHardlink);
  EXPECT_EQ(rec.entries()[3].linkname, "file");
}

// git archive starts with a pax_global_header holding the commit id.
TEST(ReaderFixtureTest, GitArchive) {
  RecordingHandler rec = MustParse(Fixture("git_archive"));
  ASSERT_EQ(rec.entries().size(), 3u);
  EXPECT_EQ(rec.events()[1], "global pax_global_header");
  EXPECT_EQ(rec.entries()[0].name, "README");
  EXPECT_EQ(rec.entries()[0].mode, 0664u);
  EXPECT_EQ(rec.entries()[2].name, "src/main.c");
  EXPECT_EQ(rec.entries()[2].size, 600);
}

TEST(ReaderFixtureTest, SparseFilesAreRefused) {
  absl::Status gnu = ParseError(Fixture("sparse_gnu"));
  EXPECT_EQ(gnu.code(), absl::StatusCode::kUnimplemented) << gnu;
  EXPECT_THAT(gnu.message(), HasSubstr("\"sparse/holes\""));
  absl::Status pax = ParseError(Fixture("sparse_pax"));
  EXPECT_EQ(pax.code(), absl::StatusCode::kUnimplemented) << pax;
  EXPECT_THAT(pax.message(), HasSubstr("\"sparse/holes\""));
  EXPECT_THAT(pax.message(), HasSubstr("GNU.sparse"));
}

// Random damage to real archives never crashes or over-reads (run under
// ASan), and whatever is accepted still comes back byte for byte.
TEST(ReaderFixtureTest, DamagedArchivesFailCleanly) {
  std::mt19937 rng(42);
  int accepted = 0, rejected = 0;
  for (const char* name : kGoodFixtures) {
    std::string tar = Fixture(name);
    for (int round = 0; round < 200; ++round) {
      std::string damaged = tar;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < flips; ++i) {
        // Mostly in headers (the first 4 KiB), where damage matters.
        size_t at = rng() % std::min<size_t>(damaged.size(), 4096);
        damaged[at] = static_cast<char>(rng());
      }
      if (rng() % 4 == 0) damaged.resize(rng() % damaged.size());
      RecordingHandler rec;
      absl::Status s = FeedInChunks(damaged, 1 + rng() % 700, &rec);
      if (s.ok()) {
        ++accepted;
        EXPECT_EQ(rec.stream(), damaged);
      } else {
        ++rejected;
        EXPECT_THAT(s.code(),
                    ::testing::AnyOf(absl::StatusCode::kInvalidArgument,
                                     absl::StatusCode::kDataLoss,
                                     absl::StatusCode::kUnimplemented))
            << s;
      }
      EXPECT_THAT(rec.violations(), ::testing::IsEmpty());
    }
  }
  EXPECT_GT(accepted, 0);
  EXPECT_GT(rejected, 0);
}

// --- Hand-built archives: structure -----------------------------------------

TEST(ReaderTest, EventOrderForOneFile) {
  std::string tar = File("a.txt", "hello") + EndMarker();
  RecordingHandler rec = MustParse(tar);
  ASSERT_EQ(rec.events().size(), 6u);
  EXPECT_EQ(rec.events()[0], "raw " + tar.substr(0, 512));
  EXPECT_THAT(rec.events()[1], HasSubstr("entry name=\"a.txt\""));
  EXPECT_EQ(rec.events()[2], "data hello");
  EXPECT_EQ(rec.events()[3], "end-entry ");
  EXPECT_EQ(rec.events()[4], "raw " + tar.substr(517));  // Padding + end.
  EXPECT_EQ(rec.events()[5], "end-archive ");
}

TEST(ReaderTest, PaddingForSizesAroundABlock) {
  for (size_t n : {0, 1, 511, 512, 513, 1024, 1025}) {
    SCOPED_TRACE(n);
    std::string content = FixtureContent(n);
    std::string tar = File("f", content) + File("g", "x") + EndMarker();
    for (size_t chunk : {1, 7, 512, 0}) {
      RecordingHandler rec;
      ASSERT_TRUE(FeedInChunks(tar, chunk, &rec).ok());
      ASSERT_EQ(rec.entries().size(), 2u);
      EXPECT_EQ(rec.contents().at(0), content);
      EXPECT_EQ(rec.contents().at(1), "x");
      EXPECT_EQ(rec.stream(), tar);
      EXPECT_THAT(rec.violations(), ::testing::IsEmpty());
    }
  }
}

TEST(ReaderTest, EndOfArchiveVariants) {
  std::string one = File("a", "data");
  // Two zero blocks, then bytes that are not parsed but still reported.
  std::string trailing = std::string(3000, '\0') + "garbage";
  RecordingHandler rec = MustParse(one + EndMarker() + trailing);
  EXPECT_EQ(rec.events()[rec.events().size() - 2], "end-archive ");
  EXPECT_EQ(rec.events().back(), "raw " + trailing);
  // Accepted like Go: one zero block then EOF, EOF at a header boundary,
  // EOF inside the last padding, an empty input.
  for (std::string tar : {one + std::string(512, '\0'), one,
                          one.substr(0, 512 + 4 + 100), std::string()}) {
    RecordingHandler r = MustParse(tar);
    EXPECT_EQ(r.events().back(), "end-archive ");
    EXPECT_EQ(r.stream(), tar);
  }
}

TEST(ReaderTest, TruncationIsDataLoss) {
  std::string tar = File("dir/a", FixtureContent(1000)) + EndMarker();
  struct Case {
    size_t length;
    const char* message;
  } cases[] = {
      {100, "inside the header block at offset 0 (100 of 512 bytes)"},
      {512,
       "tar entry \"dir/a\" at offset 0: input ends inside its content "
       "(1000 of 1000 bytes missing)"},
      {1000, "(512 of 1000 bytes missing)"},
      {1536 + 512 + 10, "inside the header block at offset 2048"},
  };
  for (const Case& c : cases) {
    absl::Status s = ParseError(tar.substr(0, c.length));
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_THAT(s.message(), HasSubstr(c.message));
  }
  std::string pax = Pax(PaxRecord("path", "long")) + File("a", "b");
  absl::Status s = ParseError(pax.substr(0, 512 + 5));
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(s.message(), HasSubstr("metadata record"));
}

TEST(ReaderTest, ZeroBlockThenHeaderIsRejected) {
  std::string tar = File("a", "b") + std::string(512, '\0') + File("c", "d");
  absl::Status s = ParseError(tar);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("offset 1536 follows a zero block"));
}

// --- Hand-built archives: header fields
// ---------------------------------------

TEST(ReaderTest, ChecksumMismatchNamesTheHeader) {
  std::string tar = File("a", "b") + File("second", "c") + EndMarker();
  tar[1024 + 10] = 'X';  // In "second"'s name field, after the NUL.
  absl::Status s = ParseError(tar);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("tar header \"second\" at offset 1024"));
  EXPECT_THAT(s.message(), HasSubstr("checksum mismatch"));
  // Not a tar at all.
  s = ParseError(std::string(512, 'x'));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST(ReaderTest, SignedChecksumIsAccepted) {
  std::string h = Header({.name = "caf\xc3\xa9"});
  // Write the checksum as old tars did: the sum of signed chars.
  h.replace(148, 8, "        ");
  int sum = 0;
  for (char c : h) sum += static_cast<signed char>(c);
  h.replace(148, 8, absl::StrFormat("%06o", sum) + std::string("\0 ", 2));
  RecordingHandler rec = MustParse(h + EndMarker());
  EXPECT_EQ(rec.entries()[0].name, "caf\xc3\xa9");
}

TEST(ReaderTest, NumericFieldSyntax) {
  auto parse_size = [](const std::string& field) {
    std::string h = Header({.name = "f", .typeflag = '5'});
    SetField(&h, 124, field, 12);  // Padded with NULs.
    return ParseError(h + EndMarker());
  };
  // Go's rules: spaces/NULs around the digits are fine, digits stop at NUL.
  for (const std::string& ok :
       {std::string(), std::string("  17 "), std::string("\0\0 17\0", 6),
        std::string("17\0junk", 7)}) {
    EXPECT_TRUE(parse_size(ok).ok()) << absl::CHexEscape(ok);
  }
  for (const std::string bad : {"18", "1 7", "-1", "0x10"}) {
    absl::Status s = parse_size(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(s.message(), HasSubstr("bad size field")) << s;
  }
}

TEST(ReaderTest, Base256Numbers) {
  HeaderFields f{.name = "big", .size = 3};
  std::string h = Header(f);
  // uid 2^40 and gid 7 in base-256; mtime -1 (two's complement).
  SetField(&h, 108, std::string("\x80\x00\x01\x00\x00\x00\x00\x00", 8));
  SetField(&h, 116, std::string("\x80\x00\x00\x00\x00\x00\x00\x07", 8));
  SetField(&h, 136, std::string(12, '\xff'));
  RecordingHandler rec = MustParse(h + Padded("abc") + EndMarker());
  EXPECT_EQ(rec.entries()[0].uid, int64_t{1} << 40);
  EXPECT_EQ(rec.entries()[0].gid, 7);
  EXPECT_EQ(rec.entries()[0].mtime_sec, -1);
  // A 12-byte size field holds 95 bits: more than int64 is an error.
  SetField(&h, 124, std::string("\x80\x00\x00\x01", 4) + std::string(8, '\0'));
  absl::Status s = ParseError(h + EndMarker());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("bad size field"));
}

TEST(ReaderTest, NegativeOrHugeSizesAreRejected) {
  std::string h = Header({.name = "neg"});
  SetField(&h, 124, std::string(12, '\xff'));  // -1 in base-256.
  absl::Status s = ParseError(h + EndMarker());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(),
              HasSubstr("tar entry \"neg\" at offset 0: negative size"));
  // 2^63 - 1 bytes of content: parsed fine, then the input ends.
  SetField(&h, 124,
           std::string("\x80\x00\x00\x00\x7f\xff\xff\xff\xff\xff\xff\xff", 12));
  s = ParseError(h + "abc");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  // A negative uid (base-256) is refused too.
  std::string u = Header({.name = "u"});
  SetField(&u, 108, std::string(8, '\xff'));
  s = ParseError(u + EndMarker());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("negative owner"));
}

TEST(ReaderTest, ModeKeepsOnlyPermissionBits) {
  RecordingHandler rec =
      MustParse(Header({.name = "m", .mode = 0107755}) + EndMarker());
  EXPECT_EQ(rec.entries()[0].mode, 07755u);
}

TEST(ReaderTest, UstarPrefixAndV7) {
  std::string h = Header({.name = "file", .prefix = "a/b"});
  std::string v7 = Header({.name = "old", .magic = HeaderFields::Magic::kV7});
  // A V7 header has no prefix field: the bytes there are not a path.
  SetField(&v7, 345, "ignored");
  RecordingHandler rec = MustParse(h + v7 + EndMarker());
  EXPECT_EQ(rec.entries()[0].name, "a/b/file");
  EXPECT_EQ(rec.entries()[1].name, "old");
}

TEST(ReaderTest, EntryTypes) {
  std::string tar =
      Header({.name = "old-dir/", .typeflag = '\0'}) +
      Header({.name = "old-file", .typeflag = '\0', .size = 1}) + Padded("x") +
      Header({.name = "contig", .typeflag = '7', .size = 1}) + Padded("y") +
      // Header-only types have no content, whatever their size field says.
      Header({.name = "d", .typeflag = '5', .size = 600}) +
      Header({.name = "l", .typeflag = '2', .linkname = "t", .size = 600}) +
      Header({.name = "h", .typeflag = '1', .linkname = "d", .size = 1}) +
      Header({.name = "b",
              .typeflag = '4',
              .devmajor = 259,
              .devminor = 1048575}) +
      EndMarker();
  RecordingHandler rec = MustParse(tar);
  ASSERT_EQ(rec.entries().size(), 7u);
  EXPECT_EQ(rec.entries()[0].type, EntryType::kDirectory);
  EXPECT_EQ(rec.entries()[1].type, EntryType::kRegular);
  EXPECT_EQ(rec.contents().at(1), "x");
  EXPECT_EQ(rec.entries()[2].type, EntryType::kRegular);
  EXPECT_EQ(rec.contents().at(2), "y");
  EXPECT_EQ(rec.entries()[3].size, 0);
  EXPECT_EQ(rec.entries()[4].size, 0);
  EXPECT_EQ(rec.entries()[5].type, EntryType::kHardlink);
  EXPECT_EQ(rec.entries()[6].devmajor, 259u);
  EXPECT_EQ(rec.entries()[6].devminor, 1048575u);
}

TEST(ReaderTest, UnknownTypesAreRefusedByName) {
  absl::Status s = ParseError(
      File("ok", "") + Header({.name = "dump", .typeflag = 'D'}) + EndMarker());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("tar entry \"dump\" at offset 512: "
                                     "unsupported entry type 'D'"));
  s = ParseError(Header({.name = "s", .typeflag = 'S'}) + EndMarker());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented) << s;
  s = ParseError(Header({.name = "c", .typeflag = '\x01'}) + EndMarker());
  EXPECT_THAT(s.message(), HasSubstr("type 0x01"));
}

TEST(ReaderTest, DeviceNumbersOutOfRange) {
  std::string h = Header({.name = "dev", .typeflag = '3'});
  SetField(&h, 329, std::string("\x80\x00\x00\x01\x00\x00\x00\x00", 8));
  absl::Status s = ParseError(h + EndMarker());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("device number 4294967296,0"));
}

// --- PAX and GNU records
// --------------------------------------------------------

TEST(ReaderTest, PaxRecordsApplyToTheNextEntryOnly) {
  std::string records =
      PaxRecord("path", "long/path/" + std::string(200, 'p')) +
      PaxRecord("linkpath", "target") + PaxRecord("uid", "4000000000") +
      PaxRecord("gid", "+5") + PaxRecord("mtime", "1700000000.1234567891") +
      PaxRecord("atime", "1.5") + PaxRecord("uname", "someone") +
      PaxRecord("SCHILY.xattr.user.a", "1") +
      PaxRecord("SCHILY.xattr.user.b", std::string("\0\n=", 3)) +
      PaxRecord("SCHILY.xattr.user.a", "2") +  // Last value wins.
      PaxRecord("comment", "ignored") + PaxRecord("size", "3");
  std::string tar = Pax(records) + Header({.name = "short", .typeflag = '2'}) +
                    File("next", "") + EndMarker();
  RecordingHandler rec = MustParse(tar);
  ASSERT_EQ(rec.entries().size(), 2u);
  const Entry& e = rec.entries()[0];
  EXPECT_EQ(e.name, "long/path/" + std::string(200, 'p'));
  EXPECT_EQ(e.linkname, "target");
  EXPECT_EQ(e.uid, 4000000000);
  EXPECT_EQ(e.gid, 5);
  EXPECT_EQ(e.mtime_sec, 1700000000);
  EXPECT_EQ(e.mtime_nsec, 123456789);
  EXPECT_EQ(e.size, 0);  // A symlink has no content, PAX size or not.
  // A repeated key counts once, where it last appears, as if the earlier
  // record were not there.
  EXPECT_THAT(e.xattrs, ElementsAre(Pair("user.b", std::string("\0\n=", 3)),
                                    Pair("user.a", "2")));
  Entry next;
  next.name = "next";
  next.mode = 0644;
  next.uid = next.gid = 1000;
  next.mtime_sec = 1700000000;
  EXPECT_EQ(Describe(rec.entries()[1]), Describe(next));
}

TEST(ReaderTest, PaxSizeOverridesTheHeader) {
  std::string tar = Pax(PaxRecord("size", "5")) +
                    Header({.name = "f", .size = 1}) + Padded("12345") +
                    EndMarker();
  RecordingHandler rec = MustParse(tar);
  EXPECT_EQ(rec.contents().at(0), "12345");
}

TEST(ReaderTest, PaxEmptyValuesKeepTheHeader) {
  std::string tar = Pax(PaxRecord("path", "") + PaxRecord("uid", "") +
                        PaxRecord("SCHILY.xattr.user.e", "")) +
                    File("kept", "") + EndMarker();
  RecordingHandler rec = MustParse(tar);
  EXPECT_EQ(rec.entries()[0].name, "kept");
  EXPECT_EQ(rec.entries()[0].uid, 1000);
  EXPECT_THAT(rec.entries()[0].xattrs, ElementsAre(Pair("user.e", "")));
}

TEST(ReaderTest, NegativePaxTimesAreNormalised) {
  for (auto [value, sec, nsec] :
       std::vector<std::tuple<std::string, int64_t, int32_t>>{
           {"-1.5", -2, 500000000},
           {"-0.25", -1, 750000000},
           {"-3", -3, 0},
           {"5.", 5, 0},
           {"7.000000001999", 7, 1}}) {
    RecordingHandler rec =
        MustParse(Pax(PaxRecord("mtime", value)) + File("t", "") + EndMarker());
    EXPECT_EQ(rec.entries()[0].mtime_sec, sec) << value;
    EXPECT_EQ(rec.entries()[0].mtime_nsec, nsec) << value;
  }
}

TEST(ReaderTest, SecondPaxHeaderReplacesTheFirst) {
  std::string tar = Pax(PaxRecord("path", "first") + PaxRecord("uid", "7")) +
                    Pax(PaxRecord("path", "second")) + File("f", "") +
                    EndMarker();
  RecordingHandler rec = MustParse(tar);
  EXPECT_EQ(rec.entries()[0].name, "second");
  EXPECT_EQ(rec.entries()[0].uid, 1000);
}

TEST(ReaderTest, GnuLongNamesWinOverPax) {
  std::string tar = Pax(PaxRecord("path", "pax-name")) +
                    GnuLong('L', "gnu-name") + GnuLong('K', "gnu-link") +
                    Header({.name = "h", .typeflag = '1', .linkname = "x"}) +
                    EndMarker();
  RecordingHandler rec = MustParse(tar);
  EXPECT_EQ(rec.entries()[0].name, "gnu-name");
  EXPECT_EQ(rec.entries()[0].linkname, "gnu-link");
}

TEST(ReaderTest, GlobalHeadersAreReportedNotApplied) {
  std::string tar = Pax(PaxRecord("path", "dropped")) +
                    Pax(PaxRecord("uid", "1") + PaxRecord("path", "g-name") +
                            PaxRecord("comment", "hi"),
                        'g') +
                    File("f", "") + EndMarker();
  RecordingHandler rec = MustParse(tar);
  ASSERT_EQ(rec.entries().size(), 1u);
  EXPECT_EQ(rec.entries()[0].name, "f");
  EXPECT_EQ(rec.entries()[0].uid, 1000);
  EXPECT_THAT(rec.events(), ::testing::Contains("global g-name"));
  // A bad value in a global header is still an error.
  absl::Status s = ParseError(Pax(PaxRecord("mtime", "x"), 'g') + EndMarker());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST(ReaderTest, MalformedPaxRecords) {
  struct Case {
    std::string records;
    const char* message;
  } cases[] = {
      {"no-length", "has no length"},
      {"abc path=x\n", "bad length"},
      {"99 path=x\n", "bad length"},
      {"4 a=\n", "bad length"},
      {"6 a=b\n\n", "has no length"},  // A stray byte after a record.
      {"00005 ab\n", "bad length"},    // Go once sliced past the end here.
      {"8 a=bcd!", "does not end in a newline"},
      {"7 =abc\n", "no key=value"},
      {"7 abcd\n", "no key=value"},
      {PaxRecord("path", std::string("a\0b", 3)), "contains a NUL"},
      {PaxRecord(std::string("k\0", 2), "v"), "contains a NUL"},
      {PaxRecord("uid", "12x"), "bad PAX record uid=\"12x\""},
      {PaxRecord("size", "99999999999999999999"), "bad PAX record size"},
      {PaxRecord("mtime", "1.2.3"), "bad PAX record mtime"},
      {PaxRecord("mtime", ".5"), "bad PAX record mtime"},
      {PaxRecord("ctime", "z"), "bad PAX record ctime"},
  };
  for (const Case& c : cases) {
    absl::Status s = ParseError(Pax(c.records) + File("f", "") + EndMarker());
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.records;
    EXPECT_THAT(s.message(), HasSubstr(c.message)) << c.records;
  }
  absl::Status s =
      ParseError(Pax(PaxRecord("size", "-1")) + File("f", "") + EndMarker());
  EXPECT_THAT(s.message(), HasSubstr("negative size -1"));
}

TEST(ReaderTest, HugeRecordsAreRefusedBeforeBuffering) {
  // A PAX header claiming 1 TiB: refused from its header alone.
  std::string h = Header({.name = "PaxHeaders/x", .typeflag = 'x'});
  SetField(&h, 124, std::string("\x80\x00\x00\x00\x00\x00\x01\x00", 8), 12);
  absl::Status s = ParseError(h);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("'x' record of 1099511627776 bytes"));
  // The limit is configurable and applies to GNU records too.
  Limits small{.max_record_size = 100};
  s = ParseError(GnuLong('L', std::string(100, 'n')) + EndMarker(), small);
  EXPECT_THAT(s.message(), HasSubstr("'L' record of 101 bytes"));
  EXPECT_TRUE(
      ParseError(GnuLong('L', std::string(99, 'n')) + EndMarker(), small).ok());
}

TEST(ReaderTest, EndlessMetadataChainsAreRefused) {
  std::string chain;
  for (int i = 0; i < 100; ++i) chain += Pax(PaxRecord("path", "x"));
  Limits limits{.max_metadata_size = 20 * 1024};
  absl::Status s = ParseError(chain + File("f", "") + EndMarker(), limits);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("more than 20480 bytes of headers"));
  // The count starts again at every entry.
  std::string many;
  for (int i = 0; i < 100; ++i) {
    many += Pax(PaxRecord("path", absl::StrCat("f", i))) + File("f", "abc");
  }
  EXPECT_TRUE(ParseError(many + EndMarker(), limits).ok());
}

// --- The Handler and the Reader's own contract
// -----------------------------------

TEST(ReaderTest, HandlerErrorsStopTheReaderAndStick) {
  std::string tar = File("a", "hello") + File("b", "x") + EndMarker();
  for (int n = 0; n < 8; ++n) {
    RecordingHandler rec;
    rec.FailAt(n, absl::AbortedError(absl::StrCat("stop ", n)));
    Reader reader(&rec);
    absl::Status s = reader.Feed(tar);
    EXPECT_EQ(s, absl::AbortedError(absl::StrCat("stop ", n)));
    EXPECT_EQ(reader.Feed("more"), s);
    EXPECT_EQ(reader.Finish(), s);
  }
}

TEST(ReaderTest, FeedAfterFinish) {
  RecordingHandler rec;
  Reader reader(&rec);
  ASSERT_TRUE(reader.Feed(File("a", "b")).ok());
  ASSERT_TRUE(reader.Finish().ok());
  EXPECT_EQ(reader.offset(), 1024u);
  EXPECT_EQ(reader.Feed("x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(reader.Finish().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ReaderTest, EmptyFeedsAreHarmless) {
  RecordingHandler rec;
  Reader reader(&rec);
  std::string tar = File("a", "b") + EndMarker();
  for (char c : tar) {
    ASSERT_TRUE(reader.Feed("").ok());
    ASSERT_TRUE(reader.Feed(absl::string_view(&c, 1)).ok());
  }
  ASSERT_TRUE(reader.Finish().ok());
  EXPECT_EQ(rec.stream(), tar);
  EXPECT_THAT(rec.violations(), ::testing::IsEmpty());
}

}  // namespace
}  // namespace mydocker::tar
