#include "lib/tarsplit/reassemble.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/digest/digest.h"
#include "lib/tar/reader.h"
#include "lib/tar/tee_handler.h"
#include "lib/tar/testing.h"
#include "lib/tarsplit/format.h"
#include "lib/tarsplit/gzip.h"
#include "lib/tarsplit/sink.h"
#include "lib/tarsplit/writer.h"

namespace mydocker::tarsplit {
namespace {

using ::mydocker::tar::testing::EndMarker;
using ::mydocker::tar::testing::FeedInChunks;
using ::mydocker::tar::testing::File;
using ::mydocker::tar::testing::ReadRunfile;
using ::testing::HasSubstr;

const char* const kFixtures[] = {
    "git_archive", "gnu",        "gnu_base256", "gnu_posix",
    "gnu_v7",      "python_gnu", "python_pax",  "python_ustar",
};

// A minimal layer extractor for the tests: regular files only, content at
// their cleaned name below `root`. Enough for reassembly, which only reads
// regular files' contents.
class FileExtractor : public tar::Reader::Handler {
 public:
  explicit FileExtractor(std::string root) : root_(std::move(root)) {}

  absl::Status OnEntry(const tar::Entry& entry) override {
    if (entry.type != tar::EntryType::kRegular) return absl::OkStatus();
    std::string path = absl::StrCat(root_, "/", CleanPath(entry.name));
    absl::Status s = base::MakeDirs(base::Dirname(path));
    if (!s.ok()) return s;
    absl::StatusOr<base::UniqueFd> fd =
        base::OpenFile(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!fd.ok()) return fd.status();
    fd_ = std::move(*fd);
    path_ = path;
    return absl::OkStatus();
  }
  absl::Status OnData(absl::string_view chunk) override {
    return base::WriteAll(fd_.get(), chunk, path_);
  }
  absl::Status OnEntryEnd() override {
    fd_.reset();
    return absl::OkStatus();
  }
  absl::Status OnRaw(absl::string_view) override { return absl::OkStatus(); }

 private:
  std::string root_;
  base::UniqueFd fd_;
  std::string path_;
};

class ReassembleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ =
        std::string(tmp ? tmp : "/tmp") + "/reassemble_test.XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }

  // Extracts `tar` into a new directory and records its tar-split, as the
  // pull pipeline does (one pass, one Reader, a tee). Returns the
  // directory; the compressed tar-split goes to `*json_gz`.
  std::string Extract(absl::string_view tar, std::string* json_gz,
                      size_t chunk = 4096) {
    std::string diff = absl::StrCat(dir_, "/diff", ++count_);
    EXPECT_TRUE(base::MakeDirs(diff).ok());
    FileExtractor extractor(diff);
    TarSplitWriter writer(StringSink(json_gz));
    tar::TeeHandler tee({&extractor, &writer});
    absl::Status s = FeedInChunks(tar, chunk, &tee);
    EXPECT_TRUE(s.ok()) << s;
    s = writer.Finish();
    EXPECT_TRUE(s.ok()) << s;
    return diff;
  }

  std::string dir_;
  int count_ = 0;
};

absl::StatusOr<std::string> Rebuild(absl::string_view json_gz,
                                    const std::string& diff) {
  std::string out;
  absl::Status s = Reassemble(json_gz, diff, StringSink(&out));
  if (!s.ok()) return s;
  return out;
}

std::string Gzip(absl::string_view plain) {
  std::string out;
  GzipWriter gz(StringSink(&out));
  EXPECT_TRUE(gz.Write(plain).ok());
  EXPECT_TRUE(gz.Finish().ok());
  return out;
}

TEST_F(ReassembleTest, EveryFixtureComesBackByteForByte) {
  for (const char* name : kFixtures) {
    SCOPED_TRACE(name);
    std::string tar =
        ReadRunfile(absl::StrCat("lib/tar/testdata/", name, ".tar"));
    std::string json_gz;
    std::string diff = Extract(tar, &json_gz);
    absl::StatusOr<std::string> rebuilt = Rebuild(json_gz, diff);
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    EXPECT_EQ(digest::Digest::Of(*rebuilt), digest::Digest::Of(tar));
    EXPECT_TRUE(*rebuilt == tar);

    // The same from a file, read in chunks.
    std::string path = absl::StrCat(dir_, "/", name, ".tar-split.json.gz");
    ASSERT_TRUE(base::WriteFileAtomic(path, json_gz).ok());
    std::string from_file;
    absl::Status s = ReassembleFile(path, diff, StringSink(&from_file));
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_TRUE(from_file == tar);
  }
}

// The tar-split files the real tool wrote (Go's gzip and JSON) rebuild the
// fixtures from our extraction too.
TEST_F(ReassembleTest, ReadsTheRealTarSplitsFiles) {
  for (const char* name : kFixtures) {
    SCOPED_TRACE(name);
    std::string tar =
        ReadRunfile(absl::StrCat("lib/tar/testdata/", name, ".tar"));
    std::string ours;
    std::string diff = Extract(tar, &ours);
    std::string golden = ReadRunfile(
        absl::StrCat("lib/tarsplit/testdata/", name, ".tar-split.json.gz"));
    absl::StatusOr<std::string> rebuilt = Rebuild(golden, diff);
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    EXPECT_EQ(digest::Digest::Of(*rebuilt), digest::Digest::Of(tar));
  }
}

TEST_F(ReassembleTest, LargeFilesAndTrailingData) {
  std::mt19937 rng(1);
  std::string big(3 << 20, '\0');
  for (char& c : big) c = static_cast<char>(rng());
  std::string tar = File("big", big) + File("dir/small", "s") +
                    File("empty", "") + EndMarker() +
                    std::string((1 << 20) + 77, '\0');
  for (size_t chunk : {1000, 65536, 0}) {
    std::string json_gz;
    std::string diff = Extract(tar, &json_gz, chunk);
    absl::StatusOr<std::string> rebuilt = Rebuild(json_gz, diff);
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    EXPECT_EQ(digest::Digest::Of(*rebuilt), digest::Digest::Of(tar));
  }
}

TEST_F(ReassembleTest, ChangedFilesAreDataLoss) {
  std::string tar = File("dir/f", "0123456789") + EndMarker();
  std::string json_gz;
  std::string diff = Extract(tar, &json_gz);
  const std::string f = diff + "/dir/f";
  struct Case {
    const char* content;
    const char* message;
  } cases[] = {
      {"0123456780", "does not match the CRC-64"},
      {"012345678", "9 bytes, but the tar-split records 10"},
      {"0123456789!", "larger than the 10 bytes"},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(base::WriteFileAtomic(f, c.content).ok());
    absl::StatusOr<std::string> r = Rebuild(json_gz, diff);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr(f));
    EXPECT_THAT(r.status().message(), HasSubstr(c.message));
  }
  ASSERT_EQ(unlink(f.c_str()), 0);
  absl::StatusOr<std::string> r = Rebuild(json_gz, diff);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(f));
}

TEST_F(ReassembleTest, NamesStayInsideTheDirectory) {
  std::string diff = absl::StrCat(dir_, "/diff");
  ASSERT_TRUE(base::MakeDirs(diff + "/real").ok());
  ASSERT_TRUE(base::WriteFileAtomic(diff + "/real/f", "x").ok());
  ASSERT_TRUE(base::WriteFileAtomic(dir_ + "/outside", "x").ok());
  ASSERT_EQ(symlink("real", (diff + "/link").c_str()), 0);
  ASSERT_EQ(symlink("../outside", (diff + "/out").c_str()), 0);
  struct Case {
    std::string name;
    absl::StatusCode code;
  } cases[] = {
      {"../outside", absl::StatusCode::kInvalidArgument},
      {"real/../../outside", absl::StatusCode::kInvalidArgument},
      {".", absl::StatusCode::kInvalidArgument},
      {"/", absl::StatusCode::kInvalidArgument},
      {"link/f", absl::StatusCode::kFailedPrecondition},
      {"out", absl::StatusCode::kFailedPrecondition},
      {"real", absl::StatusCode::kFailedPrecondition},  // A directory.
  };
  for (const Case& c : cases) {
    Entry e;
    e.type = EntryType::kFile;
    e.name = c.name;
    e.size = 1;
    e.payload = std::string(8, '\0');
    absl::StatusOr<std::string> r = Rebuild(Gzip(EncodeEntry(e)), diff);
    EXPECT_EQ(r.status().code(), c.code) << c.name << ": " << r.status();
  }
  // The same file, named as tar names it, is found.
  for (const char* name : {"real/f", "./real/f", "/real/f", "real//f"}) {
    Entry e;
    e.type = EntryType::kFile;
    e.name = name;
    e.size = 1;
    e.payload = std::string(8, '\0');
    absl::StatusOr<std::string> r = Rebuild(Gzip(EncodeEntry(e)), diff);
    EXPECT_THAT(r.status().message(), HasSubstr("does not match the CRC-64"))
        << name;
  }
}

TEST_F(ReassembleTest, MalformedTarSplitFiles) {
  std::string diff = absl::StrCat(dir_, "/empty");
  ASSERT_TRUE(base::MakeDirs(diff).ok());
  std::string good = Gzip("{\"type\":2,\"payload\":\"YWJj\",\"position\":0}\n");
  absl::StatusOr<std::string> r = Rebuild(good, diff);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "abc");
  // No final newline is fine too.
  r = Rebuild(Gzip("{\"type\":2,\"payload\":\"YWJj\",\"position\":0}"), diff);
  EXPECT_EQ(*r, "abc");

  struct Case {
    std::string json_gz;
    absl::StatusCode code;
    const char* message;
  } cases[] = {
      {good.substr(0, good.size() - 4), absl::StatusCode::kDataLoss,
       "truncated"},
      {"not gzip at all", absl::StatusCode::kDataLoss, "corrupt"},
      {"", absl::StatusCode::kDataLoss, "truncated"},
      {Gzip("{\"type\":2,\"payload\":\"YWJj\"}\nnot json\n"),
       absl::StatusCode::kInvalidArgument, "not JSON"},
      {Gzip("{\"type\":1,\"name\":\"a\",\"size\":3,\"payload\":null}\n"),
       absl::StatusCode::kInvalidArgument, "has no 8-byte CRC"},
      {Gzip("{\"type\":1,\"name\":\"a\",\"payload\":null}\n"
            "{\"type\":1,\"name\":\"./a/\",\"payload\":null}\n"),
       absl::StatusCode::kInvalidArgument, "two entries for path"},
  };
  for (const Case& c : cases) {
    r = Rebuild(c.json_gz, diff);
    EXPECT_EQ(r.status().code(), c.code) << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr(c.message));
  }
  std::string out;
  absl::Status s = Reassemble(good, dir_ + "/missing", StringSink(&out));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  s = ReassembleFile(dir_ + "/missing.json.gz", diff, StringSink(&out));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
}

TEST_F(ReassembleTest, SinkErrorsAreReturned) {
  std::string tar = File("f", "content") + EndMarker();
  std::string json_gz;
  std::string diff = Extract(tar, &json_gz);
  absl::Status s = Reassemble(json_gz, diff, [](absl::string_view) {
    return absl::UnavailableError("pipe closed");
  });
  EXPECT_EQ(s, absl::UnavailableError("pipe closed"));
}

}  // namespace
}  // namespace mydocker::tarsplit
