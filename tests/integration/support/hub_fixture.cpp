#include "support/hub_fixture.hpp"

#include <fstream>
#include <sstream>

#include "hub/cli/hubctl.hpp"

namespace hub::test {

using boost::beast::http::verb;
using nlohmann::json;

Config HubTest::another_node(const TempDir& dir) const {
  auto config = test_config(dir, db_);
  config.ledger.key_file = (dir_.path() / "data" / "ledger" / "signing-key.pem").string();
  if (hub_) config.ledger.origin = hub_->app().config().ledger.origin;
  return config;
}

void HubTest::start(const std::function<void(Config&)>& adjust) {
  auto config = test_config(dir_, db_);
  config.bootstrap_admin_token = kAdmin;
  if (adjust) adjust(config);
  hub_ = std::make_unique<TestHub>(std::move(config));
  client_ = std::make_unique<client::HttpsClient>(hub_->client_options());
}

client::ClientResponse HubTest::send(verb method, const std::string& target,
                                     const std::string& token, const std::string& body,
                                     Headers headers) {
  if (!token.empty()) headers.emplace(headers.begin(), "Authorization", "Bearer " + token);
  return client_->request(method, target, body, headers);
}

client::ClientResponse HubTest::send(verb method, const std::string& target,
                                     const std::string& token, const std::string& body) {
  Headers headers;
  if (!purpose_.empty()) headers.push_back(purpose_header());
  return send(method, target, token, body, std::move(headers));
}

client::ClientResponse HubTest::call(verb method, const std::string& target,
                                     const std::string& token, const json& body) {
  return send(method, target, token, body.is_null() ? std::string() : body.dump());
}

client::ClientResponse HubTest::call(verb method, const std::string& target,
                                     const std::string& token, const json& body, Headers headers) {
  return send(method, target, token, body.is_null() ? std::string() : body.dump(),
              std::move(headers));
}

Headers HubTest::with_request_id(const std::string& request_id, bool purpose) const {
  Headers headers;
  if (purpose && !purpose_.empty()) headers.push_back(purpose_header());
  headers.emplace_back("X-Request-Id", request_id);
  return headers;
}

json HubTest::ok(verb method, const std::string& target, const std::string& token,
                 const json& body) {
  auto r = call(method, target, token, body);
  EXPECT_LT(r.status, 300u) << target << ": " << r.body;
  return r.body.empty() ? json() : json::parse(r.body);
}

void HubTest::agency(const std::string& code, const std::string& name, const std::string& level) {
  ok(verb::post, "/api/v1/agencies", kAdmin,
     {{"code", code}, {"name", name.empty() ? "机构" + code : name}, {"level", level}});
}

Actor HubTest::principal(const std::string& agency, const std::string& name,
                         const std::vector<std::string>& roles, const std::string& kind,
                         const std::string& issuer) {
  json body = {{"name", name}, {"kind", kind}, {"roles", roles}};
  if (!agency.empty()) body["agency_code"] = agency;
  if (kind == "user" && !user_password_.empty()) body["password"] = user_password_;
  auto p = ok(verb::post, "/api/v1/principals", issuer, body);
  auto t = ok(verb::post, "/api/v1/principals/" + p["id"].get<std::string>() + "/tokens", issuer,
              json::object());
  return Actor{p["id"], t["token"]};
}

std::string HubTest::person(const std::string& agency, const std::string& name,
                            const std::string& role, const std::string& kind) {
  return principal(agency, name, {role}, kind).token;
}

std::string HubTest::resource(const json& doc) {
  const std::string code = ok(verb::post, "/api/v1/resources", kAdmin, doc)["code"];
  ok(verb::post, "/api/v1/resources/" + code + "/publish", kAdmin);
  return code;
}

std::string HubTest::submit(const std::string& consumer, const json& application) {
  return ok(verb::post, "/api/v1/applications", consumer, application)["id"];
}

json HubTest::decide(const std::string& provider, const std::string& application_id,
                     const std::string& decision) {
  return ok(verb::post, "/api/v1/applications/" + application_id + "/decision", provider,
            {{"decision", decision}, {"opinion", decision == "approve" ? "同意" : "不符合条件"}});
}

std::string HubTest::grant(const std::string& consumer, const std::string& provider,
                           const json& application) {
  return decide(provider, submit(consumer, application))["grant_id"];
}

std::tuple<int, std::string, std::string> HubTest::hubctl(const std::vector<std::string>& args,
                                                          const std::string& token) {
  const auto token_file = dir_.path() / "hubctl-token";
  std::ofstream(token_file, std::ios::trunc) << token << "\n";
  std::vector<std::string> all = {"--url", "https://127.0.0.1:" + std::to_string(hub_->port()),
                                  "--insecure", "--token-file", token_file.string()};
  all.insert(all.end(), args.begin(), args.end());
  std::ostringstream out, err;
  int rc = cli::hubctl_main(all, out, err);
  return {rc, out.str(), err.str()};
}

Caller HubTest::domain_caller(const std::string& token, const std::string& request_id) const {
  auto& app = hub_->app();
  auto principal = app.services().directory.by_token(token);
  if (!principal) throw std::runtime_error("no principal has this token");
  Caller caller;
  caller.principal = *principal;
  caller.request_id = request_id;
  caller.remote_address = "127.0.0.1";
  caller.remote_is_loopback = true;
  caller.worker = &app.worker(0);
  return caller;
}

}  // namespace hub::test
