#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/http/problem.hpp"

namespace {

TEST(Text, JsonStringStaysValidJsonWhateverTheInput) {
  const std::string inputs[] = {
      "plain",    "quote\" back\\slash",          "new\nline\x01\x7f",
      "中文路径", std::string("bad\xff\xfeutf8"), std::string("\xe4\xb8")};
  for (const auto& in : inputs) {
    std::string out;
    hub::append_json_string(out, in);
    auto parsed = nlohmann::json::parse(out);
    ASSERT_TRUE(parsed.is_string()) << out;
    if (in == "中文路径" || in == "plain") {
      EXPECT_EQ(parsed.get<std::string>(), in);
    }
  }
}

TEST(Text, TokenChars) {
  EXPECT_TRUE(hub::is_token_chars("abc-DEF_1.2", 64));
  EXPECT_FALSE(hub::is_token_chars("", 64));
  EXPECT_FALSE(hub::is_token_chars("a b", 64));
  EXPECT_FALSE(hub::is_token_chars(std::string(65, 'a'), 64));
  EXPECT_TRUE(hub::is_token_chars(std::string(64, 'a'), 64));
}

TEST(Text, RandomIdsDiffer) {
  auto a = hub::random_id();
  auto b = hub::random_id();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(Problem, CarriesTheCodeAndStatus) {
  auto r = hub::http::problem(hub::ErrorCode::validation_failed, "bad",
                              {{"items[0].name", "must match [a-z][a-z0-9_]{0,62}"}});
  EXPECT_EQ(static_cast<unsigned>(r.status), 422u);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["code"], "validation_failed");
  EXPECT_EQ(j["status"], 422);
  EXPECT_EQ(j["title"], "Validation failed");
  EXPECT_EQ(j["detail"], "bad");
  EXPECT_EQ(j["errors"][0]["field"], "items[0].name");
  auto filter =
      hub::http::problem(hub::ApiError(hub::ErrorCode::validation_failed, "filter", {}, 400));
  EXPECT_EQ(static_cast<unsigned>(filter.status), 400u);
  EXPECT_EQ(nlohmann::json::parse(filter.body)["status"], 400);
}

TEST(Problem, EveryCodeHasAStatus) {
  for (int c = 0; c <= static_cast<int>(hub::ErrorCode::gateway_timeout); ++c) {
    auto code = static_cast<hub::ErrorCode>(c);
    EXPECT_GE(hub::error_code_status(code), 400u);
    EXPECT_FALSE(hub::error_code_name(code).empty());
  }
  EXPECT_EQ(hub::error_code_status(hub::ErrorCode::header_too_large), 431u);
  EXPECT_EQ(hub::error_code_status(hub::ErrorCode::payload_too_large), 413u);
  EXPECT_EQ(hub::error_code_status(hub::ErrorCode::unavailable), 503u);
}

}  // namespace
