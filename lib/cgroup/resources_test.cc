#include "lib/cgroup/resources.h"

#include <string>

#include "gtest/gtest.h"

namespace mydocker::cgroup {
namespace {

spec::DeviceCgroupRule Rule(bool allow, std::string type,
                            std::optional<int64_t> major,
                            std::optional<int64_t> minor, std::string access) {
  spec::DeviceCgroupRule r;
  r.allow = allow;
  r.type = std::move(type);
  r.major = major;
  r.minor = minor;
  r.access = std::move(access);
  return r;
}

TEST(CpuWeightTest, RuncMapping) {
  EXPECT_EQ(CpuWeightFromShares(2), 1u);
  EXPECT_EQ(CpuWeightFromShares(1024), 39u);  // Docker's default shares.
  EXPECT_EQ(CpuWeightFromShares(512), 20u);
  EXPECT_EQ(CpuWeightFromShares(262144), 10000u);
  EXPECT_EQ(CpuWeightFromShares(1), 1u);  // Clamped, not wrapped.
  EXPECT_EQ(CpuWeightFromShares(1u << 30), 10000u);
}

TEST(V2SwapMaxTest, MemoryPlusSwapToSwapOnly) {
  EXPECT_EQ(*V2SwapMax(64 << 20, 128 << 20), "67108864");
  EXPECT_EQ(*V2SwapMax(64 << 20, 64 << 20), "0");  // No swap at all.
  EXPECT_EQ(*V2SwapMax(64 << 20, -1), "max");
  EXPECT_EQ(*V2SwapMax(std::nullopt, -1), "max");
  EXPECT_TRUE(
      absl::IsInvalidArgument(V2SwapMax(std::nullopt, 1 << 20).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(V2SwapMax(-1, 1 << 20).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(V2SwapMax(2 << 20, 1 << 20).status()));
}

TEST(V2CpuMaxTest, FillsWhatIsNotGivenFromTheFile) {
  EXPECT_EQ(V2CpuMax(50000, 100000, "max 100000\n"), "50000 100000");
  EXPECT_EQ(V2CpuMax(-1, std::nullopt, "50000 100000\n"), "max 100000");
  EXPECT_EQ(V2CpuMax(std::nullopt, 200000, "50000 100000\n"), "50000 200000");
  EXPECT_EQ(V2CpuMax(25000, std::nullopt, ""), "25000 100000");
}

TEST(V2LimitTest, NegativeIsMax) {
  EXPECT_EQ(V2Limit(-1), "max");
  EXPECT_EQ(V2Limit(20), "20");
}

TEST(V1DeviceRuleTest, Format) {
  EXPECT_EQ(V1DeviceRule(Rule(false, "a", std::nullopt, std::nullopt, "rwm")),
            "a");
  EXPECT_EQ(V1DeviceRule(Rule(false, "a", 1, 3, "r")), "a");
  EXPECT_EQ(V1DeviceRule(Rule(true, "c", 1, 3, "rwm")), "c 1:3 rwm");
  EXPECT_EQ(V1DeviceRule(Rule(true, "c", std::nullopt, std::nullopt, "m")),
            "c *:* m");
  EXPECT_EQ(V1DeviceRule(Rule(true, "b", 8, std::nullopt, "")), "b 8:* rwm");
  EXPECT_EQ(V1DeviceRule(Rule(true, "c", 136, std::nullopt, "rw")),
            "c 136:* rw");
}

TEST(SetValueTest, ZeroMeansUnset) {
  EXPECT_EQ(SetValue(std::optional<int64_t>(0)), std::nullopt);
  EXPECT_EQ(SetValue(std::optional<int64_t>()), std::nullopt);
  EXPECT_EQ(SetValue(std::optional<int64_t>(-1)), -1);
  EXPECT_EQ(SetValue(std::optional<uint64_t>(0)), std::nullopt);
  EXPECT_EQ(SetValue(std::optional<uint64_t>(7)), 7u);
}

spec::Memory Mem(std::optional<int64_t> limit, std::optional<int64_t> swap,
                 std::optional<int64_t> reservation = std::nullopt) {
  spec::Memory m;
  m.limit = limit;
  m.swap = swap;
  m.reservation = reservation;
  return m;
}

spec::Cpu Cpu(std::optional<int64_t> quota, std::string cpus = "",
              std::string mems = "") {
  spec::Cpu c;
  c.quota = quota;
  c.cpus = std::move(cpus);
  c.mems = std::move(mems);
  return c;
}

TEST(ValidateResourcesTest, AcceptsDockerLikeResources) {
  spec::Resources r;
  r.memory = Mem(64 << 20, 128 << 20, 32 << 20);
  r.memory->disable_oom_killer = false;
  r.cpu = Cpu(50000, "0-1,3", "0");
  r.cpu->shares = 512;
  r.cpu->period = 100000;
  r.pids = spec::Pids{20};
  r.devices = {Rule(false, "a", std::nullopt, std::nullopt, "rwm"),
               Rule(true, "c", 1, 3, "rwm"),
               Rule(true, "c", std::nullopt, std::nullopt, "m")};
  EXPECT_TRUE(ValidateResources(r).ok()) << ValidateResources(r);
  EXPECT_TRUE(ValidateResources(spec::Resources()).ok());
  r.memory = Mem(-1, -1);  // Unlimited both.
  EXPECT_TRUE(ValidateResources(r).ok()) << ValidateResources(r);
  r.memory = Mem(0, 0, 0);  // 0 is "not set".
  r.cpu = Cpu(0);
  EXPECT_TRUE(ValidateResources(r).ok()) << ValidateResources(r);
}

TEST(ValidateResourcesTest, RefusesWithTheFieldNamed) {
  struct Case {
    const char* field;
    spec::Resources r;
  };
  std::vector<Case> cases;
  auto add = [&](const char* field, auto set) {
    spec::Resources r;
    set(r);
    cases.push_back({field, std::move(r)});
  };
  add("memory.limit", [](auto& r) { r.memory = Mem(-5, std::nullopt); });
  add("memory.swap", [](auto& r) { r.memory = Mem(100, 50); });
  add("memory.swap", [](auto& r) { r.memory = Mem(std::nullopt, 50); });
  add("memory.swap", [](auto& r) { r.memory = Mem(-1, 50); });
  add("memory.reservation",
      [](auto& r) { r.memory = Mem(std::nullopt, std::nullopt, -2); });
  add("cpu.quota", [](auto& r) { r.cpu = Cpu(-7); });
  add("cpu.cpus", [](auto& r) { r.cpu = Cpu(std::nullopt, "0\n1"); });
  add("cpu.mems", [](auto& r) { r.cpu = Cpu(std::nullopt, "", "0 1"); });
  add("devices[1]", [](auto& r) {
    r.devices = {Rule(false, "a", std::nullopt, std::nullopt, ""),
                 Rule(true, "p", 1, 3, "rwm")};
  });
  add("devices[0]",
      [](auto& r) { r.devices = {Rule(true, "c", 1, 3, "rwx")}; });
  add("devices[0]", [](auto& r) { r.devices = {Rule(true, "c", -1, 3, "r")}; });
  add("devices[0]",
      [](auto& r) { r.devices = {Rule(true, "c", 1, int64_t{1} << 32, "r")}; });
  add("devices", [](auto& r) {
    r.devices.assign(kMaxDeviceRules + 1, Rule(true, "c", 1, 3, "r"));
  });
  for (const Case& c : cases) {
    absl::Status s = ValidateResources(c.r);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << c.field << ": " << s;
    EXPECT_NE(s.message().find(c.field), absl::string_view::npos) << s;
  }
}

}  // namespace
}  // namespace mydocker::cgroup
