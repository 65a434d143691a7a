#include "applets/list_format.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "applets/table.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace mydocker::applets {
namespace {

using Json = nlohmann::ordered_json;

const std::vector<Json>& Rows() {
  static const auto* rows = new std::vector<Json>{
      {{"ID", "0123456789ab"}, {"Names", "web"}, {"Status", "Up 3 seconds"}},
      {{"ID", "ba9876543210"}, {"Names", "a-much-longer-name"}, {"Status", "Exited (0) 2 minutes ago"}},
  };
  return *rows;
}

const Json& Headers() {
  static const auto* h = new Json{{"ID", "CONTAINER ID"}, {"Names", "NAMES"}, {"Status", "STATUS"}};
  return *h;
}

std::string Render(const std::string& format) {
  absl::StatusOr<ListFormat> f = ListFormat::Parse(format);
  EXPECT_TRUE(f.ok()) << f.status();
  if (!f.ok()) return "";
  EXPECT_FALSE(f->is_default());
  absl::StatusOr<std::string> out = f->Render(Rows(), Headers());
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : "";
}

TEST(ListFormatTest, DefaultTableIsTheCommands) {
  for (const char* f : {"", "table", "  table  "}) {
    absl::StatusOr<ListFormat> parsed = ListFormat::Parse(f);
    ASSERT_TRUE(parsed.ok()) << f;
    EXPECT_TRUE(parsed->is_default()) << f;
  }
}

TEST(ListFormatTest, JsonIsOneGoJsonObjectPerRow) {
  const std::string want =
      "{\"ID\":\"0123456789ab\",\"Names\":\"web\",\"Status\":\"Up 3 seconds\"}\n"
      "{\"ID\":\"ba9876543210\",\"Names\":\"a-much-longer-name\",\"Status\":"
      "\"Exited (0) 2 minutes ago\"}\n";
  EXPECT_EQ(Render("json"), want);
  EXPECT_EQ(Render("{{json .}}"), want);
}

TEST(ListFormatTest, TemplateLinePerRow) {
  EXPECT_EQ(Render("{{.Names}}"), "web\na-much-longer-name\n");
  // Typed escapes, as Docker reads them.
  EXPECT_EQ(Render("{{.ID}}\\t{{.Names}}"),
            "0123456789ab\tweb\nba9876543210\ta-much-longer-name\n");
}

TEST(ListFormatTest, AnUnknownFieldIsAnError) {
  absl::StatusOr<ListFormat> f = ListFormat::Parse("{{.Names}}: {{.Nope}}");
  ASSERT_TRUE(f.ok()) << f.status();
  absl::StatusOr<std::string> out = f->Render(Rows(), Headers());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "template: can't evaluate field Nope");
}

TEST(ListFormatTest, TableTemplateAlignsUnderAHeader) {
  // As `docker ps --format 'table {{.Names}}\t{{.Status}}'` prints it:
  // tabwriter with minimum width 10 and padding 3.
  EXPECT_EQ(Render("table {{.Names}}\\t{{.Status}}"),
            "NAMES                STATUS\n"
            "web                  Up 3 seconds\n"
            "a-much-longer-name   Exited (0) 2 minutes ago\n");
  EXPECT_EQ(Render("table {{.ID}}"), "CONTAINER ID\n0123456789ab\nba9876543210\n");
  // The header's functions give the column name as it is (docker's
  // HeaderFunctions); the rows' work.
  EXPECT_EQ(Render("table {{lower .Names}}\\t{{json .ID}}"),
            "NAMES                CONTAINER ID\n"
            "web                  \"0123456789ab\"\n"
            "a-much-longer-name   \"ba9876543210\"\n");
  // A real tab typed in the format works the same.
  EXPECT_EQ(Render("table {{.ID}}\t{{.Names}}"),
            "CONTAINER ID   NAMES\n"
            "0123456789ab   web\n"
            "ba9876543210   a-much-longer-name\n");
}

TEST(TableTest, AlignsAsTabwriter) {
  // A column's width comes from the block of consecutive rows that have a
  // cell in it; a row's last cell is in no column; widths in characters.
  Table t({"A", "B"});
  t.Add({"ééééééééééé", "x"});
  t.Add({"only"});
  t.Add({"c", "d", "e"});
  t.Add({"longer-than-ten", "f", "g"});
  EXPECT_EQ(t.Render(),
            "A             B\n"
            "ééééééééééé   x\n"
            "only\n"
            "c                 d         e\n"
            "longer-than-ten   f         g\n");
}

TEST(ListFormatTest, BadTemplatesAreUsageErrors) {
  absl::StatusOr<ListFormat> f = ListFormat::Parse("{{.Names");
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(f.status()));
  EXPECT_EQ(f.status().message().substr(0, 10), "--format: ");
  EXPECT_FALSE(ListFormat::Parse("table {{printf \"%s\" .ID}}").ok());
}

}  // namespace
}  // namespace mydocker::applets
