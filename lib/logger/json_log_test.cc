#include "lib/logger/json_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "lib/imagedb/imagedb.h"

namespace mydocker::logger {
namespace {

// What dockerd 20.10 wrote for
//   printf '\xff\xfe bad\t"q" <h> & \xc3\xa9 \x1b[1m \x01 \\ \r\n'
constexpr char kDockerdLine[] =
    R"({"log":"\ufffd\ufffd bad\u0009\"q\" \u003ch\u003e \u0026 é \u001b[1m \u0001 \\ \r\n","stream":"stdout","time":"2026-11-30T09:26:17.158844076Z"})"
    "\n";

absl::Time T(const char* s) { return *imagedb::ParseRfc3339(s); }

class Capture {
 public:
  Capture() { EXPECT_EQ(pipe2(p_, O_CLOEXEC | O_NONBLOCK), 0); }
  ~Capture() {
    close(p_[0]);
    close(p_[1]);
  }
  int fd() const { return p_[1]; }
  std::vector<std::string> Lines() {
    std::string all;
    char buf[65536];
    ssize_t n;
    while ((n = read(p_[0], buf, sizeof buf)) > 0) all.append(buf, n);
    std::vector<std::string> out = absl::StrSplit(all, '\n', absl::SkipEmpty());
    return out;
  }

 private:
  int p_[2];
};

TEST(JsonLogTest, EscapesExactlyAsDockerd) {
  Entry e{Stream::kStdout, "\xff\xfe bad\t\"q\" <h> & \xc3\xa9 \x1b[1m \x01 \\ \r\n",
          T("2026-11-30T09:26:17.158844076Z")};
  EXPECT_EQ(FormatEntry(e), kDockerdLine);
  EXPECT_EQ(EscapeLog("\xe2\x80\xa8"), "\\u2028");
  EXPECT_EQ(EscapeLog("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");  // A surrogate.
  EXPECT_EQ(EscapeLog("\xc3"), "\\ufffd");                         // Cut short.
}

TEST(JsonLogTest, ParsesWhatItWrites) {
  absl::StatusOr<Entry> e = ParseEntry(absl::string_view(kDockerdLine).substr(0, sizeof kDockerdLine - 2));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->stream, Stream::kStdout);
  EXPECT_EQ(e->log, "\xef\xbf\xbd\xef\xbf\xbd bad\t\"q\" <h> & \xc3\xa9 \x1b[1m \x01 \\ \r\n");
  EXPECT_EQ(e->time, T("2026-11-30T09:26:17.158844076Z"));
  EXPECT_FALSE(ParseEntry("garbage").ok());
}

TEST(JsonLogTest, LinesPartialsAndStreams) {
  Capture c;
  int tick = 0;
  JsonLogWriter w(c.fd(), [&] { return absl::FromUnixSeconds(1796029080 + tick++); });
  ASSERT_TRUE(w.Write(Stream::kStdout, "out1\nno").ok());       // t=0
  ASSERT_TRUE(w.Write(Stream::kStderr, "err1\n").ok());         // t=1
  ASSERT_TRUE(w.Write(Stream::kStdout, "nl continued\n").ok()); // t=2
  ASSERT_TRUE(w.Write(Stream::kStdout, "tail-without-newline").ok());
  ASSERT_TRUE(w.Close().ok());
  std::vector<std::string> lines = c.Lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], R"({"log":"out1\n","stream":"stdout","time":"2026-11-30T08:58:00Z"})");
  EXPECT_EQ(lines[1], R"({"log":"err1\n","stream":"stderr","time":"2026-11-30T08:58:01Z"})");
  // A partial line is stamped when its newline arrives.
  EXPECT_EQ(lines[2], R"({"log":"nonl continued\n","stream":"stdout","time":"2026-11-30T08:58:02Z"})");
  EXPECT_EQ(lines[3].substr(0, 40), R"({"log":"tail-without-newline","stream":")");
}

TEST(JsonLogTest, LongLinesAreCutIntoChunksSharingATime) {
  Capture c;
  int tick = 0;
  JsonLogWriter w(c.fd(), [&] { return absl::FromUnixSeconds(1796029080 + tick++); });
  std::string line(39999, 'a');
  line += '\n';
  // Fed in pieces, as a pipe delivers it.
  for (size_t i = 0; i < line.size(); i += 2048) {
    ASSERT_TRUE(w.Write(Stream::kStdout, absl::string_view(line).substr(i, 2048)).ok());
  }
  std::vector<std::string> lines = c.Lines();
  ASSERT_EQ(lines.size(), 3u);
  std::vector<size_t> sizes;
  for (const std::string& l : lines) {
    absl::StatusOr<Entry> e = ParseEntry(l);
    ASSERT_TRUE(e.ok());
    sizes.push_back(e->log.size());
    EXPECT_EQ(e->time, absl::FromUnixSeconds(1796029080 + 7)) << "the first chunk's time";
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{16384, 16384, 7232}));
}

}  // namespace
}  // namespace mydocker::logger
