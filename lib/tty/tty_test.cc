#include "lib/tty/tty.h"

#include <termios.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace mydocker::tty {
namespace {

TEST(PtyTest, WritesToTheSlaveComeOutOfTheMaster) {
  absl::StatusOr<Pty> pty = OpenPty();
  ASSERT_TRUE(pty.ok()) << pty.status();
  ASSERT_EQ(write(pty->slave.get(), "hi\n", 3), 3);
  char buf[16];
  ssize_t n = read(pty->master.get(), buf, sizeof(buf));
  ASSERT_GT(n, 0);
  // The line discipline turns \n into \r\n (onlcr).
  EXPECT_EQ(std::string(buf, n), "hi\r\n");
}

TEST(PtyTest, WindowSizeRoundTrips) {
  absl::StatusOr<Pty> pty = OpenPty();
  ASSERT_TRUE(pty.ok()) << pty.status();
  EXPECT_FALSE(GetWinsize(pty->slave.get()).has_value());  // 0x0 at first
  ASSERT_TRUE(SetWinsize(pty->master.get(), {33, 101}).ok());
  std::optional<Winsize> ws = GetWinsize(pty->slave.get());
  ASSERT_TRUE(ws.has_value());
  EXPECT_EQ(ws->rows, 33);
  EXPECT_EQ(ws->cols, 101);
}

TEST(RawModeTest, RestoresTheTerminalWhenDestroyed) {
  absl::StatusOr<Pty> pty = OpenPty();
  ASSERT_TRUE(pty.ok()) << pty.status();
  termios before{};
  ASSERT_EQ(tcgetattr(pty->slave.get(), &before), 0);
  ASSERT_TRUE(before.c_lflag & ECHO);
  {
    absl::StatusOr<RawMode> raw = RawMode::Enter(pty->slave.get());
    ASSERT_TRUE(raw.ok()) << raw.status();
    termios during{};
    ASSERT_EQ(tcgetattr(pty->slave.get(), &during), 0);
    EXPECT_FALSE(during.c_lflag & ECHO);
    EXPECT_FALSE(during.c_lflag & ICANON);
    RawMode moved = std::move(*raw);  // only `moved` restores
  }
  termios after{};
  ASSERT_EQ(tcgetattr(pty->slave.get(), &after), 0);
  EXPECT_EQ(after.c_lflag, before.c_lflag);
  EXPECT_EQ(after.c_iflag, before.c_iflag);
}

TEST(RawModeTest, RefusesWhatIsNotATerminal) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  absl::StatusOr<RawMode> raw = RawMode::Enter(p[0]);
  EXPECT_EQ(raw.status().code(), absl::StatusCode::kFailedPrecondition);
  close(p[0]);
  close(p[1]);
}

}  // namespace
}  // namespace mydocker::tty
