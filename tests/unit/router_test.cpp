#include <gtest/gtest.h>

#include "hub/http/router.hpp"

namespace {

using hub::http::Access;
using hub::http::Response;
using hub::http::RouteMatch;
using hub::http::Router;
using hub::http::Verb;

hub::http::Handler noop() {
  return [](hub::http::Request&) -> boost::asio::awaitable<Response> { co_return Response{}; };
}

TEST(Router, TellsNotFoundFromMethodNotAllowed) {
  Router r;
  r.add(Verb::get, "/api/v1/resources/{code}", Access::principal(), noop());
  r.add(Verb::put, "/api/v1/resources/{code}", Access::principal(), noop());
  r.add(Verb::get, "/healthz", Access::anyone(), noop());

  auto found = r.match(Verb::get, "/api/v1/resources/R001");
  ASSERT_EQ(found.kind, RouteMatch::Kind::found);
  ASSERT_EQ(found.params.size(), 1u);
  EXPECT_EQ(found.params[0].first, "code");
  EXPECT_EQ(found.params[0].second, "R001");

  auto wrong = r.match(Verb::delete_, "/api/v1/resources/R001");
  EXPECT_EQ(wrong.kind, RouteMatch::Kind::method_not_allowed);
  EXPECT_EQ(wrong.allow, "GET, PUT");

  EXPECT_EQ(r.match(Verb::get, "/api/v1/resources").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(r.match(Verb::get, "/api/v1/resources/R001/x").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(r.match(Verb::get, "/healthz/").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(r.match(Verb::get, "/api/v1/resources/").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(r.match(Verb::get, "").kind, RouteMatch::Kind::not_found);
}

TEST(Router, DecodesPathParameters) {
  Router r;
  r.add(Verb::get, "/r/{key}", Access::anyone(), noop());
  auto m = r.match(Verb::get, "/r/%E5%A4%A9%E6%B2%B3%20x");
  ASSERT_EQ(m.kind, RouteMatch::Kind::found);
  EXPECT_EQ(m.params[0].second, "天河 x");
}

TEST(Router, RefusesDuplicatesAndMissingHandlers) {
  Router r;
  r.add(Verb::get, "/a", Access::anyone(), noop());
  EXPECT_THROW(r.add(Verb::get, "/a", Access::anyone(), noop()), std::logic_error);
  EXPECT_THROW(r.add(Verb::get, "/b", Access::anyone(), nullptr), std::logic_error);
}

TEST(Query, ParsesAndDecodes) {
  auto q = hub::http::parse_query("q=%E8%90%A5%E4%B8%9A+%E6%89%A7%E7%85%A7&limit=5&bad=%zz&&x");
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].first, "q");
  EXPECT_EQ(q[0].second, "营业 执照");
  EXPECT_EQ(q[1].second, "5");
  EXPECT_EQ(q[2].first, "x");
  EXPECT_EQ(q[2].second, "");
  EXPECT_FALSE(hub::http::percent_decode("%4", false).has_value());
  // Bytes that are not UTF-8 are no value (the database would refuse them).
  EXPECT_FALSE(hub::http::percent_decode("%ff", true).has_value());
  EXPECT_FALSE(hub::http::percent_decode("%C3%28", false).has_value());
  EXPECT_EQ(*hub::http::percent_decode("%E5%85%AC%E5%AE%89%E9%83%A8", true), "公安部");
  EXPECT_EQ(*hub::http::percent_decode("a+b", false), "a+b");
}

}  // namespace

TEST(Router, ATailParameterTakesTheRestOfThePath) {
  Router r;
  r.add(Verb::get, "/console", Access::anyone(), noop());
  r.add(Verb::get, "/console/{path*}", Access::anyone(), noop());
  auto index = r.match(Verb::get, "/console/");
  ASSERT_EQ(index.kind, RouteMatch::Kind::found);
  EXPECT_EQ(index.route->pattern, "/console/{path*}");
  ASSERT_EQ(index.params.size(), 1u);
  EXPECT_EQ(index.params[0].first, "path");
  EXPECT_EQ(index.params[0].second, "");
  auto asset = r.match(Verb::get, "/console/assets/index-3f9a.js");
  ASSERT_EQ(asset.kind, RouteMatch::Kind::found);
  EXPECT_EQ(asset.params[0].second, "assets/index-3f9a.js");
  EXPECT_EQ(r.match(Verb::get, "/console").route->pattern, "/console");
  EXPECT_EQ(r.match(Verb::post, "/console/x").kind, RouteMatch::Kind::method_not_allowed);
  EXPECT_EQ(r.match(Verb::get, "/consoles/x").kind, RouteMatch::Kind::not_found);
  EXPECT_THROW(r.add(Verb::get, "/a/{rest*}/b", Access::anyone(), noop()), std::logic_error);
}
