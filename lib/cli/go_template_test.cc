#include "lib/cli/go_template.h"

#include "gtest/gtest.h"

namespace mydocker::cli {
namespace {

using Json = nlohmann::ordered_json;

const Json& Data() {
  static const Json* j = new Json(Json::parse(R"({
    "Id": "abc",
    "State": {"Running": true, "Pid": 42, "ExitCode": 0},
    "Config": {"Labels": {"b": "2", "a": "1"}, "Entrypoint": null, "Html": "<a&b>",
               "Cmd": ["nginx", "-g", "daemon off;"]},
    "NetworkSettings": {
      "IPAddress": "",
      "Networks": {
        "my-net": {"IPAddress": "192.168.0.2", "Gateway": "192.168.0.1"},
        "bridge": {"IPAddress": "172.17.0.2", "Gateway": "172.17.0.1"}
      },
      "Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "91"}]}
    }
  })"));
  return *j;
}

std::string Render(const std::string& text) {
  absl::StatusOr<GoTemplate> t = GoTemplate::Parse(text);
  if (!t.ok()) return "PARSE: " + std::string(t.status().message());
  absl::StatusOr<std::string> out = t->Execute(Data());
  if (!out.ok()) return "EXEC: " + std::string(out.status().message());
  return *out;
}

TEST(GoTemplate, FieldsAndText) {
  EXPECT_EQ(Render("id={{.Id}} pid={{.State.Pid}} up={{.State.Running}}"),
            "id=abc pid=42 up=true");
  EXPECT_EQ(Render("{{ .NetworkSettings.Networks.bridge.IPAddress }}"), "172.17.0.2");
  EXPECT_EQ(Render("{{.Nope}}|{{.State.Nope.Deeper}}"), "<no value>|<no value>");
  EXPECT_EQ(Render("{{.Config.Entrypoint}}"), "<nil>");
  EXPECT_EQ(Render("no actions"), "no actions");
}

TEST(GoTemplate, GoFormatting) {
  EXPECT_EQ(Render("{{.Config.Cmd}}"), "[nginx -g daemon off;]");
  EXPECT_EQ(Render("{{.Config.Labels}}"), "map[a:1 b:2]");  // Keys sorted.
}

TEST(GoTemplate, Functions) {
  EXPECT_EQ(Render("{{json .Config.Labels}}"), R"({"b":"2","a":"1"})");
  EXPECT_EQ(Render("{{json .State.Running}}"), "true");
  // As Go's json.Marshal: <, > and & escaped.
  EXPECT_EQ(Render("{{json .Config.Html}}"), R"("\u003ca\u0026b\u003e")");
  EXPECT_EQ(Render("{{index .Config.Labels \"a\"}}"), "1");
  EXPECT_EQ(Render("{{index .Config.Cmd 2}}"), "daemon off;");
  EXPECT_EQ(Render("{{(index .Config.Cmd 7)}}").substr(0, 6), "PARSE:");
  EXPECT_EQ(Render("{{index .Config.Cmd 7}}"), "EXEC: template: index 7 out of range");
  EXPECT_EQ(Render("{{len .Config.Cmd}}{{len .Id}}"), "33");
  EXPECT_EQ(Render("{{upper .Id}}"), "ABC");
  EXPECT_EQ(Render("{{println .Id .State.Pid}}"), "abc 42\n");
}

TEST(GoTemplate, RangeAndIf) {
  // The idiom for a container's addresses; maps range in key order.
  EXPECT_EQ(Render("{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}"),
            "172.17.0.2 192.168.0.2 ");
  EXPECT_EQ(Render("{{range $k, $v := .NetworkSettings.Ports}}{{$k}}->"
                "{{(index $v 0).HostPort}}{{end}}")
                .substr(0, 6),
            "PARSE:");
  EXPECT_EQ(Render("{{range $p, $b := .NetworkSettings.Ports}}{{$p}} {{json $b}}{{end}}"),
            R"(80/tcp [{"HostIp":"0.0.0.0","HostPort":"91"}])");
  EXPECT_EQ(Render("{{range .Config.Cmd}}<{{.}}>{{end}}"), "<nginx><-g><daemon off;>");
  EXPECT_EQ(Render("{{range .Nope}}x{{else}}none{{end}}"), "none");
  EXPECT_EQ(Render("{{range .Config.Cmd}}{{$.Id}}{{end}}"), "abcabcabc");
  EXPECT_EQ(Render("{{if .State.Running}}up{{else}}down{{end}}"), "up");
  EXPECT_EQ(Render("{{if .NetworkSettings.IPAddress}}ip{{else}}noip{{end}}"), "noip");
  EXPECT_EQ(Render("a  {{- .Id -}}  b"), "aabcb");
}

TEST(GoTemplate, RefusesWhatItDoesNotDo) {
  EXPECT_EQ(Render("{{.Id | upper}}"),
            "PARSE: template: {{.Id | upper}}: pipelines are not supported");
  EXPECT_EQ(Render("{{printf \"%s\" .Id}}"),
            "PARSE: template: {{printf \"%s\" .Id}}: function \"printf\" not supported");
  EXPECT_EQ(Render("{{range .Config.Cmd}}x"),
            "PARSE: template: {{range .Config.Cmd}}: missing {{end}}");
  EXPECT_EQ(Render("{{end}}"), "PARSE: template: {{end}}: unexpected");
  EXPECT_EQ(Render("{{.Id"), "PARSE: template: unclosed action: {{.Id");
  EXPECT_EQ(Render("{{.Id.X}}"), "EXEC: template: can't evaluate field X in a string");
  EXPECT_EQ(Render("{{$nope}}"), "EXEC: template: undefined variable $nope");
}

}  // namespace
}  // namespace mydocker::cli
