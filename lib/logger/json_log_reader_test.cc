#include "lib/logger/json_log_reader.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/imagedb/imagedb.h"
#include "lib/logger/json_log.h"

namespace mydocker::logger {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1796029080);  // 2026-11-30T08:58:00Z

absl::Time T(int i) { return kT0 + absl::Seconds(i); }

std::string NewLogPath() {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(tmp ? tmp : "/tmp", "/log.XXXXXX");
  EXPECT_NE(mkdtemp(dir.data()), nullptr);
  return dir + "/c-json.log";
}

// A log file written by the real writer, with a clock that ticks one
// second per call.
class Log {
 public:
  Log() : path_(NewLogPath()) {
    fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    EXPECT_GE(fd_, 0);
    writer_.emplace(fd_, [this] { return T(tick_++); });
  }
  ~Log() { close(fd_); }

  const std::string& path() const { return path_; }
  JsonLogWriter& writer() { return *writer_; }
  void Out(absl::string_view s) { ASSERT_TRUE(writer_->Write(Stream::kStdout, s).ok()); }
  void Err(absl::string_view s) { ASSERT_TRUE(writer_->Write(Stream::kStderr, s).ok()); }
  void Close() { ASSERT_TRUE(writer_->Close().ok()); }
  // Bytes as they are, for damage and half-written lines.
  void Raw(absl::string_view s) { ASSERT_TRUE(base::WriteAll(fd_, s, "log").ok()); }

 private:
  std::string path_;
  int fd_ = -1;
  int tick_ = 0;
  std::optional<JsonLogWriter> writer_;
};

class Collect : public LogSink {
 public:
  absl::Status Write(const LogRecord& r) override {
    absl::MutexLock l(&mu_);
    records_.push_back(r);
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }

  std::vector<std::string> Texts() {
    absl::MutexLock l(&mu_);
    std::vector<std::string> out;
    for (const LogRecord& r : records_) {
      out.push_back(absl::StrCat(r.entry.stream == Stream::kStderr ? "E:" : "O:",
                                 r.entry.log));
    }
    return out;
  }
  std::vector<LogRecord> Records() {
    absl::MutexLock l(&mu_);
    return records_;
  }
  size_t Count() {
    absl::MutexLock l(&mu_);
    return records_.size();
  }

 private:
  absl::Mutex mu_;
  std::vector<LogRecord> records_;
};

std::vector<std::string> ReadAll(const std::string& path, ReadOptions o = {},
                                 int64_t* damaged = nullptr) {
  absl::StatusOr<JsonLogReader> r = JsonLogReader::Open(path, o);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  Collect c;
  EXPECT_TRUE(r->ReadAll(c).ok());
  if (damaged) *damaged = r->damaged_lines();
  return c.Texts();
}

using Lines = std::vector<std::string>;

TEST(ParseTailTest, AsDockerdReadsIt) {
  EXPECT_EQ(ParseTail("all"), -1);
  EXPECT_EQ(ParseTail(""), -1);
  EXPECT_EQ(ParseTail("0"), 0);
  EXPECT_EQ(ParseTail("-0"), 0);
  EXPECT_EQ(ParseTail("10"), 10);
  EXPECT_EQ(ParseTail("+10"), 10);
  EXPECT_EQ(ParseTail("-3"), -1);
  EXPECT_EQ(ParseTail(" 3"), -1);
  EXPECT_EQ(ParseTail("3 "), -1);
  EXPECT_EQ(ParseTail("1e3"), -1);
  EXPECT_EQ(ParseTail("99999999999999999999"), -1);
}

TEST(JsonLogReaderTest, ReadsBothStreamsInOrderWithPartialLastLine) {
  Log log;
  log.Out("out1\nnonl");
  log.Err("err1\n");
  log.Out(" continued\n");
  log.Out("tail-without-newline");
  log.Close();
  EXPECT_EQ(ReadAll(log.path()), (Lines{"O:out1\n", "E:err1\n", "O:nonl continued\n",
                                        "O:tail-without-newline"}));
}

TEST(JsonLogReaderTest, KeepsCarriageReturns) {
  Log log;
  log.Out("BusyBox\r\n\r\n/ # \x1b[6n");
  log.Close();
  EXPECT_EQ(ReadAll(log.path()), (Lines{"O:BusyBox\r\n", "O:\r\n", "O:/ # \x1b[6n"}));
}

TEST(JsonLogReaderTest, MissingFileIsAnEmptyLog) {
  EXPECT_EQ(ReadAll(NewLogPath()), Lines{});
}

TEST(JsonLogReaderTest, TailCountsJsonLines) {
  Log log;
  for (int i = 0; i < 5; ++i) log.Out(absl::StrCat("line", i, "\n"));
  log.Close();
  auto tail = [&](int64_t n) {
    ReadOptions o;
    o.tail = n;
    return ReadAll(log.path(), o);
  };
  EXPECT_EQ(tail(0), Lines{});
  EXPECT_EQ(tail(1), Lines{"O:line4\n"});
  EXPECT_EQ(tail(2), (Lines{"O:line3\n", "O:line4\n"}));
  EXPECT_EQ(tail(5).size(), 5u);
  EXPECT_EQ(tail(100).size(), 5u);
  EXPECT_EQ(tail(-1).size(), 5u);
}

TEST(JsonLogReaderTest, LongLinesAreChunksAndTailCountsChunks) {
  Log log;
  std::string big(40000, 'a');
  log.Out(big + "\n");
  log.Out("after\n");
  log.Close();
  std::vector<std::string> all = ReadAll(log.path());
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].size(), 2 + 16384u);
  EXPECT_EQ(all[1].size(), 2 + 16384u);
  EXPECT_EQ(all[2], absl::StrCat("O:", std::string(40000 - 2 * 16384, 'a'), "\n"));
  ReadOptions o;
  o.tail = 2;
  EXPECT_EQ(ReadAll(log.path(), o), (Lines{all[2], "O:after\n"}));
}

TEST(JsonLogReaderTest, TailAcrossManyBlocks) {
  Log log;
  // ~50 bytes a line, 20000 lines: about 1 MB, many 64 KiB blocks, lines
  // straddling their edges.
  for (int i = 0; i < 20000; ++i) log.Out(absl::StrCat("n", i, "\n"));
  log.Close();
  for (int64_t n : {1, 2, 1000, 1337, 19999, 20000, 20001}) {
    ReadOptions o;
    o.tail = n;
    std::vector<std::string> got = ReadAll(log.path(), o);
    int64_t want = std::min<int64_t>(n, 20000);
    ASSERT_EQ(static_cast<int64_t>(got.size()), want) << n;
    EXPECT_EQ(got.front(), absl::StrCat("O:n", 20000 - want, "\n")) << n;
    EXPECT_EQ(got.back(), "O:n19999\n") << n;
  }
}

TEST(JsonLogReaderTest, SinceSkipsAndUntilStops) {
  Log log;
  for (int i = 0; i < 8; ++i) log.Out(absl::StrCat(i, "\n"));  // At T(i).
  // An entry out of time order after the until point: dockerd stops at the
  // first entry past until, so it is not shown.
  log.Raw(FormatEntry({Stream::kStdout, "old\n", T(1)}));
  log.Close();
  ReadOptions o;
  o.since = T(3);
  o.until = T(5);
  EXPECT_EQ(ReadAll(log.path(), o), (Lines{"O:3\n", "O:4\n", "O:5\n"}));
  // Nanoseconds count: since a hair after T(3) leaves T(3) out.
  o.since = T(3) + absl::Nanoseconds(1);
  o.until = absl::InfiniteFuture();
  EXPECT_EQ(ReadAll(log.path(), o),
            (Lines{"O:4\n", "O:5\n", "O:6\n", "O:7\n"}));  // "old" is before since.
  // The tail is taken first, then filtered (dockerd's order).
  o.tail = 3;
  o.since = T(6);
  EXPECT_EQ(ReadAll(log.path(), o), (Lines{"O:6\n", "O:7\n"}));
}

TEST(JsonLogReaderTest, DamagedLinesAreSkippedAndCounted) {
  Log log;
  log.Out("one\n");
  // A writer that died mid-line, then a new start appending to the file.
  std::string cut = FormatEntry({Stream::kStdout, "lost\n", T(50)});
  log.Raw(cut.substr(0, cut.size() / 2));
  log.Out("two\n");
  log.Raw("not json at all\n");
  log.Raw(R"({"log":"bad time\n","stream":"stdout","time":"yesterday"})" "\n");
  log.Raw("\n   \n");  // Blank space: not damage, nothing to show.
  log.Err("three\n");
  log.Close();
  int64_t damaged = 0;
  EXPECT_EQ(ReadAll(log.path(), {}, &damaged), (Lines{"O:one\n", "E:three\n"}));
  // "two" shared its line with the half entry: that line is the damage.
  EXPECT_EQ(damaged, 3);
}

TEST(JsonLogReaderTest, OverlongGarbageIsDroppedWithBoundedMemory) {
  Log log;
  log.Out("before\n");
  log.Raw(std::string(3 << 20, 'x'));
  log.Raw("\n");
  log.Out("after\n");
  log.Close();
  int64_t damaged = 0;
  EXPECT_EQ(ReadAll(log.path(), {}, &damaged), (Lines{"O:before\n", "O:after\n"}));
  EXPECT_EQ(damaged, 1);
}

TEST(JsonLogReaderTest, ALineStillBeingWrittenWaitsForItsNewline) {
  Log log;
  log.Out("done\n");
  std::string line = FormatEntry({Stream::kStdout, "half\n", T(9)});
  log.Raw(line.substr(0, 20));
  // Not an entry yet: neither read nor damaged.
  int64_t damaged = 0;
  EXPECT_EQ(ReadAll(log.path(), {}, &damaged), (Lines{"O:done\n"}));
  EXPECT_EQ(damaged, 0);
  ReadOptions o;
  o.tail = 1;
  EXPECT_EQ(ReadAll(log.path(), o), (Lines{"O:done\n"}));

  // A follower started now prints it once it is complete.
  absl::StatusOr<JsonLogReader> r = JsonLogReader::Open(log.path(), o);
  ASSERT_TRUE(r.ok());
  Collect c;
  ASSERT_TRUE(r->ReadAll(c).ok());
  log.Raw(line.substr(20));
  ASSERT_TRUE(r->Follow(c, [] { return false; }).ok());
  EXPECT_EQ(c.Texts(), (Lines{"O:done\n", "O:half\n"}));
  EXPECT_EQ(r->damaged_lines(), 0);
}

TEST(JsonLogReaderTest, AttrsOnlyWhenAsked) {
  Log log;
  log.Raw(R"({"log":"x\n","stream":"stdout","attrs":{"b":"2","a":"1 2"},"time":"2026-11-30T08:58:00Z"})"
          "\n");
  log.Raw(R"({"log":"y\n","stream":"stdout","time":"2026-11-30T08:58:01Z"})" "\n");
  log.Close();
  ReadOptions o;
  o.attrs = true;
  absl::StatusOr<JsonLogReader> r = JsonLogReader::Open(log.path(), o);
  ASSERT_TRUE(r.ok());
  Collect c;
  ASSERT_TRUE(r->ReadAll(c).ok());
  std::vector<LogRecord> got = c.Records();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].attrs, (std::map<std::string, std::string>{{"a", "1 2"}, {"b", "2"}}));
  EXPECT_TRUE(got[1].attrs.empty());
  EXPECT_EQ(got[0].entry.time, *imagedb::ParseRfc3339("2026-11-30T08:58:00Z"));
}

// Follow runs while another thread writes, as the container's monitor
// would.
class FollowTest : public ::testing::Test {
 protected:
  ReadOptions Fast() {
    ReadOptions o;
    o.check_interval = absl::Milliseconds(20);
    return o;
  }
};

TEST_F(FollowTest, PrintsAppendedEntriesUntilTheWriterIsGone) {
  Log log;
  log.Out("before\n");
  absl::StatusOr<JsonLogReader> r = JsonLogReader::Open(log.path(), Fast());
  ASSERT_TRUE(r.ok());
  Collect c;
  ASSERT_TRUE(r->ReadAll(c).ok());
  EXPECT_EQ(c.Texts(), Lines{"O:before\n"});

  std::atomic<bool> active{true};
  std::thread writer([&] {
    absl::SleepFor(absl::Milliseconds(50));
    log.Out("a\n");
    absl::SleepFor(absl::Milliseconds(50));
    // An entry written in two pieces: the follower sees half a line first.
    std::string line = FormatEntry({Stream::kStderr, "split\n", T(100)});
    log.Raw(line.substr(0, 30));
    absl::SleepFor(absl::Milliseconds(80));
    log.Raw(line.substr(30));
    log.Out("b\npartial");
    // The last words go out right before the writer says it is done: they
    // must still be printed.
    log.Close();
    active = false;
  });
  absl::Time start = absl::Now();
  absl::Status s = r->Follow(c, [&]() -> absl::StatusOr<bool> { return active.load(); });
  writer.join();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(c.Texts(), (Lines{"O:before\n", "O:a\n", "E:split\n", "O:b\n", "O:partial"}));
  EXPECT_EQ(r->damaged_lines(), 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(FollowTest, EntriesArriveWhileFollowing) {
  Log log;
  absl::StatusOr<JsonLogReader> r = JsonLogReader::Open(log.path(), Fast());
  ASSERT_TRUE(r.ok());
  Collect c;
  std::atomic<bool> active{true};
  std::thread follower([&] {
    EXPECT_TRUE(r->Follow(c, [&]() -> absl::StatusOr<bool> { return active.load(); }).ok());
  });
  log.Out("1\n");
  // Printed while the writer is still going, not only at its end.
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (c.Count() < 1 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(c.Texts(), Lines{"O:1\n"});
  log.Out("2\n");
  active = false;
  follower.join();
  EXPECT_EQ(c.Texts(), (Lines{"O:1\n", "O:2\n"}));
}

TEST_F(FollowTest, TailZeroShowsOnlyNewEntries) {
  Log log;
  log.Out("old\n");
  ReadOptions o = Fast();
  o.tail = 0;
  absl::StatusOr<JsonLogReader> r = JsonLogReader::Open(log.path(), o);
  ASSERT_TRUE(r.ok());
  Collect c;
  ASSERT_TRUE(r->ReadAll(c).ok());
  log.Out("new\n");
  ASSERT_TRUE(r->Follow(c, [] { return false; }).ok());
  EXPECT_EQ(c.Texts(), Lines{"O:new\n"});
}

TEST_F(FollowTest, EndsAtAnEntryPastUntilWhileTheWriterGoesOn) {
  Log log;  // Its clock: T(0), T(1), ...
  ReadOptions o = Fast();
  o.until = T(1);
  absl::StatusOr<JsonLogReader> r = JsonLogReader::Open(log.path(), o);
  ASSERT_TRUE(r.ok());
  Collect c;
  std::thread writer([&] {
    for (int i = 0; i < 3; ++i) {
      absl::SleepFor(absl::Milliseconds(30));
      log.Out(absl::StrCat(i, "\n"));
    }
  });
  absl::Status s = r->Follow(c, [] { return true; });
  writer.join();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(c.Texts(), (Lines{"O:0\n", "O:1\n"}));
}

TEST_F(FollowTest, ATruncatedFileIsReadFromItsStart) {
  Log log;
  log.Out("first\n");
  absl::StatusOr<JsonLogReader> r = JsonLogReader::Open(log.path(), Fast());
  ASSERT_TRUE(r.ok());
  Collect c;
  ASSERT_TRUE(r->ReadAll(c).ok());
  // Noticed by the size going down, as in dockerd: the new line is shorter.
  ASSERT_EQ(truncate(log.path().c_str(), 0), 0);
  log.Out("2\n");
  ASSERT_TRUE(r->Follow(c, [] { return false; }).ok());
  EXPECT_EQ(c.Texts(), (Lines{"O:first\n", "O:2\n"}));
}

TEST_F(FollowTest, AHalfLineLeftByADeadWriterIsDamage) {
  Log log;
  absl::StatusOr<JsonLogReader> r = JsonLogReader::Open(log.path(), Fast());
  ASSERT_TRUE(r.ok());
  log.Out("ok\n");
  log.Raw("{\"log\":\"never fini");
  Collect c;
  ASSERT_TRUE(r->Follow(c, [] { return false; }).ok());
  EXPECT_EQ(c.Texts(), Lines{"O:ok\n"});
  EXPECT_EQ(r->damaged_lines(), 1);
}

TEST_F(FollowTest, AFileThatAppearsLaterIsFollowed) {
  std::string path = NewLogPath();
  absl::StatusOr<JsonLogReader> r = JsonLogReader::Open(path, Fast());
  ASSERT_TRUE(r.ok());
  Collect c;
  ASSERT_TRUE(r->ReadAll(c).ok());
  std::atomic<int> checks{0};
  absl::Status s = r->Follow(c, [&]() -> absl::StatusOr<bool> {
    if (++checks == 2) {
      base::UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640));
      EXPECT_TRUE(base::WriteAll(fd.get(), FormatEntry({Stream::kStdout, "late\n", T(0)}),
                                 "log").ok());
    }
    return checks < 4;
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(c.Texts(), Lines{"O:late\n"});
}

TEST_F(FollowTest, ErrorsOfTheWriterCheckEndIt) {
  Log log;
  absl::StatusOr<JsonLogReader> r = JsonLogReader::Open(log.path(), Fast());
  ASSERT_TRUE(r.ok());
  Collect c;
  absl::Status s = r->Follow(c, []() -> absl::StatusOr<bool> {
    return absl::DataLossError("record damaged");
  });
  EXPECT_EQ(s, absl::DataLossError("record damaged"));
}

}  // namespace
}  // namespace mydocker::logger
