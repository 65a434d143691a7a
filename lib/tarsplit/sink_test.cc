#include "lib/tarsplit/sink.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mydocker::tarsplit {
namespace {

TEST(SinkTest, StringSinkAppends) {
  std::string out = "a";
  Sink sink = StringSink(&out);
  ASSERT_TRUE(sink("bc").ok());
  ASSERT_TRUE(sink(std::string("\0d", 2)).ok());
  EXPECT_EQ(out, std::string("abc\0d", 5));
}

TEST(SinkTest, FdSinkWritesAndNamesTheTargetOnError) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  Sink sink = FdSink(fds[1], "the pipe");
  ASSERT_TRUE(sink("hello").ok());
  char buf[8] = {};
  ASSERT_EQ(read(fds[0], buf, sizeof(buf)), 5);
  EXPECT_EQ(std::string(buf), "hello");
  close(fds[0]);
  signal(SIGPIPE, SIG_IGN);
  absl::Status s = sink("x");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), ::testing::HasSubstr("write the pipe"));
  close(fds[1]);
}

}  // namespace
}  // namespace mydocker::tarsplit
