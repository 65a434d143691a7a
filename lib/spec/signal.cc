#include "lib/spec/signal.h"

#include <csignal>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/spec/docker_defaults.h"
#include "lib/spec/units.h"

namespace mydocker::spec {
namespace {

// The kernel's SIGRTMIN and SIGRTMAX (glibc's SIGRTMIN is higher: it keeps
// two for itself), as Docker names them.
constexpr int kRtMin = 34;
constexpr int kRtMax = 64;

struct NamedSignal {
  const char* name;
  int number;
};

constexpr NamedSignal kSignals[] = {
    {"ABRT", SIGABRT},     {"ALRM", SIGALRM},     {"BUS", SIGBUS},
    {"CHLD", SIGCHLD},     {"CLD", SIGCHLD},      {"CONT", SIGCONT},
    {"FPE", SIGFPE},       {"HUP", SIGHUP},       {"ILL", SIGILL},
    {"INT", SIGINT},       {"IO", SIGIO},         {"IOT", SIGIOT},
    {"KILL", SIGKILL},     {"PIPE", SIGPIPE},     {"POLL", SIGPOLL},
    {"PROF", SIGPROF},     {"PWR", SIGPWR},       {"QUIT", SIGQUIT},
    {"SEGV", SIGSEGV},     {"STKFLT", SIGSTKFLT}, {"STOP", SIGSTOP},
    {"SYS", SIGSYS},       {"TERM", SIGTERM},     {"TRAP", SIGTRAP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},
    {"URG", SIGURG},       {"USR1", SIGUSR1},     {"USR2", SIGUSR2},
    {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},   {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},
};

absl::Status Invalid(absl::string_view s) {
  return absl::InvalidArgumentError(absl::StrCat("Invalid signal: ", s));
}

// "RTMIN", "RTMIN+1".."RTMIN+15", "RTMAX-14".."RTMAX-1", "RTMAX".
int RealtimeSignal(absl::string_view name) {
  auto offset = [](absl::string_view digits, int max) {
    if (digits.empty() || digits.size() > 2 || digits[0] == '0') return -1;
    int v = 0;
    for (char c : digits) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return -1;
      v = v * 10 + (c - '0');
    }
    return v <= max ? v : -1;
  };
  if (name == "RTMIN") return kRtMin;
  if (name == "RTMAX") return kRtMax;
  if (absl::ConsumePrefix(&name, "RTMIN+")) {
    int v = offset(name, 15);
    return v < 0 ? 0 : kRtMin + v;
  }
  if (absl::ConsumePrefix(&name, "RTMAX-")) {
    int v = offset(name, 14);
    return v < 0 ? 0 : kRtMax - v;
  }
  return 0;
}

}  // namespace

absl::StatusOr<int> ParseSignal(absl::string_view s) {
  if (int64_t n = 0; ParseGoInt(s, &n)) {
    if (n < 1 || n > kRtMax) return Invalid(s);
    return static_cast<int>(n);
  }
  std::string name = absl::AsciiStrToUpper(s);
  absl::string_view bare = name;
  absl::ConsumePrefix(&bare, "SIG");
  for (const NamedSignal& sig : kSignals) {
    if (bare == sig.name) return sig.number;
  }
  if (int rt = RealtimeSignal(bare); rt != 0) return rt;
  return Invalid(s);
}

absl::StatusOr<int> StopSignal(absl::string_view flag,
                               absl::string_view image) {
  if (!flag.empty()) return ParseSignal(flag);
  if (!image.empty()) return ParseSignal(image);
  return kDefaultStopSignal;
}

}  // namespace mydocker::spec
