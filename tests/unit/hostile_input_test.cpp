// What a hostile or careless client can send, below HTTP: JSON nested deep, with a member twice,
// numbers a double cannot hold; framing headers; record refs that are forged or someone else's;
// CSV cells that would run as formulas; names that break lines (API.md Part 2, docs/security.md).
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "hub/core/json.hpp"
#include "hub/core/text.hpp"
#include "hub/exchange/privacy.hpp"
#include "hub/exchange/refs.hpp"
#include "hub/exchange/schema.hpp"
#include "hub/http/message.hpp"
#include "hub/members/credentials.hpp"
#include "hub/members/limits.hpp"

namespace hub {
namespace {

using nlohmann::json;

std::optional<json> parse(std::string_view text, bool exact = false, std::string* why = nullptr) {
  JsonError error;
  JsonLimits limits;
  limits.exact_numbers = exact;
  auto v = parse_json(text, error, limits);
  if (why) *why = error.message;
  return v;
}

TEST(Json, NestingIsBoundedWhileReadingNotAfter) {
  EXPECT_TRUE(parse(std::string(64, '[') + std::string(64, ']')));
  std::string why;
  EXPECT_FALSE(parse(std::string(65, '[') + std::string(65, ']'), false, &why));
  EXPECT_NE(why.find("deeper than 64"), std::string::npos) << why;
  // 150,000 levels (the crash of issue #15's third item), unclosed and closed: refused at once,
  // never built, so nothing recursive ever sees them.
  EXPECT_FALSE(parse(std::string(150000, '[')));
  std::string objects;
  for (int i = 0; i < 150000; ++i) objects += "{\"a\":";
  EXPECT_FALSE(parse(objects + "1" + std::string(150000, '}'), false, &why));
  EXPECT_NE(why.find("deeper"), std::string::npos);
}

TEST(Json, AMemberNameTwiceIsRefusedAtAnyDepth) {
  std::string why;
  EXPECT_FALSE(parse(R"({"a":1,"a":2})", false, &why));
  EXPECT_NE(why.find("\"a\" appears twice"), std::string::npos) << why;
  EXPECT_FALSE(parse(R"({"x":[{"b":1,"b":1}]})"));
  EXPECT_TRUE(parse(R"({"a":{"a":1},"b":[{"a":1},{"a":2}]})")) << "the same name in other objects";
  // Names are compared after unescaping: "\u0061" is "a".
  EXPECT_FALSE(parse(R"({"a":1,"\u0061":2})"));
}

TEST(Json, StrictGrammarAndNumbersInRange) {
  for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "01", "1.", "NaN", "\"\\x\"", "{} {}",
                          "[1e99999]", "1e1001", "\"\xff\""}) {
    EXPECT_FALSE(parse(bad)) << bad;
  }
  EXPECT_TRUE(parse("1e300"));
  EXPECT_TRUE(parse("-0.0"));
}

TEST(Json, ExactNumbersKeepWhatADoubleWouldChange) {
  auto v = parse(R"({"big":123456789012345678901234567890,"fine":500.5,"scale":1.50,"e":1e2,)"
                 R"("long":0.1000000000000000055511151231257827,"i":42})",
                 true);
  ASSERT_TRUE(v);
  EXPECT_TRUE(is_raw_number((*v)["big"]));
  EXPECT_FALSE(is_raw_number((*v)["fine"])) << "a double writes 500.5 back as 500.5";
  EXPECT_TRUE((*v)["i"].is_number_integer());
  EXPECT_EQ(json_text(*v), R"({"big":123456789012345678901234567890,"e":1e2,"fine":500.5,"i":42,)"
                           R"("long":0.1000000000000000055511151231257827,"scale":1.50})");
  EXPECT_EQ(number_text((*v)["big"]), "123456789012345678901234567890");
  // Without exact numbers the same text is doubles (bodies that are not records).
  auto d = parse(R"({"big":123456789012345678901234567890})");
  ASSERT_TRUE(d);
  EXPECT_TRUE((*d)["big"].is_number_float());
}

TEST(Json, SameValueComparesNumbersAsDecimals) {
  auto a = *parse(R"([100, 1e2, 100.000, 1.0E+2])", true);
  for (const auto& x : a) EXPECT_TRUE(json_same_value(x, json(100))) << json_text(x);
  EXPECT_FALSE(json_same_value(*parse("123456789012345678901234567890", true),
                               *parse("123456789012345678901234567891", true)));
  EXPECT_TRUE(json_same_value(*parse("0", true), *parse("-0.0", true)));
  EXPECT_FALSE(json_same_value(json("100"), json(100))) << "a string is not a number";
  EXPECT_TRUE(is_json_number("-12.5e-3"));
  EXPECT_FALSE(is_json_number("0x10"));
  EXPECT_FALSE(is_json_number("1e100000"));
}

TEST(Json, WritingNeverThrowsAndStaysJson) {
  json odd = {{"bad", std::string("\xff\xfe", 2)},
              {"nul", std::string("a\0b", 3)},
              {"inf", std::numeric_limits<double>::infinity()}};
  const std::string text = json_text(odd);
  EXPECT_EQ(text, R"({"bad":"\ufffd\ufffd","inf":null,"nul":"a\u0000b"})");
  EXPECT_TRUE(parse(text));
}

TEST(RecordValidation, IntegersStayIntegersNumbersStayExactNulsAreRefused) {
  auto s = exchange::RecordSchema::from_resource(
      {{"code", "R"},
       {"key", "id"},
       {"items",
        {{{"name", "id"}, {"type", "string"}, {"required", true}},
         {{"name", "count"}, {"type", "integer"}},
         {{"name", "amount"}, {"type", "number"}},
         {{"name", "note"}, {"type", "string"}}}}});
  auto check = [&](std::string_view text) {
    json data = *parse(text, true);
    return s->validate(data, "k1");
  };
  EXPECT_TRUE(
      check(R"({"count":9007199254740992,"amount":123456789012345678901234567890})").empty());
  EXPECT_TRUE(check(R"({"count":-9007199254740992})").empty());
  for (const char* bad : {R"({"count":1.0})", R"({"count":1e2})", R"({"count":9007199254740993})",
                          R"({"count":-9007199254740993})", R"({"count":18446744073709551615})"}) {
    auto errors = check(bad);
    ASSERT_EQ(errors.size(), 1u) << bad;
    EXPECT_EQ(errors[0].field, "count");
  }
  auto nul = check(R"({"note":"a\u0000b"})");
  ASSERT_EQ(nul.size(), 1u);
  EXPECT_EQ(nul[0].field, "note");
  EXPECT_NE(nul[0].message.find("U+0000"), std::string::npos);
}

TEST(RecordValidation, AWithheldItemIsAbsentWhateverItsValue) {
  exchange::Item salary{"salary", exchange::ItemType::number, false,
                        true,     exchange::Mask::full,       nullptr};
  exchange::Item name{"name", exchange::ItemType::string, false,
                      true,   exchange::Mask::name,       nullptr};
  EXPECT_FALSE(exchange::shown_value(salary, json(nullptr), false)) << "null included";
  EXPECT_FALSE(exchange::shown_value(salary, 9000, false));
  EXPECT_FALSE(exchange::shown_value(name, json(nullptr), false));
  EXPECT_EQ(*exchange::shown_value(name, json(nullptr), true), json(nullptr));
}

TEST(RecordRefs, StablePerConsumerOpaqueAndChecked) {
  exchange::RecordRefs refs;
  refs.set_key(members::random_bytes(exchange::RecordRefs::kKeyBytes));
  const std::string id = "440106199001011234";
  const auto a = refs.ref("11440100XYDWCM5T1B", "R-00001", id);
  EXPECT_EQ(a, refs.ref("11440100XYDWCM5T1B", "R-00001", id)) << "stable";
  EXPECT_NE(a, refs.ref("114401000UUY8XPWXH", "R-00001", id)) << "another consumer";
  EXPECT_NE(a, refs.ref("11440100XYDWCM5T1B", "R-00002", id)) << "another resource";
  EXPECT_EQ(a.find(id), std::string::npos);
  EXPECT_EQ(a.find("4401"), std::string::npos) << "nothing of the key shows";
  // Keys of similar length give refs of one length: 64 characters up to 31 bytes.
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(refs.ref("c", "r", "1").size(), a.size());
  EXPECT_EQ(*refs.key_of("11440100XYDWCM5T1B", "R-00001", a), id);
  EXPECT_FALSE(refs.key_of("114401000UUY8XPWXH", "R-00001", a)) << "only for whom it was made";
  EXPECT_FALSE(refs.key_of("11440100XYDWCM5T1B", "R-00002", a));
  std::string altered = a;
  altered[10] = altered[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(refs.key_of("11440100XYDWCM5T1B", "R-00001", altered));
  for (const char* junk : {"", "x", "not base64!", "AAAA"}) {
    EXPECT_FALSE(refs.key_of("11440100XYDWCM5T1B", "R-00001", junk)) << junk;
  }
  // Keys with every kind of byte come back whole, the longest included.
  for (const std::string& key : {std::string("a"), std::string(31, 'x'), std::string(32, 'y'),
                                 std::string(512, '9'), std::string("户籍/键?#%00")}) {
    EXPECT_EQ(*refs.key_of("c", "r", refs.ref("c", "r", key)), key);
  }
}

http::beast_http::fields fields(std::initializer_list<std::pair<const char*, const char*>> list) {
  http::beast_http::fields f;
  for (const auto& [k, v] : list) f.insert(k, v);
  return f;
}

TEST(HeaderRules, OnlyChunkedIsReadAndOneCredentialPerRequest) {
  EXPECT_FALSE(http::check_header_fields(fields({{"Transfer-Encoding", "chunked"}})));
  EXPECT_FALSE(http::check_header_fields(fields({{"Transfer-Encoding", "Chunked"}})));
  EXPECT_FALSE(http::check_header_fields(fields({{"Content-Length", "10"}})));
  for (const char* te : {"xchunked", "identity", "chunked, identity", "gzip, chunked", "",
                         "chunked, chunked", "chunked;x=1"}) {
    auto r = http::check_header_fields(fields({{"Transfer-Encoding", te}}));
    ASSERT_TRUE(r) << te;
    EXPECT_EQ(r->status, http::Status::not_implemented) << te;
  }
  auto two_te = fields({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}});
  EXPECT_TRUE(http::check_header_fields(two_te));
  auto both = http::check_header_fields(
      fields({{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}}));
  ASSERT_TRUE(both);
  EXPECT_EQ(both->status, http::Status::bad_request);
  for (const char* name : {"Authorization", "X-Purpose", "X-Purpose-Code"}) {
    auto r = http::check_header_fields(fields({{name, "a"}, {name, "b"}}));
    ASSERT_TRUE(r) << name;
    EXPECT_EQ(r->status, http::Status::bad_request);
    EXPECT_NE(r->body.find("validation_failed"), std::string::npos);
  }
}

TEST(HeaderRules, AQueryParameterGivenTwiceOrUndecodableIsRefused) {
  http::Request r;
  r.query = "filter=a&limit=5&filter=b&bad=%zz";
  EXPECT_THROW(r.query_param("filter"), ApiError);
  EXPECT_THROW(r.query_param("bad"), ApiError);
  EXPECT_EQ(*r.query_param("limit"), "5");
  EXPECT_FALSE(r.query_param("cursor"));
  r.query = "status=AAA";
  EXPECT_THROW(r.query_choice("status", {"draft", "published"}), ApiError);
  r.query = "status=";
  EXPECT_FALSE(r.query_choice("status", {"draft", "published"}));
}

// The noise against its documented distribution, over 200,000 draws: each bound is six standard
// deviations of its estimate wide (a failure about once in 10⁸ runs by chance), and a noise of
// the wrong scale by a tenth misses it.
TEST(Privacy, DiscreteLaplaceHasItsDistribution) {
  constexpr int kDraws = 200000;
  constexpr double kScale = 2.0;
  const double q = std::exp(-1.0 / kScale);
  const double variance = exchange::discrete_laplace_variance(kScale);
  EXPECT_NEAR(variance, 2 * q / ((1 - q) * (1 - q)), 1e-12);  // about 7.83
  double sum = 0, squares = 0;
  int zeros = 0;
  for (int i = 0; i < kDraws; ++i) {
    const std::int64_t k = exchange::discrete_laplace(kScale);
    sum += static_cast<double>(k);
    squares += static_cast<double>(k) * static_cast<double>(k);
    zeros += k == 0 ? 1 : 0;
  }
  const double mean = sum / kDraws;
  const double sample_variance = squares / kDraws - mean * mean;
  // Mean 0: sd √(σ²/n) ≈ 0.0063.
  EXPECT_LT(std::abs(mean), 6 * std::sqrt(variance / kDraws)) << mean;
  // Variance σ²: the estimate's sd is about √((μ₄ − σ⁴)/n) with μ₄ ≈ 6σ⁴ (a Laplace's kurtosis).
  EXPECT_LT(std::abs(sample_variance - variance), 6 * std::sqrt(5.0 / kDraws) * variance)
      << sample_variance << " against " << variance;
  // P(0) = (1 − q)/(1 + q) ≈ 0.245: the shape, not only the moments.
  const double p0 = (1 - q) / (1 + q);
  EXPECT_LT(std::abs(zeros / static_cast<double>(kDraws) - p0),
            6 * std::sqrt(p0 * (1 - p0) / kDraws))
      << zeros;
  EXPECT_THROW(exchange::discrete_laplace(0), std::invalid_argument);
  EXPECT_THROW(exchange::discrete_laplace(-1), std::invalid_argument);
}

TEST(Privacy, APrivateSumIsOnItsGridWithTheSumsNoise) {
  // Bounds of 10,000 and ε 0.5: a grid of 0.01, noise of scale (10⁶ + 1)/0.5 steps.
  constexpr int kDraws = 20000;
  constexpr double kStep = 0.01, kEpsilon = 0.5, kTruth = 123456.789;
  const double sd = kStep * std::sqrt(exchange::discrete_laplace_variance(1000001.0 / kEpsilon));
  double sum = 0, squares = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double x = exchange::private_sum(kTruth, 10000, kEpsilon);
    const double steps = x / kStep;
    ASSERT_NEAR(steps, std::round(steps), 1e-3) << "not on the grid: " << x;
    sum += x - kTruth;
    squares += (x - kTruth) * (x - kTruth);
  }
  const double mean = sum / kDraws;
  EXPECT_LT(std::abs(mean), 6 * sd / std::sqrt(kDraws)) << mean << " (sd " << sd << ")";
  EXPECT_LT(std::abs(std::sqrt(squares / kDraws) / sd - 1), 6 * std::sqrt(5.0 / kDraws) / 2);
  EXPECT_EQ(exchange::private_sum(0, 0, 1), 0.0) << "bounds of [0, 0]";
}

TEST(Text, CsvCellsNeverRunAsFormulas) {
  EXPECT_EQ(csv_cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
  EXPECT_EQ(csv_cell("+1"), "'+1");
  EXPECT_EQ(csv_cell("-1"), "'-1");
  EXPECT_EQ(csv_cell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_cell("\tx"), "'\tx");
  EXPECT_EQ(csv_cell("\rx"), "\"'\rx\"");
  EXPECT_EQ(csv_cell("广州市公安局"), "广州市公安局");
  EXPECT_EQ(csv_cell("a,b"), "\"a,b\"");
}

TEST(Text, NamesAreSingleLines) {
  for (const char* bad : {"a\nb", "a\rb", "a\tb", "a\x7f", "a\xc2\x85",
                          "a\xe2\x80\xa8"
                          "b",
                          "a\xe2\x80\xa9"}) {
    EXPECT_TRUE(has_control_characters(bad)) << bad;
  }
  EXPECT_FALSE(has_control_characters("广州市公安局 Guangzhou"));
  EXPECT_FALSE(
      has_control_characters("a\xe2\x80\x94"
                             "b"))
      << "an em dash is text";
}

TEST(Limits, ImportSlotsPerAgencyAndInAll) {
  members::ImportSlots slots(2, 3);
  auto a1 = slots.try_acquire("A");
  auto a2 = slots.try_acquire("A");
  EXPECT_TRUE(a1 && a2);
  EXPECT_FALSE(slots.try_acquire("A")) << "two per agency";
  auto b1 = slots.try_acquire("B");
  EXPECT_TRUE(b1);
  EXPECT_FALSE(slots.try_acquire("C")) << "three in all";
  b1.reset();
  EXPECT_TRUE(slots.try_acquire("C")) << "a finished import frees its slot";
  EXPECT_EQ(slots.running(), 2u);
}

TEST(Limits, SuccessfulSignInsAreNoFailures) {
  AuthConfig config;
  config.login_failures_per_address = 3;
  config.login_failures_per_name = 3;
  members::LoginThrottle throttle(config);
  // Twenty colleagues behind one address sign in correctly: each is counted before its
  // password is checked, and uncounted when it was right.
  for (int i = 0; i < 20; ++i) {
    const std::string name = "user" + std::to_string(i);
    EXPECT_FALSE(throttle.blocked(name, "10.0.0.1")) << i;
    throttle.failed(name, "10.0.0.1");
    throttle.succeeded(name, "10.0.0.1");
  }
  for (int i = 0; i < 3; ++i) throttle.failed("guess" + std::to_string(i), "10.0.0.1");
  EXPECT_TRUE(throttle.blocked("anyone", "10.0.0.1")) << "failures still count";
}

}  // namespace
}  // namespace hub
