#include "lib/logger/log_printer.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/base/file.h"
#include "lib/logger/json_log.h"
#include "lib/logger/json_log_reader.h"

namespace mydocker::logger {
namespace {

std::string Runfile(const std::string& path) {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return path;
  return absl::StrCat(srcdir, "/", workspace ? workspace : "mydocker", "/", path);
}

std::string ReadRunfile(const std::string& path) {
  absl::StatusOr<std::string> s = base::ReadFile(Runfile(path));
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : "";
}

// A file to print into, read back whole.
class Output {
 public:
  Output() {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string t = absl::StrCat(tmp ? tmp : "/tmp", "/out.XXXXXX");
    fd_ = mkstemp(t.data());
    EXPECT_GE(fd_, 0);
    path_ = t;
  }
  ~Output() { close(fd_); }
  int fd() const { return fd_; }
  std::string Text() const { return *base::ReadFile(path_); }

 private:
  int fd_;
  std::string path_;
};

std::string Print(const LogRecord& r, PrintOptions o) {
  std::string out;
  AppendRecord(out, r, o);
  return out;
}

const absl::Time kTime = absl::FromUnixSeconds(1796029080) + absl::Nanoseconds(1500);

TEST(LogPrinterTest, PrintsExactlyWhatDockerLogsPrinted) {
  const std::string dir = "lib/logger/testdata/dockerd/";
  for (bool timestamps : {false, true}) {
    SCOPED_TRACE(timestamps ? "-t" : "plain");
    absl::StatusOr<JsonLogReader> r =
        JsonLogReader::Open(Runfile(dir + "logger-json.log"), {});
    ASSERT_TRUE(r.ok()) << r.status();
    Output out, err;
    LogPrinter p(out.fd(), err.fd(), {.timestamps = timestamps});
    ASSERT_TRUE(r->ReadAll(p).ok());
    std::string want = dir + (timestamps ? "logger.docker-logs-t" : "logger.docker-logs");
    EXPECT_EQ(out.Text(), ReadRunfile(want + ".stdout"));
    EXPECT_EQ(err.Text(), ReadRunfile(want + ".stderr"));
    EXPECT_EQ(r->damaged_lines(), 0);
  }
}

TEST(LogPrinterTest, ATtyLogIsItsTextAsTyped) {
  absl::StatusOr<JsonLogReader> r =
      JsonLogReader::Open(Runfile("lib/logger/testdata/dockerd/tty-json.log"), {});
  ASSERT_TRUE(r.ok()) << r.status();
  Output out;
  LogPrinter p(out.fd(), out.fd(), {});
  ASSERT_TRUE(r->ReadAll(p).ok());
  EXPECT_EQ(out.Text(),
            "\r\n\r\nBusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) built-in shell "
            "(ash)\r\nEnter 'help' for a list of built-in commands.\r\n\r\n/ # \x1b[6n");
}

TEST(LogPrinterTest, TimestampsAlwaysHaveNineDigits) {
  LogRecord r{{Stream::kStdout, "x\n", kTime}, {}};
  EXPECT_EQ(Print(r, {.timestamps = true}), "2026-11-30T08:58:00.000001500Z x\n");
  r.entry.time = absl::FromUnixSeconds(1796029080);
  EXPECT_EQ(Print(r, {.timestamps = true}), "2026-11-30T08:58:00.000000000Z x\n");
  r.entry.time = absl::FromUnixSeconds(-62135596800) + absl::Nanoseconds(999999999);
  EXPECT_EQ(Print(r, {.timestamps = true}), "0001-01-01T00:00:00.999999999Z x\n");
  r.entry.time = absl::FromUnixSeconds(253402300799);
  EXPECT_EQ(Print(r, {.timestamps = true}), "9999-12-31T23:59:59.000000000Z x\n");
}

TEST(LogPrinterTest, DetailsPrefixTheAttrsEvenWhenThereAreNone) {
  LogRecord r{{Stream::kStdout, "x\n", kTime}, {}};
  // dockerd prints the (empty) attrs and a space.
  EXPECT_EQ(Print(r, {.details = true}), " x\n");
  EXPECT_EQ(Print(r, {.timestamps = true, .details = true}),
            "2026-11-30T08:58:00.000001500Z  x\n");
  r.attrs = {{"tag", "web/1 a&b"}, {"com.example", "é~"}};
  EXPECT_EQ(Print(r, {.details = true}),
            "com.example=%C3%A9~,tag=web%2F1+a%26b x\n");
}

TEST(LogPrinterTest, StreamsKeepTheirOrderOnOneFd) {
  Output both;
  LogPrinter p(both.fd(), both.fd(), {});
  for (auto [stream, text] : {std::pair{Stream::kStdout, "o1 "}, {Stream::kStderr, "e1 "},
                              {Stream::kStdout, "o2 "}, {Stream::kStdout, "o3 "},
                              {Stream::kStderr, "e2"}}) {
    ASSERT_TRUE(p.Write({{stream, text, kTime}, {}}).ok());
  }
  ASSERT_TRUE(p.Flush().ok());
  EXPECT_EQ(both.Text(), "o1 e1 o2 o3 e2");
}

TEST(LogPrinterTest, SeparatesTheStreams) {
  Output out, err;
  LogPrinter p(out.fd(), err.fd(), {});
  ASSERT_TRUE(p.Write({{Stream::kStdout, "o\n", kTime}, {}}).ok());
  ASSERT_TRUE(p.Write({{Stream::kStderr, "e\n", kTime}, {}}).ok());
  ASSERT_TRUE(p.Write({{Stream::kStdout, "partial", kTime}, {}}).ok());
  ASSERT_TRUE(p.Flush().ok());
  EXPECT_EQ(out.Text(), "o\npartial");
  EXPECT_EQ(err.Text(), "e\n");
}

TEST(LogPrinterTest, AWriteErrorIsReported) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  close(p[0]);
  signal(SIGPIPE, SIG_IGN);
  LogPrinter printer(p[1], p[1], {});
  ASSERT_TRUE(printer.Write({{Stream::kStdout, "x", kTime}, {}}).ok());
  absl::Status s = printer.Flush();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("stdout"), std::string::npos) << s;
  close(p[1]);
}

}  // namespace
}  // namespace mydocker::logger
