#include "lib/base/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"
#include "lib/base/unique_fd.h"

namespace mydocker::base {
namespace {

std::string Drain(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
  return out;
}

TEST(LogTest, LevelFiltersAndLinesAreTagged) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  UniqueFd r(p[0]), w(p[1]);
  SetLogFd(w.get());
  SetLogLevel(LogLevel::kInfo);
  LogDebug("hidden %d", 1);
  LogInfo("pull %s: %d layers", "nginx", 3);
  LogError("boom");
  SetLogFd(STDERR_FILENO);
  w.reset();
  std::string out = Drain(r.get());
  EXPECT_EQ(out.find("hidden"), std::string::npos) << out;
  EXPECT_NE(out.find("INFO["), std::string::npos) << out;
  EXPECT_NE(out.find("] pull nginx: 3 layers\n"), std::string::npos) << out;
  EXPECT_NE(out.find("ERRO["), std::string::npos) << out;
}

TEST(LogTest, ParseLogLevel) {
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("INFO"), LogLevel::kInfo);
  EXPECT_EQ(*ParseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(*ParseLogLevel("fatal"), LogLevel::kError);
  absl::StatusOr<LogLevel> bad = ParseLogLevel("loud");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("loud"), std::string::npos);
}

}  // namespace
}  // namespace mydocker::base
