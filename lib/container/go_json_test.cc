#include "lib/container/go_json.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace mydocker::container {
namespace {

using Json = nlohmann::ordered_json;

TEST(GoJsonTest, CompactInInsertionOrder) {
  Json j = Json::object();
  j["b"] = 1;
  j["a"] = Json::array({true, false, nullptr});
  j["c"] = Json::object();
  j["d"] = Json::array();
  j["e"] = -5;
  EXPECT_EQ(GoJson(j), R"({"b":1,"a":[true,false,null],"c":{},"d":[],"e":-5})");
  EXPECT_EQ(GoJsonLine(j), GoJson(j) + "\n");
}

TEST(GoJsonTest, EscapesLikeGoWithHtmlEscaping) {
  // The logger container's Cmd, as dockerd wrote it.
  EXPECT_EQ(GoJson(Json("echo err1 >&2; printf \"nonl\"")),
            R"("echo err1 \u003e\u00262; printf \"nonl\"")");
  EXPECT_EQ(GoJson(Json("a\\b\n\r\t\x01\x1f\x7f<")),
            R"("a\\b\n\r\t\u0001\u001f)"
            "\x7f"
            R"(\u003c")");
  EXPECT_EQ(GoJson(Json("\b\f")), R"("\u0008\u000c")");
  // Non-ASCII stays raw; U+2028/2029 are escaped.
  EXPECT_EQ(GoJson(Json("\xc3\xa9\xe2\x80\xa8\xe2\x80\xa9\xf0\x9f\x90\xb3")),
            "\"\xc3\xa9\\u2028\\u2029\xf0\x9f\x90\xb3\"");
}

TEST(GoJsonTest, InvalidUtf8BecomesReplacementCharPerByte) {
  std::string bad =
      "\xff\xfe ok \xc3 \xe2\x82 \xed\xa0\x80 \xc0\xaf \xf4\x90\x80\x80";
  EXPECT_EQ(GoJson(Json(bad)),
            R"("\ufffd\ufffd ok \ufffd \ufffd\ufffd \ufffd\ufffd\ufffd )"
            R"(\ufffd\ufffd \ufffd\ufffd\ufffd\ufffd")");
}

TEST(GoJsonTest, Numbers) {
  EXPECT_EQ(GoJson(Json(uint64_t{18446744073709551615u})),
            "18446744073709551615");
  EXPECT_EQ(GoJson(Json(int64_t{-9223372036854775807 - 1})),
            "-9223372036854775808");
  EXPECT_EQ(GoJson(Json(1.5)), "1.5");
  EXPECT_EQ(GoJson(Json(100.0)), "100");
  EXPECT_EQ(GoJson(Json(1e21)), "1e+21");
  EXPECT_EQ(GoJson(Json(1e-7)), "1e-7");
  EXPECT_EQ(GoJson(Json(0.000001)), "0.000001");
}

TEST(GoJsonTest, KeysAreEscapedToo) {
  Json j = Json::object();
  j["a<b"] = "x";
  EXPECT_EQ(GoJson(j), R"({"a\u003cb":"x"})");
}

}  // namespace
}  // namespace mydocker::container
