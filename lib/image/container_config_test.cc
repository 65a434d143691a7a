#include "lib/image/container_config.h"

#include "gtest/gtest.h"

namespace mydocker::image {
namespace {

using nlohmann::json;

TEST(ContainerConfigTest, BusyboxConfigAsDockerdShowsIt) {
  // The busybox test image's "config", and what `docker image inspect`
  // printed for it (out/research/inspect-busybox.json).
  json in = json::parse(
      R"({"Cmd":["sh"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]})");
  EXPECT_EQ(
      ContainerConfigToApi(in).dump(),
      R"({"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,)"
      R"("AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,)"
      R"("Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],)"
      R"("Cmd":["sh"],"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,)"
      R"("OnBuild":null,"Labels":null})");
}

TEST(ContainerConfigTest, AbsentIsTheZeroStruct) {
  // What dockerd shows as ContainerConfig for an image without one.
  const char* kZero =
      R"({"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,)"
      R"("AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,)"
      R"("Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,)"
      R"("OnBuild":null,"Labels":null})";
  EXPECT_EQ(ContainerConfigToApi(json()).dump(), kZero);
  EXPECT_EQ(ContainerConfigToApi(json::object()).dump(), kZero);
  EXPECT_EQ(ContainerConfigToApi(json::parse("[1,2]")).dump(), kZero);
}

TEST(ContainerConfigTest, EveryFieldInGoStructOrder) {
  json in = json::parse(R"({
    "x-unknown": 1,
    "Shell": ["/bin/sh", "-c"],
    "StopTimeout": 0,
    "StopSignal": "SIGQUIT",
    "Labels": {"z": "1", "a": null},
    "OnBuild": [],
    "MacAddress": "02:42:ac:11:00:02",
    "NetworkDisabled": true,
    "Entrypoint": "/docker-entrypoint.sh",
    "WorkingDir": "/srv",
    "Volumes": {"/data": {"ignored": 1}},
    "Image": "sha256:abc",
    "ArgsEscaped": true,
    "Healthcheck": {"Test": ["CMD", "true"], "Interval": 30000000000, "Retries": 0},
    "Cmd": [],
    "Env": null,
    "StdinOnce": true,
    "OpenStdin": true,
    "Tty": true,
    "ExposedPorts": {"80/tcp": {}, "443/tcp": {}},
    "AttachStderr": true,
    "AttachStdout": true,
    "AttachStdin": true,
    "User": "nginx",
    "Domainname": "example.org",
    "Hostname": "web"
  })");
  EXPECT_EQ(
      ContainerConfigToApi(in).dump(),
      R"({"Hostname":"web","Domainname":"example.org","User":"nginx","AttachStdin":true,)"
      R"("AttachStdout":true,"AttachStderr":true,"ExposedPorts":{"443/tcp":{},"80/tcp":{}},)"
      R"("Tty":true,"OpenStdin":true,"StdinOnce":true,"Env":null,"Cmd":[],)"
      R"("Healthcheck":{"Test":["CMD","true"],"Interval":30000000000},"ArgsEscaped":true,)"
      R"("Image":"sha256:abc","Volumes":{"/data":{}},"WorkingDir":"/srv",)"
      R"("Entrypoint":["/docker-entrypoint.sh"],"NetworkDisabled":true,)"
      R"("MacAddress":"02:42:ac:11:00:02","OnBuild":[],"Labels":{"a":"","z":"1"},)"
      R"("StopSignal":"SIGQUIT","StopTimeout":0,"Shell":["/bin/sh","-c"]})");
}

TEST(ContainerConfigTest, KeysMatchCaseInsensitivelyExactFirst) {
  json in = json::parse(
      R"({"cmd":["lower"],"ENV":["A=1"],"Entrypoint":["exact"],"entrypoint":["fold"]})");
  nlohmann::ordered_json out = ContainerConfigToApi(in);
  EXPECT_EQ(out["Cmd"].dump(), R"(["lower"])");
  EXPECT_EQ(out["Env"].dump(), R"(["A=1"])");
  EXPECT_EQ(out["Entrypoint"].dump(), R"(["exact"])");
}

TEST(ContainerConfigTest, WrongTypesReadAsZeroValues) {
  json in = json::parse(
      R"({"Hostname":5,"Tty":"yes","Env":["A",1],"Cmd":{"a":1},"Labels":{"a":1},)"
      R"("Volumes":[],"StopTimeout":"10","Healthcheck":null,"Shell":[]})");
  nlohmann::ordered_json out = ContainerConfigToApi(in);
  EXPECT_EQ(out["Hostname"], "");
  EXPECT_EQ(out["Tty"], false);
  EXPECT_TRUE(out["Env"].is_null());
  EXPECT_TRUE(out["Cmd"].is_null());
  EXPECT_TRUE(out["Labels"].is_null());
  EXPECT_TRUE(out["Volumes"].is_null());
  EXPECT_FALSE(out.contains("StopTimeout"));
  EXPECT_FALSE(out.contains("Healthcheck"));
  EXPECT_FALSE(out.contains("Shell"));  // omitempty: an empty list is left out.
}

}  // namespace
}  // namespace mydocker::image
