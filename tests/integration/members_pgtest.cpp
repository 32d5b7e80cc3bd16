// Members, principals and access control (API.md): who may do what, tokens, sessions,
// certificates, rate limits, and what never reaches the database or the logs.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <openssl/pem.h>

#include "hub/net/tls.hpp"
#include "hub/store/pg.hpp"
#include "support/catalog_samples.hpp"
#include "support/certs.hpp"
#include "support/hub_fixture.hpp"
#include "support/raw_tls.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;
using nlohmann::json;

constexpr const char* kAgencyA = "1144010024CNN5F90B";  // 广州市公安局
constexpr const char* kAgencyB = "11440100BUWH0C0C4R";  // 广州市财政局
constexpr const char* kAgencyC = "11440100D5NQWYF282";  // 广州市教育局 (made by the matrix)

class MembersTest : public HubTest {
 protected:
  void SetUp() override {
    purpose_ = "access-matrix";  // data routes need one; others ignore it
    // Interface services may name this host (registration checks names, not addresses).
    start([](Config& c) { c.services.allowed_hosts = {"api.upstream.gz.gov.cn"}; });
  }
};

TEST_F(MembersTest, BootstrapAdminCanSeeItself) {
  auto me = ok(verb::get, "/api/v1/me", kAdmin);
  EXPECT_EQ(me["name"], "admin");
  EXPECT_EQ(me["roles"], json::array({"hub_admin"}));
  EXPECT_TRUE(me["agency_code"].is_null());
  EXPECT_EQ(call(verb::get, "/api/v1/me", "").status, 401);
  EXPECT_EQ(call(verb::get, "/api/v1/me", "not-a-token").status, 401);
}

TEST_F(MembersTest, TokensInTheQueryStringAreNeverAccepted) {
  for (const char* name : {"access_token", "token", "bearer"}) {
    auto r = call(verb::get, std::string("/api/v1/me?") + name + "=" + kAdmin, "");
    EXPECT_EQ(r.status, 401) << name;
    EXPECT_EQ(json::parse(r.body)["code"], "unauthenticated");
  }
}

TEST_F(MembersTest, AgencyCodesAreCheckedAndUnique) {
  auto bad_check = call(verb::post, "/api/v1/agencies", kAdmin,
                        {{"code", "1144010024CNN5F90C"}, {"name", "x"}, {"level", "city"}});
  EXPECT_EQ(bad_check.status, 422);
  auto body = json::parse(bad_check.body);
  EXPECT_EQ(body["code"], "validation_failed");
  EXPECT_EQ(body["errors"][0]["field"], "code");

  auto bad_level = call(verb::post, "/api/v1/agencies", kAdmin,
                        {{"code", kAgencyA}, {"name", "x"}, {"level", "county"}});
  EXPECT_EQ(bad_level.status, 422);

  agency(kAgencyA, "广州市公安局");
  auto again = call(verb::post, "/api/v1/agencies", kAdmin,
                    {{"code", kAgencyA}, {"name", "广州市公安局"}, {"level", "city"}});
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(json::parse(again.body)["code"], "conflict");

  auto orphan = call(verb::post, "/api/v1/agencies", kAdmin,
                     {{"code", kAgencyB},
                      {"name", "x"},
                      {"level", "district"},
                      {"parent_code", "11440100D5NQWYF282"}});
  EXPECT_EQ(orphan.status, 422);

  auto got = ok(verb::get, std::string("/api/v1/agencies/") + kAgencyA, kAdmin);
  EXPECT_EQ(got["name"], "广州市公安局");
  EXPECT_EQ(got["level"], "city");
  EXPECT_EQ(call(verb::get, "/api/v1/agencies/11440100D5NQWYF282", kAdmin).status, 404);
}

TEST_F(MembersTest, ListsPageWithTamperEvidentCursors) {
  const std::vector<std::string> codes = {"11440100AN43HTNA78", "11440100B2TTX75WXP",
                                          "11440100D5NQWYF282", "1144010093EEXBEL6A",
                                          "114401000RFQNXW5XL"};
  for (const auto& c : codes) agency(c, "机构" + c.substr(8, 4));
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page =
        ok(verb::get, "/api/v1/agencies?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor),
           kAdmin);
    EXPECT_LE(page["items"].size(), 2u);
    for (const auto& a : page["items"]) EXPECT_TRUE(seen.insert(a["code"]).second);
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(seen.size(), codes.size());

  auto first = ok(verb::get, "/api/v1/agencies?limit=1", kAdmin);
  std::string good = first["next_cursor"];
  std::string tampered = good;
  tampered[2] = tampered[2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(call(verb::get, "/api/v1/agencies?cursor=" + tampered, kAdmin).status, 400);
  EXPECT_EQ(call(verb::get, "/api/v1/principals?cursor=" + good, kAdmin).status, 400)
      << "a cursor of one list is refused by another";
  EXPECT_EQ(call(verb::get, "/api/v1/agencies?limit=0", kAdmin).status, 400);
  auto big = ok(verb::get, "/api/v1/agencies?limit=5000", kAdmin);
  EXPECT_EQ(big["items"].size(), codes.size());
}

TEST_F(MembersTest, CdoCreatesOwnAgencyPrincipalsWithAgencyRolesOnly) {
  agency(kAgencyA, "广州市公安局");
  agency(kAgencyB, "广州市财政局");
  auto cdo = principal(kAgencyA, "gongan-cdo", {"agency_cdo"});
  auto created = call(verb::post, "/api/v1/principals", cdo.token,
                      {{"agency_code", kAgencyA},
                       {"name", "gongan-ops"},
                       {"kind", "user"},
                       {"roles", {"agency_operator"}},
                       {"password", "correct horse battery"}});
  EXPECT_EQ(created.status, 201) << created.body;
  auto other = call(verb::post, "/api/v1/principals", cdo.token,
                    {{"agency_code", kAgencyB},
                     {"name", "caizheng-ops"},
                     {"kind", "user"},
                     {"roles", {"agency_operator"}}});
  EXPECT_EQ(other.status, 403);
  auto escalate = call(verb::post, "/api/v1/principals", cdo.token,
                       {{"agency_code", kAgencyA},
                        {"name", "gongan-root"},
                        {"kind", "user"},
                        {"roles", {"hub_admin"}}});
  EXPECT_EQ(escalate.status, 403);
}

TEST_F(MembersTest, ACdoCannotIssueTokensForAHubLevelPrincipalOfItsAgency) {
  agency(kAgencyA, "广州市公安局");
  auto cdo = principal(kAgencyA, "gongan-cdo", {"agency_cdo"});
  auto coordinator = principal(kAgencyA, "gongan-coordinator", {"coordinator"});
  EXPECT_EQ(call(verb::post, "/api/v1/principals/" + coordinator.id + "/tokens", cdo.token,
                 json::object())
                .status,
            404);
  EXPECT_EQ(
      call(verb::patch, "/api/v1/principals/" + coordinator.id, cdo.token, {{"disabled", true}})
          .status,
      404);
}

TEST_F(MembersTest, NulCharactersAreRefusedNotStored) {
  auto r = call(verb::post, "/api/v1/agencies", kAdmin,
                {{"code", kAgencyA}, {"name", std::string("a\0b", 3)}, {"level", "city"}});
  EXPECT_EQ(r.status, 422) << r.body;
  auto s = call(verb::post, "/api/v1/sessions", "",
                {{"name", std::string("admin\0x", 7)}, {"password", "whatever-password"}});
  EXPECT_EQ(s.status, 422);
}

TEST_F(MembersTest, MassAssignmentIsRefusedWithFieldErrors) {
  agency(kAgencyA, "广州市公安局");
  auto r = call(verb::post, "/api/v1/principals", kAdmin,
                {{"agency_code", kAgencyA},
                 {"name", "x-system"},
                 {"kind", "system"},
                 {"roles", {"agency_system"}},
                 {"id", "chosen-id"},
                 {"created_at", "2020-01-01T00:00:00Z"}});
  EXPECT_EQ(r.status, 422);
  auto body = json::parse(r.body);
  std::set<std::string> fields;
  for (const auto& e : body["errors"]) fields.insert(e["field"].get<std::string>());
  EXPECT_TRUE(fields.contains("id"));
  EXPECT_TRUE(fields.contains("created_at"));

  auto agency = call(verb::post, "/api/v1/agencies", kAdmin,
                     {{"code", kAgencyB},
                      {"name", "x"},
                      {"level", "city"},
                      {"created_at", "2020-01-01T00:00:00Z"}});
  EXPECT_EQ(agency.status, 422);
  auto patch = call(verb::patch, "/api/v1/principals/whatever", kAdmin, {{"name", "renamed"}});
  EXPECT_EQ(patch.status, 422);
  auto not_json = client_->request(verb::post, "/api/v1/agencies", "{nope",
                                   {{"Authorization", std::string("Bearer ") + kAdmin}});
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(json::parse(not_json.body)["code"], "validation_failed");
}

TEST_F(MembersTest, RevokedTokenFailsOnTheNextRequest) {
  agency(kAgencyA, "广州市公安局");
  auto system = principal(kAgencyA, "gongan-system", {"agency_system"}, "system");
  EXPECT_EQ(call(verb::get, "/api/v1/me", system.token).status, 200);
  auto tokens = ok(verb::get, "/api/v1/principals/" + system.id + "/tokens", kAdmin);
  ASSERT_EQ(tokens["items"].size(), 1u);
  const std::string token_id = tokens["items"][0]["id"];
  EXPECT_EQ(call(verb::delete_, "/api/v1/tokens/" + token_id, kAdmin).status, 204);
  EXPECT_EQ(call(verb::get, "/api/v1/me", system.token).status, 401);
  EXPECT_EQ(call(verb::delete_, "/api/v1/tokens/" + token_id, kAdmin).status, 204)
      << "revoking twice is harmless";
}

TEST_F(MembersTest, OwnerRevokesItsOwnTokenAndDisablingAPrincipalStopsItsTokens) {
  agency(kAgencyA, "广州市公安局");
  auto ops = principal(kAgencyA, "gongan-ops", {"agency_operator"});
  auto me = ok(verb::get, "/api/v1/me", ops.token);
  auto tokens = ok(verb::get, "/api/v1/principals/" + ops.id + "/tokens", ops.token);
  EXPECT_EQ(call(verb::delete_, "/api/v1/tokens/" + tokens["items"][0]["id"].get<std::string>(),
                 ops.token)
                .status,
            204);
  EXPECT_EQ(call(verb::get, "/api/v1/me", ops.token).status, 401);

  auto second = ok(verb::post, "/api/v1/principals/" + ops.id + "/tokens", kAdmin, json::object());
  const std::string token = second["token"];
  EXPECT_EQ(call(verb::get, "/api/v1/me", token).status, 200);
  ok(verb::patch, "/api/v1/principals/" + ops.id, kAdmin, {{"disabled", true}});
  EXPECT_EQ(call(verb::get, "/api/v1/me", token).status, 401);
  ok(verb::patch, "/api/v1/principals/" + ops.id, kAdmin, {{"disabled", false}});
  EXPECT_EQ(call(verb::get, "/api/v1/me", token).status, 200);
}

TEST_F(MembersTest, RevocationReachesAnotherNodeWithinASecond) {
  agency(kAgencyA, "广州市公安局");
  auto system = principal(kAgencyA, "gongan-system", {"agency_system"}, "system");
  TempDir other_dir;
  TestHub other(another_node(other_dir));
  client::HttpsClient other_client(other.client_options());
  auto me_there = [&] {
    return other_client
        .request(verb::get, "/api/v1/me", {}, {{"Authorization", "Bearer " + system.token}})
        .status;
  };
  // Created on node 1, known on node 2 (through the notification).
  bool known = false;
  for (int i = 0; i < 50 && !known; ++i) {
    known = me_there() == 200;
    if (!known) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(known);
  auto tokens = ok(verb::get, "/api/v1/principals/" + system.id + "/tokens", kAdmin);
  ok(verb::delete_, "/api/v1/tokens/" + tokens["items"][0]["id"].get<std::string>(), kAdmin);
  const auto revoked_at = std::chrono::steady_clock::now();
  bool refused = false;
  while (!refused && std::chrono::steady_clock::now() - revoked_at < std::chrono::seconds(1)) {
    refused = me_there() == 401;
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(refused) << "node 2 still accepted the token a second after revocation";
}

TEST_F(MembersTest, SignInWithPasswordAndThrottleGuessing) {
  agency(kAgencyA, "广州市公安局");
  ok(verb::post, "/api/v1/principals", kAdmin,
     {{"agency_code", kAgencyA},
      {"name", "zhang.wei"},
      {"kind", "user"},
      {"roles", {"agency_data_officer"}},
      {"password", "长城长城-correct-horse"}});
  auto session = call(verb::post, "/api/v1/sessions", "",
                      {{"name", "zhang.wei"}, {"password", "长城长城-correct-horse"}});
  ASSERT_EQ(session.status, 200) << session.body;
  auto s = json::parse(session.body);
  EXPECT_FALSE(s["expires_at"].get<std::string>().empty());
  auto me = ok(verb::get, "/api/v1/me", s["token"]);
  EXPECT_EQ(me["name"], "zhang.wei");
  EXPECT_EQ(me["agency_code"], kAgencyA);

  EXPECT_EQ(
      call(verb::post, "/api/v1/sessions", "", {{"name", "nobody"}, {"password", "x"}}).status,
      401);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(call(verb::post, "/api/v1/sessions", "",
                   {{"name", "zhang.wei"}, {"password", "wrong password " + std::to_string(i)}})
                  .status,
              401);
  }
  auto blocked = call(verb::post, "/api/v1/sessions", "",
                      {{"name", "zhang.wei"}, {"password", "长城长城-correct-horse"}});
  EXPECT_EQ(blocked.status, 429) << "the right password after 5 failures is still throttled";
  EXPECT_FALSE(blocked.header("Retry-After").empty());
  EXPECT_EQ(json::parse(blocked.body)["code"], "rate_limited");
}

TEST_F(MembersTest, APersonChangesItsOwnPasswordAndItsOtherSessionsEnd) {
  agency(kAgencyA, "广州市公安局");
  const std::string old_password = "长城长城-correct-horse";
  const std::string new_password = "珠江新城-battery-staple";
  auto person = ok(verb::post, "/api/v1/principals", kAdmin,
                   {{"agency_code", kAgencyA},
                    {"name", "li.na"},
                    {"kind", "user"},
                    {"roles", {"agency_data_officer"}},
                    {"password", old_password}});
  auto sign_in = [&](const std::string& password) {
    return call(verb::post, "/api/v1/sessions", "", {{"name", "li.na"}, {"password", password}});
  };
  auto first = sign_in(old_password);
  auto second = sign_in(old_password);
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(second.status, 200);
  const std::string here = json::parse(first.body)["token"];
  const std::string elsewhere = json::parse(second.body)["token"];
  auto me = ok(verb::get, "/api/v1/me", here);
  ASSERT_TRUE(me["token_id"].is_string()) << me;

  auto change = [&](const std::string& token, const json& body) {
    return call(verb::post, "/api/v1/me/password", token, body);
  };
  auto field_of = [](const client::ClientResponse& r) {
    auto problem = json::parse(r.body);
    return problem["errors"].empty() ? std::string()
                                     : problem["errors"][0]["field"].get<std::string>();
  };
  auto wrong =
      change(here, {{"current_password", "not-it-at-all"}, {"new_password", new_password}});
  EXPECT_EQ(wrong.status, 422) << wrong.body;
  EXPECT_EQ(field_of(wrong), "current_password");
  auto short_one = change(here, {{"current_password", old_password}, {"new_password", "short"}});
  EXPECT_EQ(short_one.status, 422);
  EXPECT_EQ(field_of(short_one), "new_password");
  // Characters, not bytes: four Chinese characters are twelve bytes and still too short.
  auto four = change(here, {{"current_password", old_password}, {"new_password", "珠江新城"}});
  EXPECT_EQ(four.status, 422);
  EXPECT_EQ(field_of(four), "new_password");
  auto same = change(here, {{"current_password", old_password}, {"new_password", old_password}});
  EXPECT_EQ(same.status, 422);
  EXPECT_EQ(field_of(same), "new_password");
  EXPECT_EQ(change(here, {{"new_password", new_password}}).status, 422) << "current is required";
  auto system = principal(kAgencyA, "gongan-system", {"agency_system"}, "system");
  EXPECT_EQ(
      change(system.token, {{"current_password", old_password}, {"new_password", new_password}})
          .status,
      422)
      << "a system has no password";
  EXPECT_EQ(call(verb::get, "/api/v1/me", elsewhere).status, 200) << "nothing changed yet";

  auto done = change(here, {{"current_password", old_password}, {"new_password", new_password}});
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(json::parse(done.body)["sessions_ended"], 1);
  EXPECT_EQ(call(verb::get, "/api/v1/me", here).status, 200) << "the session in use stays";
  EXPECT_EQ(call(verb::get, "/api/v1/me", elsewhere).status, 401) << "the other session ended";
  EXPECT_EQ(sign_in(old_password).status, 401);
  EXPECT_EQ(sign_in(new_password).status, 200);
  // The administration log says who changed it, and holds no password.
  auto log = ok(verb::get, "/api/v1/admin-log?object_type=principal", kAdmin);
  bool logged = false;
  for (const auto& e : log["items"]) {
    if (e["object_id"] == person["id"] && e["detail"].value("own", false)) {
      logged = e["actor_id"] == person["id"] && e["detail"]["password_changed"] == true;
    }
    EXPECT_EQ(e.dump().find(new_password), std::string::npos);
  }
  EXPECT_TRUE(logged) << log;

  // Guessing through a stolen session is throttled like the sign-in form.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(change(here, {{"current_password", "guess-" + std::to_string(i)},
                            {"new_password", "whatever-it-is-2026"}})
                  .status,
              422);
  }
  auto blocked = change(here, {{"current_password", new_password}, {"new_password", old_password}});
  EXPECT_EQ(blocked.status, 429) << blocked.body;
  EXPECT_FALSE(blocked.header("Retry-After").empty());
}

TEST_F(MembersTest, RateLimitAnswers429WithRetryAfter) {
  hub_.reset();
  start([](Config& c) {
    c.auth.rate_limits[static_cast<int>(Role::agency_system)] = RateLimit{1, 3};
  });
  agency(kAgencyA, "广州市公安局");
  auto system = principal(kAgencyA, "gongan-system", {"agency_system"}, "system");
  int limited = 0;
  std::string retry_after;
  for (int i = 0; i < 6; ++i) {
    auto r = call(verb::get, "/api/v1/me", system.token);
    if (r.status == 429) {
      ++limited;
      retry_after = r.header("Retry-After");
    }
  }
  EXPECT_GE(limited, 2);
  EXPECT_EQ(retry_after, "1");
  EXPECT_EQ(call(verb::get, "/api/v1/me", kAdmin).status, 200) << "limits are per principal";
}

TEST_F(MembersTest, NoRawTokenOrPasswordInTheDatabaseOrTheLogs) {
  hub_.reset();
  const auto access_log = dir_.path() / "access.log";
  start([&](Config& c) {
    c.log.access_log = true;
    c.log.access_log_file = access_log.string();
  });
  agency(kAgencyA, "广州市公安局");
  const std::string password = "secret-password-长城-42";
  auto p = ok(verb::post, "/api/v1/principals", kAdmin,
              {{"agency_code", kAgencyA},
               {"name", "li.na"},
               {"kind", "user"},
               {"roles", {"agency_cdo"}},
               {"password", password}});
  auto issued = ok(verb::post, "/api/v1/principals/" + p["id"].get<std::string>() + "/tokens",
                   kAdmin, json::object());
  const std::string token = issued["token"];
  auto session =
      ok(verb::post, "/api/v1/sessions", "", {{"name", "li.na"}, {"password", password}});
  const std::string session_token = session["token"];
  ok(verb::get, "/api/v1/me", token);
  hub_.reset();  // flushes the access log

  auto conn = pg::connect_blocking(db_.superuser_conninfo(), 5);
  std::string dump;
  for (const char* table : {"agencies", "principals", "tokens", "admin_log", "hub_keys"}) {
    auto r = pg::exec_blocking(
        conn.get(),
        std::string("SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM ") + table + " t", {});
    dump += r.get(0, 0);
  }
  ASSERT_NE(dump.find("li.na"), std::string::npos) << "the dump is not what the test thinks";
  for (const auto& secret : {token, session_token, std::string(kAdmin), password}) {
    EXPECT_EQ(dump.find(secret), std::string::npos) << "a secret is stored in clear";
    // Nor the secret part of a token (what follows the lookup prefix).
    if (secret.starts_with("hub_")) {
      EXPECT_EQ(dump.find(secret.substr(17)), std::string::npos);
    }
  }
  std::ifstream in(access_log);
  std::stringstream log;
  log << in.rdbuf();
  ASSERT_NE(log.str().find("/api/v1/me"), std::string::npos) << log.str();
  for (const auto& secret : {token, session_token, std::string(kAdmin), password}) {
    EXPECT_EQ(log.str().find(secret), std::string::npos) << "a secret reached the access log";
  }
}

TEST_F(MembersTest, AdministrationLogRecordsWhoDidWhat) {
  agency(kAgencyA, "广州市公安局");
  auto cdo = principal(kAgencyA, "gongan-cdo", {"agency_cdo"});
  auto ops = principal(kAgencyA, "gongan-ops", {"agency_operator"}, "user", cdo.token);
  auto tokens = ok(verb::get, "/api/v1/principals/" + ops.id + "/tokens", cdo.token);
  ok(verb::delete_, "/api/v1/tokens/" + tokens["items"][0]["id"].get<std::string>(), cdo.token);
  auto log = ok(verb::get, "/api/v1/admin-log", kAdmin);
  std::vector<std::string> actions;
  for (const auto& e : log["items"]) {
    actions.push_back(e["action"].get<std::string>() + " " + e["object_type"].get<std::string>());
  }
  // Newest first.
  ASSERT_GE(actions.size(), 6u);
  EXPECT_EQ(actions[0], "revoke token");
  EXPECT_EQ(actions[1], "issue token");
  EXPECT_EQ(actions[2], "create principal");
  EXPECT_EQ(log["items"][0]["actor_id"], cdo.id);
  auto own = ok(verb::get, "/api/v1/admin-log", cdo.token);
  for (const auto& e : own["items"]) EXPECT_EQ(e["agency_code"], kAgencyA);
}

TEST_F(MembersTest, BootstrapHappensOnlyOnAnEmptyDatabase) {
  hub_.reset();
  start([](Config& c) { c.bootstrap_admin_token = "another-bootstrap-token-9876543210"; });
  EXPECT_EQ(call(verb::get, "/api/v1/me", "another-bootstrap-token-9876543210").status, 401);
  EXPECT_EQ(call(verb::get, "/api/v1/me", kAdmin).status, 200);
}

TEST_F(MembersTest, CertificateAuthenticatesItsSystemAndRefusesAnotherPrincipalsToken) {
  TestCa ca(dir_.path(), "agencies");
  auto cert = ca.issue("gongan-gateway");
  hub_.reset();
  start([&](Config& c) { c.tls.client_ca = ca.cert_path().string(); });
  // The admin and the CDO still call with tokens, over mutual TLS, with a certificate bound to
  // no principal.
  auto unbound = ca.issue("operator-workstation");
  auto options = hub_->client_options();
  options.client_cert = unbound.cert.string();
  options.client_key = unbound.key.string();
  client_ = std::make_unique<client::HttpsClient>(options);
  agency(kAgencyA, "广州市公安局");

  std::FILE* f = std::fopen(cert.cert.c_str(), "r");
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  const std::string fingerprint = net::certificate_sha256_hex(x);
  X509_free(x);
  auto gateway = ok(verb::post, "/api/v1/principals", kAdmin,
                    {{"agency_code", kAgencyA},
                     {"name", "gongan-gateway"},
                     {"kind", "system"},
                     {"roles", {"agency_system"}},
                     {"cert_sha256", fingerprint}});
  auto other = principal(kAgencyA, "gongan-other", {"agency_system"}, "system");

  auto with_cert = hub_->client_options();
  with_cert.client_cert = cert.cert.string();
  with_cert.client_key = cert.key.string();
  client::HttpsClient system_client(with_cert);
  auto me = system_client.request(verb::get, "/api/v1/me");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(json::parse(me.body)["principal_id"], gateway["id"]);
  auto mixed = system_client.request(verb::get, "/api/v1/me", {},
                                     {{"Authorization", "Bearer " + other.token}});
  EXPECT_EQ(mixed.status, 401) << "a certificate of one principal with a token of another";
}

// Every route × every role × own agency and another: each answer is the one API.md gives. A
// route added without a row here fails the test, so the table stays complete.
TEST_F(MembersTest, AccessMatrixCoversEveryRoute) {
  agency(kAgencyA, "广州市公安局");
  agency(kAgencyB, "广州市财政局");
  std::map<std::string, Actor> actors;
  actors["hub_admin"] = Actor{"", kAdmin};
  actors["coordinator"] = principal("", "coordinator-1", {"coordinator"});
  actors["cdo_a"] = principal(kAgencyA, "a-cdo", {"agency_cdo"});
  actors["officer_a"] = principal(kAgencyA, "a-officer", {"agency_data_officer"});
  actors["operator_a"] = principal(kAgencyA, "a-operator", {"agency_operator"});
  actors["system_a"] = principal(kAgencyA, "a-system", {"agency_system"}, "system");
  actors["cdo_b"] = principal(kAgencyB, "b-cdo", {"agency_cdo"});
  actors["anonymous"] = Actor{"", ""};

  // The object under test: agency A's operator, and a token of it per request that needs one.
  const std::string target = actors["operator_a"].id;
  auto fresh_token_id = [&] {
    auto t = ok(verb::post, "/api/v1/principals/" + target + "/tokens", kAdmin, json::object());
    return t["id"].get<std::string>();
  };
  int agency_seq = 0;
  const std::vector<std::string> spare_codes = {
      "11440100D5NQWYF282", "1144010093EEXBEL6A", "114401000RFQNXW5XL", "11440100BMJ1TNKJX7",
      "1144010056B1PKU28P", "11440100FAJ0T55W64", "11440100TN5YUXTM3J", "11440100F4X2008D3U"};
  int principal_seq = 0;
  // Catalog objects: a published resource of agency A, and fresh ones where a call uses one up.
  auto new_resource = [&](bool publish) -> std::string {
    if (publish) return HubTest::resource(sample_resource(kAgencyA));
    return ok(verb::post, "/api/v1/resources", kAdmin, sample_resource(kAgencyA))["code"];
  };
  const std::string resource = new_resource(true);
  // Sharing objects: agency B applies for agency A's resources.
  auto open_doc = sample_resource(kAgencyA, "公开名录");
  open_doc["share_type"] = "unconditional";
  const std::string open_resource = HubTest::resource(open_doc);
  const std::string cdo_b_token = actors["cdo_b"].token;
  auto apply_body = [](const std::string& code) {
    return json{{"resource_code", code},
                {"items", {"uscc", "legal_person"}},
                {"operations", {"read"}},
                {"purpose", "核验"},
                {"valid_until", city_date(300)}};
  };
  auto pending_application = [&] { return submit(cdo_b_token, apply_body(new_resource(true))); };
  auto new_grant = [&] {
    auto a = ok(verb::post, "/api/v1/applications", cdo_b_token, apply_body(open_resource));
    return a["grant_id"].get<std::string>();
  };
  const std::string application_id = pending_application();
  const std::string grant_id = new_grant();
  // Objections name an existing record.
  ok(verb::put, "/api/v1/resources/" + open_resource + "/records/91440101MA59ABCD1X",
     actors["system_a"].token, json{{"legal_person", "张三"}});
  const std::string objection_path =
      "/api/v1/resources/" + open_resource + "/records/91440101MA59ABCD1X/objections";
  auto new_objection = [&] {
    auto o = ok(verb::post, objection_path, cdo_b_token,
                {{"items", {"legal_person"}}, {"description", "有误"}});
    return o["id"].get<std::string>();
  };
  const std::string objection_id = new_objection();

  // For the refusal rows: a hub-level principal of agency A (a coordinator seated in it) and
  // its tokens; a resource B holds every operation on, legal_person masked; a retired one.
  const Actor hub_level_a = principal(kAgencyA, "a-coordinator", {"coordinator"});
  auto hub_level_token = [&] {
    auto t =
        ok(verb::post, "/api/v1/principals/" + hub_level_a.id + "/tokens", kAdmin, json::object());
    return t["id"].get<std::string>();
  };
  auto full_doc = sample_resource(kAgencyA, "企业名录（全量）");
  full_doc["share_type"] = "unconditional";
  const std::string full_resource = HubTest::resource(full_doc);
  ok(verb::post, "/api/v1/applications", cdo_b_token,
     {{"resource_code", full_resource},
      {"items", {"uscc", "legal_person", "reg_capital"}},
      {"operations", {"read", "query", "changes", "verify", "aggregate"}},
      {"purpose", "核验"},
      {"valid_until", city_date(300)}});
  ok(verb::put, "/api/v1/resources/" + full_resource + "/records/91440101MA59ABCD1X",
     actors["system_a"].token, json{{"legal_person", "张三"}, {"reg_capital", 10}});
  auto retired_doc = sample_resource(kAgencyA, "已废止名录");
  retired_doc["share_type"] = "unconditional";
  const std::string retired_resource = HubTest::resource(retired_doc);
  ok(verb::post, "/api/v1/applications", cdo_b_token, apply_body(retired_resource));
  ok(verb::post, "/api/v1/resources/" + retired_resource + "/retire", kAdmin);

  // Coordination: agency B's demands (assigned to A, answered by A where a call needs it), and
  // its escalations of A's rejections.
  auto new_demand = [&](int stage) {
    auto d = ok(verb::post, "/api/v1/demands", cdo_b_token,
                {{"title", "用电量"},
                 {"description", "目录中没有"},
                 {"items_wanted", {"用电量"}},
                 {"purpose", "分析"}});
    const std::string id = d["id"];
    if (stage >= 1) {
      ok(verb::post, "/api/v1/demands/" + id + "/assignment", kAdmin,
         {{"provider_code", kAgencyA}});
    }
    if (stage >= 2) {
      ok(verb::post, "/api/v1/demands/" + id + "/response", actors["officer_a"].token,
         {{"outcome", "not_held"}, {"reason", "不掌握"}});
    }
    return id;
  };
  const std::string demand_id = new_demand(0);
  auto new_escalation = [&] {
    const std::string app = pending_application();
    decide(actors["officer_a"].token, app, "reject");
    auto e = ok(verb::post, "/api/v1/applications/" + app + "/escalation", cdo_b_token,
                {{"reason", "理由不成立"}});
    return std::make_pair(app, e["id"].get<std::string>());
  };
  const std::string escalation_id = new_escalation().second;
  int issue_seq = 0;
  auto issue_body = [&issue_seq] {
    return json{{"from", "2026-11-01"},
                {"to", "2026-11-30"},
                {"number", "穗数通〔2026〕" + std::to_string(++issue_seq) + "号"},
                {"title", "通报"}};
  };
  const std::string issue_id = ok(verb::post, "/api/v1/reports/issues", kAdmin, issue_body())["id"];

  // An interface service of agency A, which nobody holds a grant on.
  const std::string service = HubTest::resource(
      {{"kind", "service"},
       {"name", "人口核验"},
       {"summary", "核验姓名与身份证号是否一致"},
       {"provider_code", kAgencyA},
       {"category", "basic"},
       {"format", "JSON"},
       {"share_type", "conditional"},
       {"legal_basis", "《居民身份证法》"},
       {"upstream", {{"base_url", "https://api.upstream.gz.gov.cn/population/v1"}}},
       {"operations",
        {{{"id", "verify_person"},
          {"title", "人口核验"},
          {"method", "GET"},
          {"path", "/verify"},
          {"params",
           {{{"name", "id_number"}, {"in", "query"}, {"type", "string"}, {"required", true}}}},
          {"response_items",
           {{{"name", "match"},
             {"title", "是否一致"},
             {"type", "boolean"},
             {"sensitivity", "public"}}}}}}}});

  // Joint computation: agency A registers computations and records consent; a computation over
  // its resource in review (seen by A and the hub only), and an active one nobody holds.
  ok(verb::patch, std::string("/api/v1/agencies/") + kAgencyA, kAdmin,
     {{"can_register_computations", true}, {"can_record_consent", true}});
  const json computation_body = {
      {"name", "注册资本是否过百万"},
      {"subject", "enterprise"},
      {"owner_code", kAgencyA},
      {"inputs", {{{"name", "reg"}, {"resource_code", resource}, {"items", {"reg_capital"}}}}},
      {"outputs", {{{"name", "large"}, {"type", "boolean"}, {"title", "是否大型"}}}},
      {"program", "large = reg.reg_capital >= 100"}};
  auto new_computation = [&](bool active) -> std::string {
    const std::string code =
        ok(verb::post, "/api/v1/computations", kAdmin, computation_body)["code"];
    if (active) {
      ok(verb::post, "/api/v1/computations/" + code + "/approval", actors["cdo_a"].token,
         {{"approve", true}});
    }
    return code;
  };
  const std::string computation_in_review = new_computation(false);
  const std::string active_computation = new_computation(true);
  auto new_authorization = [&] {
    return ok(verb::post, "/api/v1/authorizations", actors["system_a"].token,
              {{"subject_key", "91440101MA59ABCD1X"},
               {"recipient_code", kAgencyB},
               {"purpose", "贷款"},
               {"computation_codes", {active_computation}},
               {"valid_until", city_date(30)}})["id"]
        .get<std::string>();
  };

  // One ledger entry, sealed, for the proof routes.
  {
    boost::asio::io_context ioc;
    ledger::EntryDraft d;
    d.request_id = "matrix";
    d.operation = "read";
    d.consumer_code = kAgencyB;
    d.principal_id = actors["cdo_b"].id;
    d.resource_code = resource;
    d.response_sha256 = std::string(64, '0');
    d.status = 200;
    run_sync(ioc, hub_->app().appender().append(d));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (call(verb::get, "/api/v1/ledger/proof/inclusion?index=0", kAdmin).status != 200 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  struct Case {
    verb method;
    std::string pattern;
    std::function<std::string()> path;
    std::function<json()> body;
    std::map<std::string, unsigned> expect;  // actor → status
  };
  auto all = [&](unsigned status) {
    std::map<std::string, unsigned> m;
    for (const auto& [name, a] : actors) m[name] = name == "anonymous" ? 401u : status;
    return m;
  };
  auto only = [&](std::map<std::string, unsigned> allowed, unsigned otherwise) {
    auto m = all(otherwise);
    for (auto& [k, v] : allowed) m[k] = v;
    return m;
  };
  auto everyone = [&](unsigned status) {
    std::map<std::string, unsigned> m;
    for (const auto& [name, a] : actors) m[name] = status;
    return m;
  };
  const auto writers = [&](unsigned ok_status, unsigned other_agency) {
    return only({{"hub_admin", ok_status},
                 {"cdo_a", ok_status},
                 {"officer_a", ok_status},
                 {"cdo_b", other_agency}},
                403);
  };
  // An indicator of agency A with January 2025 reported (so the same report answers 200).
  const json matrix_indicator = {{"code", "MATRIX-IND"},
                                 {"name", "规模以上工业增加值"},
                                 {"unit", "亿元"},
                                 {"frequency", "monthly"},
                                 {"reporter_code", kAgencyA},
                                 {"due_rule", {{"working_day_of_next_period", 5}}},
                                 {"theme", "经济实力"},
                                 {"start_period", "2025-01"}};
  ok(verb::post, "/api/v1/indicators", kAdmin, matrix_indicator);
  ok(verb::put, "/api/v1/indicators/MATRIX-IND/values/2025-01", actors["cdo_a"].token,
     json{{"value", 1}});
  std::vector<Case> cases = {
      {verb::get, "/healthz", [] { return "/healthz"; }, nullptr, {}},
      {verb::get, "/readyz", [] { return "/readyz"; }, nullptr, {}},
      {verb::get, "/metrics", [] { return "/metrics"; }, nullptr, {}},
      {verb::get, "/openapi.json", [] { return "/openapi.json"; }, nullptr, {}},
      {verb::post,
       "/api/v1/sessions",
       [] { return "/api/v1/sessions"; },
       [&] {  // a new name each time: the throttle counts failures per name
         return json{{"name", "nobody-" + std::to_string(principal_seq++)},
                     {"password", "wrong-password-1"}};
       },
       {}},
      {verb::get, "/api/v1/me", [] { return "/api/v1/me"; }, nullptr, all(200)},
      // Past the access check, a wrong current password (a system has none: 422 too).
      {verb::post, "/api/v1/me/password", [] { return "/api/v1/me/password"; },
       [] {
         return json{{"current_password", "not-the-password"},
                     {"new_password", "a-new-password-2026"}};
       },
       all(422)},
      {verb::post, "/api/v1/agencies", [] { return "/api/v1/agencies"; },
       [&] {
         return json{{"code", spare_codes[agency_seq++ % spare_codes.size()]},
                     {"name", "新机构"},
                     {"level", "district"}};
       },
       only({{"hub_admin", 201}}, 403)},
      {verb::get, "/api/v1/agencies", [] { return "/api/v1/agencies"; }, nullptr, all(200)},
      {verb::get, "/api/v1/agencies/{code}",
       [] { return std::string("/api/v1/agencies/") + kAgencyA; }, nullptr, all(200)},
      {verb::patch, "/api/v1/agencies/{code}",
       [] { return std::string("/api/v1/agencies/") + kAgencyB; },
       [] {
         return json{{"name", "广州市财政局"}};
       },
       only({{"hub_admin", 200}}, 403)},
      // Past the access check, an unknown successor: the matrix disables no agency.
      {verb::post, "/api/v1/agencies/{code}/succession",
       [] { return std::string("/api/v1/agencies/") + kAgencyB + "/succession"; },
       [] {
         return json{{"successor_code", "11440100D5NQWYF282"}};
       },
       only({{"hub_admin", 422}}, 403)},
      {verb::post, "/api/v1/principals", [] { return "/api/v1/principals"; },
       [&] {
         return json{{"agency_code", kAgencyA},
                     {"name", "new-" + std::to_string(principal_seq++)},
                     {"kind", "user"},
                     {"roles", {"agency_operator"}}};
       },
       only({{"hub_admin", 201}, {"cdo_a", 201}, {"cdo_b", 403}}, 403)},
      {verb::get, "/api/v1/principals", [] { return "/api/v1/principals"; }, nullptr,
       only({{"hub_admin", 200}, {"coordinator", 200}, {"cdo_a", 200}, {"cdo_b", 200}}, 403)},
      {verb::get, "/api/v1/principals/{id}", [&] { return "/api/v1/principals/" + target; },
       nullptr, only({{"hub_admin", 200}, {"cdo_a", 200}, {"operator_a", 200}}, 404)},
      {verb::patch, "/api/v1/principals/{id}", [&] { return "/api/v1/principals/" + target; },
       [] {
         return json{{"roles", {"agency_operator"}}};
       },
       only({{"hub_admin", 200}, {"cdo_a", 200}, {"cdo_b", 404}}, 403)},
      {verb::post, "/api/v1/principals/{id}/tokens",
       [&] { return "/api/v1/principals/" + target + "/tokens"; },
       [] {
         return json{{"ttl_days", 1}};
       },
       only({{"hub_admin", 201}, {"cdo_a", 201}, {"cdo_b", 404}}, 403)},
      {verb::get, "/api/v1/principals/{id}/tokens",
       [&] { return "/api/v1/principals/" + target + "/tokens"; }, nullptr,
       only({{"hub_admin", 200}, {"cdo_a", 200}, {"operator_a", 200}}, 404)},
      {verb::delete_, "/api/v1/tokens/{id}", [&] { return "/api/v1/tokens/" + fresh_token_id(); },
       nullptr, only({{"hub_admin", 204}, {"cdo_a", 204}, {"operator_a", 204}}, 404)},
      {verb::get, "/api/v1/admin-log", [] { return "/api/v1/admin-log"; }, nullptr,
       only({{"hub_admin", 200}, {"cdo_a", 200}, {"cdo_b", 200}}, 403)},
      {verb::post, "/api/v1/resources", [] { return "/api/v1/resources"; },
       [] { return sample_resource(kAgencyA); }, writers(201, 403)},
      {verb::get, "/api/v1/resources", [] { return "/api/v1/resources"; }, nullptr, all(200)},
      {verb::get, "/api/v1/resources/{code}", [&] { return "/api/v1/resources/" + resource; },
       nullptr, all(200)},
      {verb::put, "/api/v1/resources/{code}", [&] { return "/api/v1/resources/" + resource; },
       [] { return sample_resource(kAgencyA); }, writers(200, 403)},
      {verb::get, "/api/v1/resources/template.xlsx",
       [] { return "/api/v1/resources/template.xlsx"; }, nullptr,
       only({{"hub_admin", 200},
             {"coordinator", 200},
             {"cdo_a", 200},
             {"officer_a", 200},
             {"cdo_b", 200}},
            403)},
      // Past the access check a JSON body is not a workbook (422); which provider's resources a
      // workbook may register is checked row by row (registration_pgtest.cpp).
      {verb::post, "/api/v1/resources/imports", [] { return "/api/v1/resources/imports"; },
       [] { return json::object(); }, writers(422, 422)},
      // A fresh draft each time: another agency does not even see it (404).
      {verb::post, "/api/v1/resources/{code}/publish",
       [&] { return "/api/v1/resources/" + new_resource(false) + "/publish"; }, nullptr,
       writers(200, 404)},
      {verb::post, "/api/v1/resources/{code}/retire",
       [&] { return "/api/v1/resources/" + new_resource(true) + "/retire"; }, nullptr,
       writers(200, 403)},
      {verb::get, "/api/v1/resources/{code}/versions",
       [&] { return "/api/v1/resources/" + resource + "/versions"; }, nullptr, all(200)},
      {verb::get, "/api/v1/resources/{code}/versions/{version}",
       [&] { return "/api/v1/resources/" + resource + "/versions/1"; }, nullptr, all(200)},
      {verb::get, "/api/v1/resources/{code}/schema",
       [&] { return "/api/v1/resources/" + resource + "/schema"; }, nullptr, all(200)},
      {verb::get, "/api/v1/resources/{code}/quality",
       [&] { return "/api/v1/resources/" + resource + "/quality"; }, nullptr,
       only({{"hub_admin", 200},
             {"coordinator", 200},
             {"cdo_a", 200},
             {"officer_a", 200},
             {"operator_a", 200},
             {"system_a", 200}},
            404)},
      // Indicators: defined by the coordination group (an existing code: 409 past the check),
      // read by every principal, reported by the reporter agency's officers and systems.
      {verb::post, "/api/v1/indicators", [] { return "/api/v1/indicators"; },
       [&] { return matrix_indicator; }, only({{"hub_admin", 409}, {"coordinator", 409}}, 403)},
      {verb::get, "/api/v1/indicators", [] { return "/api/v1/indicators"; }, nullptr, all(200)},
      {verb::get, "/api/v1/indicators/{code}", [] { return "/api/v1/indicators/MATRIX-IND"; },
       nullptr, all(200)},
      {verb::patch, "/api/v1/indicators/{code}", [] { return "/api/v1/indicators/MATRIX-IND"; },
       [] {
         return json{{"unit", "亿元"}};
       },
       only({{"hub_admin", 200}, {"coordinator", 200}}, 403)},
      {verb::put, "/api/v1/indicators/{code}/values/{period}",
       [] { return "/api/v1/indicators/MATRIX-IND/values/2025-01"; },
       [] {
         return json{{"value", 1}};
       },
       only({{"cdo_a", 200}, {"officer_a", 200}, {"system_a", 200}}, 403)},
      // An upload is CSV or XLSX: a JSON body is 422 past the access check.
      {verb::post, "/api/v1/indicators/values", [] { return "/api/v1/indicators/values"; },
       [] { return json::object(); },
       only({{"cdo_a", 422}, {"officer_a", 422}, {"system_a", 422}, {"cdo_b", 422}}, 403)},
      {verb::get, "/api/v1/indicators/{code}/values",
       [] { return "/api/v1/indicators/MATRIX-IND/values"; }, nullptr, all(200)},
      {verb::get, "/api/v1/indicators/{code}/values/{period}/history",
       [] { return "/api/v1/indicators/MATRIX-IND/values/2025-01/history"; }, nullptr, all(200)},
      // Returned data: the list is the staff's (a JSON body is not CSV: 422 past the check);
      // tasks are every principal's to read (their own agency's), their officers' to change.
      {verb::post, "/api/v1/return-tasks/imports", [] { return "/api/v1/return-tasks/imports"; },
       [] { return json::object(); }, only({{"hub_admin", 422}, {"coordinator", 422}}, 403)},
      {verb::get, "/api/v1/return-tasks", [] { return "/api/v1/return-tasks"; }, nullptr,
       all(200)},
      {verb::patch, "/api/v1/return-tasks/{id}",
       [] { return "/api/v1/return-tasks/no-such-task"; },
       [] {
         return json{{"status", "sharing"}};
       },
       only({{"hub_admin", 404},
             {"coordinator", 404},
             {"cdo_a", 404},
             {"officer_a", 404},
             {"cdo_b", 404}},
            403)},
      {verb::get, "/api/v1/reports/returns", [] { return "/api/v1/reports/returns"; }, nullptr,
       only({{"hub_admin", 200}, {"coordinator", 200}, {"cdo_a", 200}, {"cdo_b", 200}}, 403)},
      {verb::get, "/api/v1/code-lists", [] { return "/api/v1/code-lists"; }, nullptr, all(200)},
      {verb::get, "/api/v1/code-lists/{name}", [] { return "/api/v1/code-lists/gb2260"; },
       nullptr, all(200)},
      {verb::post, "/api/v1/applications", [] { return "/api/v1/applications"; },
       [&] { return apply_body(open_resource); },
       only({{"cdo_b", 201}, {"cdo_a", 422}, {"officer_a", 422}}, 403)},
      {verb::get, "/api/v1/applications", [] { return "/api/v1/applications"; }, nullptr, all(200)},
      {verb::get, "/api/v1/applications/{id}",
       [&] { return "/api/v1/applications/" + application_id; }, nullptr, all(200)},
      {verb::post, "/api/v1/applications/{id}/decision",
       [&] { return "/api/v1/applications/" + pending_application() + "/decision"; },
       [] {
         return json{{"decision", "approve"}};
       },
       writers(200, 403)},
      {verb::post, "/api/v1/applications/{id}/withdraw",
       [&] { return "/api/v1/applications/" + pending_application() + "/withdraw"; }, nullptr,
       only({{"cdo_b", 200}}, 403)},
      {verb::get, "/api/v1/grants", [] { return "/api/v1/grants"; }, nullptr, all(200)},
      {verb::get, "/api/v1/grants/{id}", [&] { return "/api/v1/grants/" + grant_id; }, nullptr,
       all(200)},
      {verb::delete_, "/api/v1/grants/{id}", [&] { return "/api/v1/grants/" + new_grant(); },
       nullptr, writers(204, 403)},
      {verb::post, "/api/v1/grants/{id}/revocation",
       [&] { return "/api/v1/grants/" + new_grant() + "/revocation"; },
       [] {
         return json{{"reason", "停止共享"}};
       },
       writers(200, 403)},
      // Renewed by the consumer's officers only (agency B holds the grants here).
      {verb::post, "/api/v1/grants/{id}/renewal",
       [&] { return "/api/v1/grants/" + new_grant() + "/renewal"; },
       [] {
         return json{{"valid_until", city_date(360)}, {"reason", "继续核验"}};
       },
       only({{"cdo_b", 200}}, 403)},
      {verb::post, "/api/v1/resources/{code}/records/{key}/objections",
       [&] { return objection_path; },
       [] {
         return json{{"items", {"legal_person"}}, {"description", "有误"}};
       },
       only({{"cdo_b", 201}}, 403)},
      {verb::post, "/api/v1/resources/{code}/objections",
       [&] { return "/api/v1/resources/" + open_resource + "/objections"; },
       [] {
         return json{
             {"key", "91440101MA59ABCD1X"}, {"items", {"legal_person"}}, {"description", "有误"}};
       },
       only({{"cdo_b", 201}}, 403)},
      {verb::post, "/api/v1/objections/{id}/resolution",
       [&] { return "/api/v1/objections/" + new_objection() + "/resolution"; },
       [] {
         return json{{"outcome", "rejected"}, {"note", "核实无误"}};
       },
       only({{"cdo_a", 200}, {"officer_a", 200}, {"operator_a", 200}}, 403)},
      {verb::get, "/api/v1/objections", [] { return "/api/v1/objections"; }, nullptr, all(200)},
      {verb::get, "/api/v1/objections/{id}", [&] { return "/api/v1/objections/" + objection_id; },
       nullptr, all(200)},
      // Records: the provider's systems and operators push; data requests need a grant, which
      // no actor here holds (the exchange tests cover granted reads).
      {verb::put, "/api/v1/resources/{code}/records/{key}",
       [&] {
         return "/api/v1/resources/" + resource + "/records/k" + std::to_string(agency_seq++);
       },
       [] {
         return json{{"legal_person", "张三"}};
       },
       only({{"operator_a", 201}, {"system_a", 201}, {"cdo_b", 403}}, 403)},
      {verb::delete_, "/api/v1/resources/{code}/records/{key}",
       [&] {
         ok(verb::put, "/api/v1/resources/" + resource + "/records/gone", actors["system_a"].token,
            json{{"legal_person", "张三"}});
         return "/api/v1/resources/" + resource + "/records/gone";
       },
       nullptr, only({{"operator_a", 204}, {"system_a", 204}}, 403)},
      {verb::get, "/api/v1/resources/{code}/records/{key}",
       [&] { return "/api/v1/resources/" + resource + "/records/91440101MA59ABCD1X"; }, nullptr,
       all(403)},
      {verb::post, "/api/v1/resources/{code}/verify",
       [&] { return "/api/v1/resources/" + resource + "/verify"; },
       [] {
         return json{{"key", "x"}, {"claims", {{"legal_person", "张三"}}}};
       },
       all(403)},
      {verb::get, "/api/v1/resources/{code}/records",
       [&] { return "/api/v1/resources/" + resource + "/records"; }, nullptr, all(403)},
      {verb::post, "/api/v1/resources/{code}/imports",
       [&] { return "/api/v1/resources/" + resource + "/imports"; },
       [] { return json::object(); },  // sent as JSON: not an import's type
       only({{"operator_a", 422}, {"system_a", 422}}, 403)},
      {verb::get, "/api/v1/licences", [] { return "/api/v1/licences?holder_code=x"; }, nullptr,
       all(403)},
      {verb::get, "/api/v1/resources/{code}/changes",
       [&] { return "/api/v1/resources/" + resource + "/changes"; }, nullptr, all(403)},
      {verb::post, "/api/v1/resources/{code}/aggregate",
       [&] { return "/api/v1/resources/" + resource + "/aggregate"; },
       [] {
         return json{{"metrics", {{{"op", "count"}}}}};
       },
       all(403)},
      // Interface services: a call needs a grant on the operation (nobody has one here); the
      // health page is the provider's, the hub's and the coordinators'.
      {verb::get, "/api/v1/services/{code}/call/{operation_id}",
       [&] { return "/api/v1/services/" + service + "/call/verify_person?id_number=x"; }, nullptr,
       all(403)},
      {verb::post, "/api/v1/services/{code}/call/{operation_id}",
       [&] { return "/api/v1/services/" + service + "/call/verify_person?id_number=x"; },
       [] { return json::object(); }, all(403)},
      {verb::get, "/api/v1/services/{code}/health",
       [&] { return "/api/v1/services/" + service + "/health"; }, nullptr,
       only({{"hub_admin", 200},
             {"coordinator", 200},
             {"cdo_a", 200},
             {"officer_a", 200},
             {"operator_a", 200},
             {"system_a", 200}},
            403)},
      {verb::get, "/api/v1/ledger/entries", [] { return "/api/v1/ledger/entries"; }, nullptr,
       all(200)},
      {verb::get, "/api/v1/ledger/checkpoint", [] { return "/api/v1/ledger/checkpoint"; }, nullptr,
       all(200)},
      {verb::get, "/api/v1/ledger/public-key", [] { return "/api/v1/ledger/public-key"; }, nullptr,
       all(200)},
      {verb::get, "/api/v1/ledger/proof/inclusion",
       [] { return "/api/v1/ledger/proof/inclusion?index=0"; }, nullptr, all(200)},
      {verb::get, "/api/v1/ledger/proof/consistency",
       [] { return "/api/v1/ledger/proof/consistency?first=0&second=1"; }, nullptr, all(200)},
      {verb::get, "/api/v1/reports/sharing-status",
       [] { return "/api/v1/reports/sharing-status?format=csv"; }, nullptr,
       only({{"hub_admin", 200}, {"coordinator", 200}, {"cdo_a", 200}, {"cdo_b", 200}}, 403)},
      {verb::get, "/api/v1/reports/data-quality",
       [] { return "/api/v1/reports/data-quality?format=csv"; }, nullptr,
       only({{"hub_admin", 200}, {"coordinator", 200}, {"cdo_a", 200}, {"cdo_b", 200}}, 403)},
      {verb::get, "/api/v1/reports/activity", [] { return "/api/v1/reports/activity"; }, nullptr,
       only({{"hub_admin", 200}, {"coordinator", 200}, {"cdo_a", 200}, {"cdo_b", 200}}, 403)},
      // Coordination (API.md Part 2).
      {verb::post, "/api/v1/demands", [] { return "/api/v1/demands"; },
       [] {
         return json{{"title", "用电量"},
                     {"description", "目录中没有"},
                     {"items_wanted", {"用电量"}},
                     {"purpose", "分析"}};
       },
       only({{"cdo_a", 201}, {"officer_a", 201}, {"cdo_b", 201}}, 403)},
      {verb::get, "/api/v1/demands", [] { return "/api/v1/demands"; }, nullptr, all(200)},
      {verb::get, "/api/v1/demands/{id}", [&] { return "/api/v1/demands/" + demand_id; }, nullptr,
       only({{"hub_admin", 200}, {"coordinator", 200}, {"cdo_b", 200}}, 404)},
      {verb::post, "/api/v1/demands/{id}/assignment",
       [&] { return "/api/v1/demands/" + new_demand(0) + "/assignment"; },
       [] {
         return json{{"provider_code", kAgencyA}};
       },
       only({{"hub_admin", 200}, {"coordinator", 200}}, 403)},
      {verb::post, "/api/v1/demands/{id}/response",
       [&] { return "/api/v1/demands/" + new_demand(1) + "/response"; },
       [] {
         return json{{"outcome", "not_held"}, {"reason", "不掌握"}};
       },
       only({{"cdo_a", 200}, {"officer_a", 200}}, 403)},
      {verb::post, "/api/v1/demands/{id}/acceptance",
       [&] { return "/api/v1/demands/" + new_demand(2) + "/acceptance"; },
       [] {
         return json{{"accepted", true}};
       },
       only({{"cdo_b", 200}}, 403)},
      {verb::post, "/api/v1/applications/{id}/escalation",
       [&] {
         const std::string app = pending_application();
         decide(actors["officer_a"].token, app, "reject");
         return "/api/v1/applications/" + app + "/escalation";
       },
       [] {
         return json{{"reason", "理由不成立"}};
       },
       only({{"cdo_b", 201}}, 403)},
      {verb::get, "/api/v1/escalations", [] { return "/api/v1/escalations"; }, nullptr, all(200)},
      {verb::get, "/api/v1/escalations/{id}",
       [&] { return "/api/v1/escalations/" + escalation_id; }, nullptr, all(200)},
      {verb::post, "/api/v1/escalations/{id}/ruling",
       [&] { return "/api/v1/escalations/" + new_escalation().second + "/ruling"; },
       [] {
         return json{{"outcome", "upheld"}, {"note", "维持"}};
       },
       only({{"coordinator", 200}}, 403)},
      {verb::post, "/api/v1/reports/issues", [] { return "/api/v1/reports/issues"; },
       issue_body, only({{"hub_admin", 201}, {"coordinator", 201}}, 403)},
      {verb::get, "/api/v1/reports/issues", [] { return "/api/v1/reports/issues"; }, nullptr,
       only({{"hub_admin", 200}, {"coordinator", 200}, {"cdo_a", 200}, {"cdo_b", 200}}, 403)},
      {verb::get, "/api/v1/reports/issues/{id}",
       [&] { return "/api/v1/reports/issues/" + issue_id; }, nullptr,
       only({{"hub_admin", 200}, {"coordinator", 200}, {"cdo_a", 200}, {"cdo_b", 200}}, 403)},
      // An agency's CDO reads its own agency's alerts.
      {verb::get, "/api/v1/alerts", [] { return "/api/v1/alerts"; }, nullptr,
       only({{"hub_admin", 200}, {"coordinator", 200}, {"cdo_a", 200}, {"cdo_b", 200}}, 403)},
      {verb::post, "/api/v1/alerts/{id}/ack", [] { return "/api/v1/alerts/no-such-alert/ack"; },
       nullptr, only({{"hub_admin", 404}, {"coordinator", 404}}, 403)},
      // The console's files are public (its sign-in page must load); this hub has none built.
      {verb::get, "/console", [] { return "/console"; }, nullptr, everyone(301)},
      {verb::get, "/console/{path*}", [] { return "/console/index.html"; }, nullptr, everyone(404)},
      {verb::post, "/api/v1/licence-resources", [] { return "/api/v1/licence-resources"; },
       [] {
         return json{{"provider_code", kAgencyA},
                     {"type_name", "居民身份证"},
                     {"type_code", "11100000000013338W011"},
                     {"legal_basis", "《居民身份证法》"}};
       },
       writers(201, 403)},

      // Joint computation (docs/computations.md): registered by hub_admin or a registering
      // agency's CDO (B is not one); in review, seen by the owner, its providers and the hub;
      // reviewed by the provider's officers; run only under a grant (nobody holds one here).
      {verb::post, "/api/v1/computations", [] { return "/api/v1/computations"; },
       [&] { return computation_body; },
       only({{"hub_admin", 201}, {"cdo_a", 201}, {"cdo_b", 403}}, 403)},
      {verb::get, "/api/v1/computations", [] { return "/api/v1/computations"; }, nullptr,
       all(200)},
      {verb::get, "/api/v1/computations/{code}",
       [&] { return "/api/v1/computations/" + computation_in_review; }, nullptr,
       only({{"hub_admin", 200},
             {"coordinator", 200},
             {"cdo_a", 200},
             {"officer_a", 200},
             {"operator_a", 200},
             {"system_a", 200},
             {"cdo_b", 404}},
            403)},
      {verb::put, "/api/v1/computations/{code}",
       [&] { return "/api/v1/computations/" + computation_in_review; },
       [&] { return computation_body; },
       only({{"hub_admin", 200}, {"cdo_a", 200}, {"cdo_b", 404}}, 403)},
      {verb::post, "/api/v1/computations/{code}/approval",
       [&] { return "/api/v1/computations/" + new_computation(false) + "/approval"; },
       [] {
         return json{{"approve", true}, {"opinion", "同意"}};
       },
       only({{"cdo_a", 200}, {"officer_a", 200}, {"cdo_b", 404}}, 403)},
      {verb::post, "/api/v1/computations/{code}/run",
       [&] { return "/api/v1/computations/" + active_computation + "/run"; },
       [] {
         return json{{"subject_key", "91440101MA59ABCD1X"}};
       },
       all(403)},
      // Subject authorisations: recorded by a consent-recording agency's systems, listed for
      // its system and CDO and the hub, revoked by the recorder or hub_admin.
      {verb::post, "/api/v1/authorizations", [] { return "/api/v1/authorizations"; },
       [&] {
         return json{{"subject_key", "91440101MA59ABCD1X"},
                     {"recipient_code", kAgencyB},
                     {"purpose", "贷款"},
                     {"computation_codes", {active_computation}},
                     {"valid_until", city_date(30)}};
       },
       only({{"system_a", 201}}, 403)},
      {verb::get, "/api/v1/authorizations",
       [] { return "/api/v1/authorizations?subject=91440101MA59ABCD1X"; }, nullptr,
       only({{"hub_admin", 200}, {"coordinator", 200}, {"cdo_a", 200}, {"system_a", 200}}, 403)},
      {verb::delete_, "/api/v1/authorizations/{id}",
       [&] { return "/api/v1/authorizations/" + new_authorization(); }, nullptr,
       only({{"hub_admin", 204}, {"cdo_a", 204}, {"system_a", 204}, {"cdo_b", 404}}, 403)},

      // Refusals of API.md Part 2, on routes above (docs/security.md names each).
      // A CDO does not see, list or revoke the tokens of its agency's hub-level principals.
      {verb::get, "/api/v1/principals/{id}/tokens",
       [&] { return "/api/v1/principals/" + hub_level_a.id + "/tokens"; }, nullptr,
       only({{"hub_admin", 200}}, 404)},
      {verb::delete_, "/api/v1/tokens/{id}", [&] { return "/api/v1/tokens/" + hub_level_token(); },
       nullptr, only({{"hub_admin", 204}}, 404)},
      // An objection to a record that does not exist: 404 for a grant holder, 403 for the rest
      // (whether the record exists is not told to who may not object).
      {verb::post, "/api/v1/resources/{code}/records/{key}/objections",
       [&] {
         return "/api/v1/resources/" + open_resource + "/records/91440101MA59NONE1X/objections";
       },
       [] {
         return json{{"items", {"legal_person"}}, {"description", "有误"}};
       },
       only({{"cdo_b", 404}}, 403)},
      {verb::post, "/api/v1/resources/{code}/objections",
       [&] { return "/api/v1/resources/" + open_resource + "/objections"; },
       [] {
         return json{{"ref", "not-a-ref-of-this-hub"},
                     {"items", {"legal_person"}},
                     {"description", "有误"}};
       },
       only({{"cdo_b", 404}}, 403)},
      // Under a grant that masks legal_person: filtering, selecting or grouping by it, or
      // grouping by the key, is refused like an item outside the grant.
      {verb::get, "/api/v1/resources/{code}/records",
       [&] {
         return "/api/v1/resources/" + full_resource +
                "/records?filter=legal_person%20eq%20%22%E5%BC%A0%E4%B8%89%22";
       },
       nullptr, all(403)},
      {verb::get, "/api/v1/resources/{code}/records",
       [&] { return "/api/v1/resources/" + full_resource + "/records?fields=legal_person"; },
       nullptr, all(403)},
      {verb::post, "/api/v1/resources/{code}/aggregate",
       [&] { return "/api/v1/resources/" + full_resource + "/aggregate"; },
       [] {
         return json{{"group_by", {"legal_person"}}, {"metrics", {{{"op", "count"}}}}};
       },
       all(403)},
      {verb::post, "/api/v1/resources/{code}/aggregate",
       [&] { return "/api/v1/resources/" + full_resource + "/aggregate"; },
       [] {
         return json{{"group_by", {"uscc"}}, {"metrics", {{{"op", "count"}}}}};
       },
       all(403)},
      // The same grant allows what it shows in clear.
      {verb::get, "/api/v1/resources/{code}/records",
       [&] { return "/api/v1/resources/" + full_resource + "/records?fields=uscc,reg_capital"; },
       nullptr, only({{"cdo_b", 200}}, 403)},
      // Retired: the resource's grants ended; data requests are no_grant, pushes a conflict.
      {verb::get, "/api/v1/resources/{code}/records",
       [&] { return "/api/v1/resources/" + retired_resource + "/records"; }, nullptr, all(403)},
      {verb::put, "/api/v1/resources/{code}/records/{key}",
       [&] { return "/api/v1/resources/" + retired_resource + "/records/91440101MA59ABCD1X"; },
       [] {
         return json{{"legal_person", "张三"}};
       },
       only({{"operator_a", 409}, {"system_a", 409}}, 403)},
  };
  // Open routes answer everyone alike.
  for (auto& c : cases) {
    if (!c.expect.empty()) continue;
    unsigned status = c.pattern == "/api/v1/sessions" ? 401u : 200u;
    for (const auto& [name, a] : actors) c.expect[name] = status;
  }

  std::set<std::string> covered;
  for (auto& c : cases) {
    covered.insert(std::string(boost::beast::http::to_string(c.method)) + " " + c.pattern);
    for (const auto& [name, expected] : c.expect) {
      auto r = call(c.method, c.path(), actors[name].token, c.body ? c.body() : json(nullptr));
      EXPECT_EQ(r.status, expected) << boost::beast::http::to_string(c.method) << " " << c.pattern
                                    << " as " << name << ": " << r.body;
      if (r.status >= 400) {
        auto problem = json::parse(r.body);
        EXPECT_TRUE(problem.contains("code")) << r.body;
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
      }
    }
  }
  std::set<std::string> routed;
  for (const auto& route : hub_->app().router().routes()) {
    routed.insert(std::string(boost::beast::http::to_string(route.verb)) + " " + route.pattern);
  }
  EXPECT_EQ(covered, routed) << "a route has no row in the access matrix";
}

TEST_F(MembersTest, EveryRouteDeclaresItsAccess) {
  // Access has no default constructor, so a route cannot exist without one; this checks the
  // declared kinds are sensible: every /api/v1 route but sign-in needs a principal.
  for (const auto& route : hub_->app().router().routes()) {
    if (route.pattern.rfind("/api/v1/", 0) != 0 || route.pattern == "/api/v1/sessions") continue;
    EXPECT_TRUE(route.access.needs_principal()) << route.pattern << " is open";
  }
}

}  // namespace
}  // namespace hub::test
