// The test suite's own check of every answer against the OpenAPI document (support/
// openapi_check): it must catch what it is there to catch, or every other test proves nothing.
#include <gtest/gtest.h>

#include "support/openapi_check.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;

client::ClientResponse answer(unsigned status, std::string body,
                              std::string type = "application/json") {
  client::ClientResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = {{"Content-Type", std::move(type)}};
  return r;
}

const char* kProblem =
    R"({"type":"t","title":"Not found","status":404,"detail":"d","code":"not_found"})";

TEST(OpenApiCheck, PassesDocumentedAnswers) {
  EXPECT_TRUE(openapi_problems(verb::get, "/healthz", answer(200, R"({"status":"ok"})")).empty());
  EXPECT_TRUE(openapi_problems(verb::get, "/api/v1/agencies/X",
                               answer(404, kProblem, "application/problem+json"))
                  .empty());
  EXPECT_TRUE(openapi_problems(verb::get, "/no/such/path",
                               answer(404, kProblem, "application/problem+json"))
                  .empty());
}

TEST(OpenApiCheck, CatchesWhatTheDocumentDoesNotSay) {
  // A status the operation does not document.
  EXPECT_FALSE(openapi_problems(verb::get, "/healthz", answer(418, "{}")).empty());
  // A body that breaks its schema: a required member missing, a member of the wrong type.
  EXPECT_FALSE(openapi_problems(verb::get, "/healthz", answer(200, R"({"nope":1})")).empty());
  EXPECT_FALSE(openapi_problems(verb::get, "/api/v1/me",
                                answer(200, R"({"principal_id":5,"name":"a","agency_code":null,)"
                                            R"("kind":"user","roles":[]})"))
                   .empty());
  // A content type it does not document, and a body that is not JSON.
  EXPECT_FALSE(openapi_problems(verb::get, "/healthz", answer(200, "ok", "text/plain")).empty());
  EXPECT_FALSE(openapi_problems(verb::get, "/healthz", answer(200, "{")).empty());
  // A problem whose code is not one of API.md's.
  EXPECT_FALSE(openapi_problems(verb::get, "/api/v1/agencies/X",
                                answer(404,
                                       R"({"type":"t","title":"x","status":404,"detail":"d",)"
                                       R"("code":"teapot"})",
                                       "application/problem+json"))
                   .empty());
}

}  // namespace
}  // namespace hub::test
