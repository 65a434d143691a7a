#include "lib/spec/signal.h"

#include <csignal>
#include <string>

#include "gtest/gtest.h"

namespace mydocker::spec {
namespace {

TEST(ParseSignalTest, NamesAndNumbers) {
  EXPECT_EQ(*ParseSignal("SIGQUIT"), SIGQUIT);
  EXPECT_EQ(*ParseSignal("QUIT"), SIGQUIT);
  EXPECT_EQ(*ParseSignal("quit"), SIGQUIT);
  EXPECT_EQ(*ParseSignal("sigkill"), SIGKILL);
  EXPECT_EQ(*ParseSignal("3"), 3);
  EXPECT_EQ(*ParseSignal("+9"), 9);
  EXPECT_EQ(*ParseSignal("SIGTERM"), 15);
  EXPECT_EQ(*ParseSignal("USR1"), SIGUSR1);
  EXPECT_EQ(*ParseSignal("CLD"), SIGCHLD);
  EXPECT_EQ(*ParseSignal("POLL"), SIGIO);
  EXPECT_EQ(*ParseSignal("WINCH"), SIGWINCH);
  EXPECT_EQ(*ParseSignal("64"), 64);
}

TEST(ParseSignalTest, RealtimeSignalsUseTheKernelsNumbers) {
  EXPECT_EQ(*ParseSignal("RTMIN"), 34);
  EXPECT_EQ(*ParseSignal("SIGRTMIN+1"), 35);
  EXPECT_EQ(*ParseSignal("rtmin+15"), 49);
  EXPECT_EQ(*ParseSignal("RTMAX-14"), 50);
  EXPECT_EQ(*ParseSignal("RTMAX-1"), 63);
  EXPECT_EQ(*ParseSignal("RTMAX"), 64);
}

TEST(ParseSignalTest, Invalid) {
  for (const char* bad :
       {"", "0", "-1", "65", "SIG", "SIGSIGKILL", "FOO", "RTMIN+16", "RTMIN+01",
        "RTMAX-15", "RTMAX-0", "RTMIN+", " 9", "9 ", "KILL "}) {
    absl::StatusOr<int> got = ParseSignal(bad);
    ASSERT_FALSE(got.ok()) << "'" << bad << "' gave " << *got;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(got.status().message(), std::string("Invalid signal: ") + bad);
  }
}

TEST(StopSignalTest, FlagThenImageThenTerm) {
  EXPECT_EQ(*StopSignal("", ""), SIGTERM);
  EXPECT_EQ(*StopSignal("", "SIGQUIT"), SIGQUIT);
  EXPECT_EQ(*StopSignal("KILL", "SIGQUIT"), SIGKILL);
  EXPECT_EQ(StopSignal("", "SIGNOPE").status().message(),
            "Invalid signal: SIGNOPE");
}

}  // namespace
}  // namespace mydocker::spec
