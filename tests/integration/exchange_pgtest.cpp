// The exchange store against a real PostgreSQL: pushes by the provider, reads and verifies by a
// granted consumer (items limited, masked), refusals, and every data request in the ledger.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <fstream>
#include <thread>

#include "hub/core/caller.hpp"
#include "hub/core/text.hpp"
#include "hub/exchange/share.hpp"
#include "hub/ledger/entry.hpp"
#include "hub/store/pg.hpp"

#include "support/catalog_samples.hpp"
#include "support/hub_fixture.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;
using nlohmann::json;

// kMarket provides, kTax consumes, kStats has no grant.
class ExchangeTest : public HubTest {
 protected:
  void SetUp() override {
    purpose_ = kTaxPurpose;
    start([](Config& c) { c.ledger.seal_interval = std::chrono::milliseconds(50); });
    for (auto code : {kMarket, kTax, kStats}) agency(code);
    market_system_ = person(kMarket, "sc-system", "agency_system", "system");
    market_officer_ = person(kMarket, "sc-officer", "agency_data_officer");
    tax_officer_ = person(kTax, "sw-officer", "agency_data_officer");
    tax_system_ = person(kTax, "sw-system", "agency_system", "system");
    stats_system_ = person(kStats, "tj-system", "agency_system", "system");
    code_ = resource(sample_resource(kMarket));
  }

  // The consumer applies and the provider approves: a grant on the given items and operations.
  std::string grant(json items, json operations, json clear = json::array()) {
    return HubTest::grant(tax_officer_, market_officer_,
                          {{"resource_code", code_},
                           {"items", items},
                           {"clear_items", clear},
                           {"operations", operations},
                           {"purpose", "税收征管中核实纳税人登记信息"},
                           {"valid_until", city_date(365)}});
  }
  std::string records(const std::string& key) {
    return "/api/v1/resources/" + code_ + "/records/" + key;
  }
  json ledger_entry(const std::string& request_id) {
    auto items = ok(verb::get, "/api/v1/ledger/entries?request_id=" + request_id, kAdmin)["items"];
    EXPECT_EQ(items.size(), 1u) << request_id;
    return items.empty() ? json() : items[0];
  }

  std::string market_operator() { return person(kMarket, "sc-operator", "agency_operator"); }
  std::string market_system_, market_officer_, tax_officer_, tax_system_, stats_system_, code_;
};

const json kRecord = {
    {"uscc", "91440101MA59ABCD1X"}, {"legal_person", "张三丰"}, {"reg_capital", 500.5}};

TEST_F(ExchangeTest, ProviderPushesUpdatesAndDeletes) {
  auto created = call(verb::put, records("91440101MA59ABCD1X"), market_system_, kRecord);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(json::parse(created.body), json({{"key", "91440101MA59ABCD1X"}, {"version", 1}}));
  json changed = kRecord;
  changed["reg_capital"] = 800;
  auto updated = call(verb::put, records("91440101MA59ABCD1X"), market_system_, changed);
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(json::parse(updated.body)["version"], 2);
  // The key item may be left out: the path gives it.
  auto no_key =
      call(verb::put, records("91440101MA59XYZW2Q"), market_system_, {{"legal_person", "李四"}});
  EXPECT_EQ(no_key.status, 201) << no_key.body;
  // Counts and freshness follow on the resource.
  auto resource = ok(verb::get, "/api/v1/resources/" + code_, kAdmin);
  EXPECT_EQ(resource["record_count"], 2);
  EXPECT_FALSE(resource["last_updated_at"].is_null());

  EXPECT_EQ(call(verb::delete_, records("91440101MA59XYZW2Q"), market_system_).status, 204);
  EXPECT_EQ(call(verb::delete_, records("91440101MA59XYZW2Q"), market_system_).status, 404);
  EXPECT_EQ(ok(verb::get, "/api/v1/resources/" + code_, kAdmin)["record_count"], 1);
}

TEST_F(ExchangeTest, BadRecordsAreRefusedWithFieldErrors) {
  auto r = call(verb::put, records("91440101MA59ABCD1X"), market_system_,
                {{"uscc", "91440101MA59ABCD1X"}, {"reg_capital", "很多"}, {"shoe_size", 42}});
  ASSERT_EQ(r.status, 422) << r.body;
  auto problem = json::parse(r.body);
  EXPECT_EQ(problem["code"], "validation_failed");
  std::set<std::string> fields;
  for (const auto& e : problem["errors"]) fields.insert(e["field"]);
  EXPECT_EQ(fields, (std::set<std::string>{"reg_capital", "shoe_size", "legal_person"}));
  // The key item must agree with the path.
  EXPECT_EQ(call(verb::put, records("OTHER"), market_system_, kRecord).status, 422);
  EXPECT_EQ(call(verb::put, records("91440101MA59ABCD1X"), market_system_, json::array()).status,
            422);
  // Another agency does not push into this resource; a consumer role does not push at all.
  EXPECT_EQ(call(verb::put, records("91440101MA59ABCD1X"), stats_system_, kRecord).status, 403);
  EXPECT_EQ(call(verb::put, records("91440101MA59ABCD1X"), market_officer_, kRecord).status, 403);
  EXPECT_EQ(call(verb::put, "/api/v1/resources/NOPE/records/x", market_system_, kRecord).status,
            404);
}

TEST_F(ExchangeTest, AGrantedConsumerReadsGrantedItemsMaskedAndEveryRequestIsInTheLedger) {
  ok(verb::put, records("91440101MA59ABCD1X"), market_system_, kRecord);
  const auto grant_id = grant({"uscc", "legal_person"}, {"read"});

  auto r = call(verb::get, records("91440101MA59ABCD1X"), tax_system_, nullptr,
                with_request_id("read-1"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto rec = json::parse(r.body);
  EXPECT_EQ(rec["key"], "91440101MA59ABCD1X");
  EXPECT_EQ(rec["version"], 1);
  EXPECT_EQ(rec["data"], json({{"uscc", "91440101MA59ABCD1X"}, {"legal_person", "张**"}}))
      << "reg_capital is not granted; legal_person is sensitive and not clear";
  // Its ledger entry: durable before the answer left, with the hash of exactly that body.
  auto e = ledger_entry("read-1");
  EXPECT_EQ(e["operation"], "read");
  EXPECT_EQ(e["status"], 200);
  EXPECT_EQ(e["consumer_code"], kTax);
  EXPECT_EQ(e["provider_code"], kMarket);
  EXPECT_EQ(e["resource_code"], code_);
  EXPECT_EQ(e["grant_id"], grant_id);
  EXPECT_EQ(e["purpose"], "税收征管");
  EXPECT_EQ(e["items"], json({"uscc", "legal_person"}));
  EXPECT_EQ(e["record_count"], 1);
  EXPECT_EQ(e["response_sha256"], ledger::to_hex(ledger::sha256(r.body)));
  EXPECT_EQ(r.header("X-Ledger-Index"), std::to_string(e["index"].get<std::int64_t>()));

  // Without a purpose: 400, and recorded as refused.
  auto no_purpose = call(verb::get, records("91440101MA59ABCD1X"), tax_system_, nullptr,
                         with_request_id("read-2", false));
  EXPECT_EQ(no_purpose.status, 400);
  EXPECT_EQ(json::parse(no_purpose.body)["code"], "purpose_required");
  EXPECT_EQ(ledger_entry("read-2")["status"], 400);
  // An agency without a grant: 403 no_grant, recorded.
  auto stranger = call(verb::get, records("91440101MA59ABCD1X"), stats_system_, nullptr,
                       with_request_id("read-3"));
  EXPECT_EQ(stranger.status, 403);
  EXPECT_EQ(json::parse(stranger.body)["code"], "no_grant");
  EXPECT_EQ(ledger_entry("read-3")["status"], 403);
  EXPECT_EQ(ledger_entry("read-3")["consumer_code"], kStats);
  // A missing record: 404, recorded.
  EXPECT_EQ(
      call(verb::get, records("NOSUCH"), tax_system_, nullptr, with_request_id("read-4")).status,
      404);
  EXPECT_EQ(ledger_entry("read-4")["record_count"], 0);
  // Expired (its valid_until passed, as the directory learns by NOTIFY): refused, recorded.
  {
    auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
    pg::exec_blocking(su.get(),
                      "UPDATE grants SET valid_until = now() - interval '1 second' WHERE id = $1",
                      pg::Params().add(grant_id));
    pg::exec_blocking(su.get(), "SELECT pg_notify('hub_directory', $1)",
                      pg::Params().add("grant:" + grant_id));
    int status = 200;
    for (int i = 0; i < 100 && status == 200; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      status = call(verb::get, records("91440101MA59ABCD1X"), tax_system_, nullptr,
                    with_request_id("read-5"))
                   .status;
    }
    EXPECT_EQ(status, 403) << "an expired grant still reads";
    pg::exec_blocking(su.get(),
                      "UPDATE grants SET valid_until = now() + interval '1 day' WHERE id = $1",
                      pg::Params().add(grant_id));
    pg::exec_blocking(su.get(), "SELECT pg_notify('hub_directory', $1)",
                      pg::Params().add("grant:" + grant_id));
    for (int i = 0; i < 100 && status != 200; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      status = call(verb::get, records("91440101MA59ABCD1X"), tax_system_).status;
    }
    EXPECT_EQ(status, 200);
  }
  // Revoked: refused from the next request.
  EXPECT_EQ(call(verb::delete_, "/api/v1/grants/" + grant_id, market_officer_).status, 204);
  EXPECT_EQ(call(verb::get, records("91440101MA59ABCD1X"), tax_system_).status, 403);
}

// The domain without HTTP: a caller made of types, a sink that renders what it is given. The
// read's ledger entry is durable before read() returns, with the digest of what the sink made.
class RecordingSink : public exchange::ShareSink {
 public:
  std::string deliver(const exchange::ShareAnswer& answer) override {
    const auto* record = std::get_if<exchange::RecordView>(&answer);
    body = record ? record->data.dump() : "?";
    return ledger::to_hex(ledger::sha256(body));
  }
  std::string refuse(const ApiError& error) override {
    refused = std::string(error_code_name(error.code()));
    body = refused;
    return ledger::to_hex(ledger::sha256(body));
  }
  void recorded(std::int64_t index) override { ledger_index = index; }
  std::string body, refused;
  std::int64_t ledger_index = -1;
};

TEST_F(ExchangeTest, TheDomainReadsWithoutHttpAndItsEntryIsDurableFirst) {
  ok(verb::put, records("91440101MA59ABCD1X"), market_system_, kRecord);
  grant({"uscc", "legal_person"}, {"read"});
  auto& app = hub_->app();
  Caller caller;
  caller.principal = *app.services().directory.by_token(tax_system_);
  caller.request_id = "domain-read-1";
  caller.purpose = Purpose{"税收征管", std::nullopt};
  caller.worker = &app.worker(0);
  auto read = [&](exchange::ReadRequest request,
                  RecordingSink& sink) -> boost::asio::awaitable<void> {
    co_await app.exchange().read(caller, request, sink);
  };
  auto run = [&](exchange::ReadRequest request, RecordingSink& sink) {
    boost::asio::co_spawn(app.worker(0).ioc(), read(std::move(request), sink),
                          boost::asio::use_future)
        .get();
  };

  RecordingSink sink;
  run({code_, "91440101MA59ABCD1X"}, sink);
  EXPECT_EQ(sink.body, json({{"uscc", "91440101MA59ABCD1X"}, {"legal_person", "张**"}}).dump());
  ASSERT_GE(sink.ledger_index, 0) << "read() returned before its entry was recorded";
  // The entry is in the database when read() returns: read it back without the appender.
  auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
  auto row = pg::exec_blocking(
      su.get(),
      "SELECT operation, status, consumer_code, record_count, "
      "convert_from(leaf, 'UTF8')::json->>'response_sha256' FROM ledger_entries WHERE idx = $1",
      pg::Params().add(sink.ledger_index));
  ASSERT_EQ(row.rows(), 1);
  EXPECT_EQ(row.get(0, 0), "read");
  EXPECT_EQ(row.get(0, 1), "200");
  EXPECT_EQ(row.get(0, 2), kTax);
  EXPECT_EQ(row.get(0, 3), "1");
  EXPECT_EQ(row.get(0, 4), ledger::to_hex(ledger::sha256(sink.body)));

  // A refusal is recorded too, and comes back to the caller as the typed error.
  RecordingSink refused;
  caller.request_id = "domain-read-2";
  caller.purpose.reset();
  EXPECT_THROW(run({code_, "91440101MA59ABCD1X"}, refused), ApiError);
  EXPECT_EQ(refused.refused, "purpose_required");
  EXPECT_GE(refused.ledger_index, 0);

  // When no entry can be made durable, nothing is shared: the read fails with 503 although the
  // sink rendered an answer, which its caller must not send.
  app.appender().stop();
  RecordingSink lost;
  caller.request_id = "domain-read-3";
  caller.purpose = Purpose{"税收征管", std::nullopt};
  try {
    run({code_, "91440101MA59ABCD1X"}, lost);
    ADD_FAILURE() << "a share without its ledger entry returned";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 503u);
  }
  EXPECT_EQ(lost.ledger_index, -1);
}

TEST_F(ExchangeTest, ClearItemsAreDeliveredUnmasked) {
  ok(verb::put, records("91440101MA59ABCD1X"), market_system_, kRecord);
  grant({"uscc", "legal_person", "reg_capital"}, {"read"}, {"legal_person"});
  auto rec = json::parse(call(verb::get, records("91440101MA59ABCD1X"), tax_system_).body);
  EXPECT_EQ(rec["data"], kRecord);
}

TEST_F(ExchangeTest, VerifyAnswersFoundAndMatchOnly) {
  ok(verb::put, records("91440101MA59ABCD1X"), market_system_, kRecord);
  grant({"uscc", "legal_person"}, {"verify"});
  const std::string target = "/api/v1/resources/" + code_ + "/verify";
  auto yes = call(verb::post, target, tax_system_,
                  {{"key", "91440101MA59ABCD1X"}, {"claims", {{"legal_person", "张三丰"}}}},
                  with_request_id("verify-1"));
  ASSERT_EQ(yes.status, 200) << yes.body;
  EXPECT_EQ(json::parse(yes.body), json({{"found", true}, {"match", true}}));
  EXPECT_EQ(ledger_entry("verify-1")["operation"], "verify");
  auto no = call(verb::post, target, tax_system_,
                 {{"key", "91440101MA59ABCD1X"}, {"claims", {{"legal_person", "张三"}}}});
  EXPECT_EQ(json::parse(no.body), json({{"found", true}, {"match", false}}));
  auto none = call(verb::post, target, tax_system_,
                   {{"key", "91440101MA59ZZZZ9Z"}, {"claims", {{"legal_person", "张三丰"}}}});
  EXPECT_EQ(json::parse(none.body), json({{"found", false}, {"match", false}}));
  // Verifying an item the grant does not cover would make verify an oracle: refused.
  auto oracle = call(verb::post, target, tax_system_,
                     {{"key", "91440101MA59ABCD1X"}, {"claims", {{"reg_capital", 500.5}}}});
  EXPECT_EQ(oracle.status, 403);
  EXPECT_EQ(json::parse(oracle.body)["code"], "no_grant");
  // verify does not give read.
  EXPECT_EQ(call(verb::get, records("91440101MA59ABCD1X"), tax_system_).status, 403);
  EXPECT_EQ(call(verb::post, target, tax_system_, {{"key", 5}}).status, 422);
}

TEST_F(ExchangeTest, KeysWithSqlAndPathMetacharactersAreData) {
  grant({"uscc", "legal_person"}, {"read"});
  for (std::string key : {"1' OR '1'='1", "x\"; DROP TABLE records; --", "中文键", "a%2Fb"}) {
    std::string encoded;
    for (unsigned char c : key) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      encoded += std::isalnum(c) ? std::string(1, static_cast<char>(c)) : std::string(buf);
    }
    json body = {{"legal_person", "王五"}};
    auto put = call(verb::put, records(encoded), market_system_, body);
    ASSERT_EQ(put.status, 201) << key << ": " << put.body;
    auto got = call(verb::get, records(encoded), tax_system_);
    ASSERT_EQ(got.status, 200) << key << ": " << got.body;
    EXPECT_EQ(json::parse(got.body)["key"], key);
    EXPECT_EQ(json::parse(got.body)["data"]["uscc"], key);
  }
  EXPECT_EQ(ok(verb::get, "/api/v1/resources/" + code_, kAdmin)["record_count"], 4);
}

// Ten companies in two districts: the resource for query, changes and aggregate.
json company_resource(const std::string& provider) {
  auto doc = sample_resource(provider, "企业基本信息");
  doc["items"].push_back({{"name", "district"},
                          {"title", "所在区"},
                          {"type", "string"},
                          {"required", false},
                          {"sensitivity", "public"}});
  doc["items"].push_back({{"name", "phone"},
                          {"title", "联系电话"},
                          {"type", "string"},
                          {"required", false},
                          {"sensitivity", "sensitive"},
                          {"mask", "phone"}});
  doc["min_group_size"] = 4;
  return doc;
}

class ExchangeQueryTest : public ExchangeTest {
 protected:
  void SetUp() override {
    ExchangeTest::SetUp();
    code_ = resource(company_resource(kMarket));
    for (int i = 0; i < 10; ++i) {
      const std::string key = "9144010100000000" + std::to_string(10 + i);
      ok(verb::put, records(key), market_system_,
         {{"legal_person", i % 2 ? "陈大文" : "林小红"},
          {"reg_capital", 100 * (i + 1)},
          {"district", i < 7 ? "天河区" : "越秀区"},
          {"phone", "1380000000" + std::to_string(i)}});
    }
  }
};

TEST_F(ExchangeQueryTest, QueryFiltersOnGrantedItemsOnly) {
  grant({"uscc", "district", "reg_capital", "phone"}, {"query"});
  auto all = ok(verb::get, "/api/v1/resources/" + code_ + "/records?limit=4", tax_system_);
  ASSERT_EQ(all["items"].size(), 4u);
  EXPECT_EQ(all["items"][0]["data"]["phone"], "138****0000");
  EXPECT_FALSE(all["items"][0]["data"].contains("legal_person"));
  auto page2 = ok(verb::get,
                  "/api/v1/resources/" + code_ +
                      "/records?limit=4&cursor=" + all["next_cursor"].get<std::string>(),
                  tax_system_);
  EXPECT_EQ(page2["items"][0]["key"], "914401010000000014");

  // 天河区 and reg_capital ge 300: keys 12..16 (capital 300..700).
  const std::string filter =
      "district%20eq%20%22%E5%A4%A9%E6%B2%B3%E5%8C%BA%22%20and%20reg_capital%20ge%20300";
  auto tianhe =
      call(verb::get,
           "/api/v1/resources/" + code_ + "/records?filter=" + filter + "&fields=uscc,reg_capital",
           tax_system_, nullptr, with_request_id("query-1"));
  ASSERT_EQ(tianhe.status, 200) << tianhe.body;
  auto items = json::parse(tianhe.body)["items"];
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0]["data"], json({{"uscc", "914401010000000012"}, {"reg_capital", 300}}));
  EXPECT_EQ(ledger_entry("query-1")["record_count"], 5);
  EXPECT_EQ(ledger_entry("query-1")["operation"], "query");

  // Filtering on an item the grant does not cover would be an oracle: 403 no_grant.
  auto oracle =
      call(verb::get,
           "/api/v1/resources/" + code_ + "/records?filter=legal_person%20prefix%20%22%E9%99%88%22",
           tax_system_);
  EXPECT_EQ(oracle.status, 403);
  EXPECT_EQ(json::parse(oracle.body)["code"], "no_grant");
  EXPECT_EQ(
      call(verb::get, "/api/v1/resources/" + code_ + "/records?fields=legal_person", tax_system_)
          .status,
      403);
  // Malformed filters are 400; values are bound as data, never SQL.
  for (std::string bad :
       {"district", "district%20eq", "district%20like%20%22x%22", "reg_capital%20eq%20%22x%22",
        "nosuch%20eq%201", "district%20eq%20%22x%22%20or%201%3D1", "district%20eq%20%22x"}) {
    auto r = call(verb::get, "/api/v1/resources/" + code_ + "/records?filter=" + bad, tax_system_);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
  }
  auto injection =
      ok(verb::get,
         "/api/v1/resources/" + code_ + "/records?filter=district%20eq%20%22x'%20OR%20'1'%3D'1%22",
         tax_system_);
  EXPECT_EQ(injection["items"].size(), 0u);
}

TEST_F(ExchangeQueryTest, ChangesFollowWritesAndDeletesInOrder) {
  grant({"uscc", "reg_capital"}, {"changes"});
  auto first = ok(verb::get, "/api/v1/resources/" + code_ + "/changes?limit=6", tax_system_);
  ASSERT_EQ(first["items"].size(), 6u);
  EXPECT_EQ(first["items"][0]["seq"], 1);
  EXPECT_EQ(first["items"][0]["op"], "upsert");
  EXPECT_EQ(first["items"][0]["data"],
            json({{"uscc", "914401010000000010"}, {"reg_capital", 100}}));
  auto rest = ok(
      verb::get,
      "/api/v1/resources/" + code_ + "/changes?cursor=" + first["next_cursor"].get<std::string>(),
      tax_system_);
  ASSERT_EQ(rest["items"].size(), 4u);
  // Nothing new: an empty page with a cursor to poll from.
  const std::string cursor = rest["next_cursor"];
  EXPECT_EQ(ok(verb::get, "/api/v1/resources/" + code_ + "/changes?cursor=" + cursor,
               tax_system_)["items"]
                .size(),
            0u);
  ok(verb::put, records("914401010000000010"), market_system_,
     {{"legal_person", "林小红"}, {"reg_capital", 150}});
  EXPECT_EQ(call(verb::delete_, records("914401010000000011"), market_system_).status, 204);
  auto news =
      ok(verb::get, "/api/v1/resources/" + code_ + "/changes?cursor=" + cursor, tax_system_);
  ASSERT_EQ(news["items"].size(), 2u);
  EXPECT_EQ(news["items"][0]["key"], "914401010000000010");
  EXPECT_EQ(news["items"][0]["version"], 2);
  EXPECT_EQ(news["items"][1]["op"], "delete");
  EXPECT_FALSE(news["items"][1].contains("data"));
  EXPECT_EQ(ok(verb::get, "/api/v1/resources/" + code_, kAdmin)["record_count"], 9);
  // A cursor the hub did not make is refused.
  EXPECT_EQ(
      call(verb::get, "/api/v1/resources/" + code_ + "/changes?cursor=" + cursor + "x", tax_system_)
          .status,
      400);
}

TEST_F(ExchangeQueryTest, AggregatesCountAndSumLeavingOutSmallGroups) {
  grant({"district", "reg_capital", "phone"}, {"aggregate"});
  const std::string target = "/api/v1/resources/" + code_ + "/aggregate";
  auto r = call(verb::post, target, tax_system_,
                {{"group_by", {"district"}},
                 {"metrics", {{{"op", "count"}}, {{"op", "sum"}, {"item", "reg_capital"}}}}},
                with_request_id("agg-1"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto out = json::parse(r.body);
  // 天河区 has 7 records; 越秀区 has 3, under the minimum of 4: left out and counted.
  ASSERT_EQ(out["groups"].size(), 1u);
  EXPECT_EQ(out["groups"][0]["key"], json({{"district", "天河区"}}));
  EXPECT_EQ(out["groups"][0]["count"], 7);
  EXPECT_EQ(out["groups"][0]["sum_reg_capital"], 2800.0);
  EXPECT_EQ(out["suppressed_groups"], 1);
  EXPECT_EQ(ledger_entry("agg-1")["operation"], "aggregate");
  // With a filter that leaves only small groups, nothing is shown.
  auto small = ok(verb::post, target, tax_system_,
                  {{"group_by", {"district"}},
                   {"filter", "reg_capital ge 800"},
                   {"metrics", {{{"op", "count"}}}}});
  EXPECT_EQ(small["groups"].size(), 0u);
  EXPECT_EQ(small["suppressed_groups"], 1);
  // Grouping by a sensitive item would show it: refused; so is an ungranted item.
  EXPECT_EQ(call(verb::post, target, tax_system_,
                 {{"group_by", {"phone"}}, {"metrics", {{{"op", "count"}}}}})
                .status,
            403);
  EXPECT_EQ(call(verb::post, target, tax_system_,
                 {{"group_by", {"legal_person"}}, {"metrics", {{{"op", "count"}}}}})
                .status,
            403);
  EXPECT_EQ(
      call(verb::post, target, tax_system_,
           {{"group_by", {"district"}}, {"metrics", {{{"op", "max"}, {"item", "reg_capital"}}}}})
          .status,
      422);
  // Aggregate alone gives no records.
  EXPECT_EQ(call(verb::get, "/api/v1/resources/" + code_ + "/records", tax_system_).status, 403);
}

client::ClientResponse import_body(client::HttpsClient& c, const std::string& token,
                                   const std::string& target, const std::string& type,
                                   const std::string& body) {
  return c.request(verb::post, target, body,
                   {{"Authorization", "Bearer " + token}, {"Content-Type", type}});
}

TEST_F(ExchangeTest, NdjsonImportStoresGoodLinesAndReportsBadOnes) {
  std::string body;
  const int n = 12000;  // more than two batches, streamed
  for (int i = 0; i < n; ++i) {
    if (i == 5) {
      body += "{not json\n";
    } else if (i == 9000) {
      body += R"({"uscc":"X9000","legal_person":"王五","reg_capital":"很多"})"
              "\n";
    } else {
      body +=
          json({{"uscc", "K" + std::to_string(i)}, {"legal_person", "张三"}, {"reg_capital", i}})
              .dump() +
          "\r\n";
    }
  }
  const std::string target = "/api/v1/resources/" + code_ + "/imports";
  auto r = import_body(*client_, market_system_, target, "application/x-ndjson", body);
  ASSERT_EQ(r.status, 200) << r.body;
  auto out = json::parse(r.body);
  EXPECT_EQ(out["accepted"], n - 2);
  EXPECT_EQ(out["rejected"], 2);
  ASSERT_EQ(out["errors"].size(), 2u);
  EXPECT_EQ(out["errors"][0]["line"], 6);
  EXPECT_EQ(out["errors"][1]["line"], 9001);
  EXPECT_NE(out["errors"][1]["message"].get<std::string>().find("reg_capital"), std::string::npos);
  EXPECT_EQ(ok(verb::get, "/api/v1/resources/" + code_, kAdmin)["record_count"], n - 2);

  // Imported again: versions go up, the count stays.
  r = import_body(*client_, market_system_, target, "application/x-ndjson",
                  json({{"uscc", "K1"}, {"legal_person", "李四"}}).dump() + "\n");
  EXPECT_EQ(json::parse(r.body)["accepted"], 1);
  grant({"uscc", "legal_person"}, {"read"}, {"legal_person"});
  auto rec = ok(verb::get, records("K1"), tax_system_);
  EXPECT_EQ(rec["version"], 2);
  EXPECT_EQ(rec["data"]["legal_person"], "李四");

  // atomic=true: a bad line and nothing is stored.
  r = import_body(*client_, market_system_, target + "?atomic=true", "application/x-ndjson",
                  json({{"uscc", "A1"}, {"legal_person", "甲"}}).dump() + "\n[1]\n");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(json::parse(r.body)["errors"][0]["field"], "line 2");
  EXPECT_EQ(call(verb::get, records("A1"), tax_system_).status, 404);
  // Not NDJSON or CSV; another agency; a consumer.
  EXPECT_EQ(import_body(*client_, market_system_, target, "application/json", "{}").status, 422);
  EXPECT_EQ(import_body(*client_, stats_system_, target, "application/x-ndjson", "{}\n").status,
            403);
  EXPECT_EQ(import_body(*client_, tax_system_, target, "application/x-ndjson", "{}\n").status, 403);
}

// Batches go in as plain INSERTs of new keys until one meets a stored key (23505), which is
// written again by the upsert, as is the rest of that import: a key stored at a batch's last line,
// a reload, new keys among stored ones. Nothing is lost or doubled, versions are right, and the
// failed statements take no change numbers (no new gaps in the feed).
TEST_F(ExchangeTest, ImportsInsertNewKeysAndFallBackToTheUpsertOnAStoredOne) {
  const std::string target = "/api/v1/resources/" + code_ + "/imports";
  auto lines = [](const std::string& prefix, int from, int to, const std::string& person) {
    std::string body;
    for (int i = from; i < to; ++i) {
      body += json({{"uscc", prefix + std::to_string(i)}, {"legal_person", person}}).dump() + "\n";
    }
    return body;
  };
  auto import = [&](const std::string& body) {
    auto r = import_body(*client_, market_system_, target, "application/x-ndjson", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  };
  const auto& stats = hub_->app().exchange().import_stats();
  struct Ways {
    std::uint64_t copied, inserted, upserted, met_stored;
    bool operator==(const Ways&) const = default;
  };
  Ways seen{0, 0, 0, 0};
  auto ways = [&] {  // the batches since the last call, by way
    const Ways now{stats.copied.load(), stats.inserted.load(), stats.upserted.load(),
                   stats.met_stored.load()};
    const Ways d{now.copied - seen.copied, now.inserted - seen.inserted,
                 now.upserted - seen.upserted, now.met_stored - seen.met_stored};
    seen = now;
    return d;
  };
  ways();
  // New keys only: three batches, all copied.
  EXPECT_EQ(import(lines("K", 0, 12000, "张三"))["accepted"], 12000);
  EXPECT_TRUE((ways() == Ways{3, 0, 0, 0}));
  // 4,999 new keys and, on the batch's last line, a stored one.
  EXPECT_EQ(import(lines("N", 0, 4999, "王五") + lines("K", 0, 1, "李四"))["accepted"], 5000);
  EXPECT_TRUE((ways() == Ways{0, 0, 1, 1}));
  // A reload of 6,000 stored keys with 1,000 new ones after them: upserts to the end.
  EXPECT_EQ(import(lines("K", 6000, 13000, "赵六"))["accepted"], 7000);
  EXPECT_TRUE((ways() == Ways{0, 0, 2, 1}));
  EXPECT_EQ(ok(verb::get, "/api/v1/resources/" + code_, kAdmin)["record_count"],
            12000 + 4999 + 1000);

  grant({"uscc", "legal_person"}, {"read"}, {"legal_person"});
  auto rec = ok(verb::get, records("K0"), tax_system_);
  EXPECT_EQ(rec["version"], 2);
  EXPECT_EQ(rec["data"]["legal_person"], "李四");
  rec = ok(verb::get, records("K6000"), tax_system_);
  EXPECT_EQ(rec["version"], 2);
  EXPECT_EQ(rec["data"]["legal_person"], "赵六");
  EXPECT_EQ(ok(verb::get, records("K12999"), tax_system_)["version"], 1);
  EXPECT_EQ(ok(verb::get, records("N4998"), tax_system_)["version"], 1);
  EXPECT_EQ(ok(verb::get, records("K5999"), tax_system_)["data"]["legal_person"], "张三");

  // 5,000 stored keys, then 10,000 new ones: the upserted batch that found no key stored sends
  // the next one back to COPY.
  EXPECT_EQ(import(lines("K", 0, 5000, "钱七") + lines("M", 0, 10000, "孙八"))["accepted"], 15000);
  EXPECT_TRUE((ways() == Ways{1, 0, 2, 1}));
  EXPECT_EQ(ok(verb::get, "/api/v1/resources/" + code_, kAdmin)["record_count"],
            12000 + 4999 + 1000 + 10000);

  // Every line written took one change number, and no failed statement took any.
  auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
  auto seq =
      pg::exec_blocking(su.get(),
                        "SELECT q.next_seq, (SELECT count(*) FROM records r WHERE r.resource_code "
                        "= q.resource_code), "
                        "(SELECT max(seq) FROM records r WHERE r.resource_code = q.resource_code) "
                        "FROM record_sequences q WHERE q.resource_code = $1",
                        pg::Params().add(code_));
  ASSERT_EQ(seq.rows(), 1);
  EXPECT_EQ(seq.get(0, 0), std::to_string(12000 + 5000 + 7000 + 15000 + 1));
  EXPECT_EQ(seq.get(0, 1), std::to_string(12000 + 4999 + 1000 + 10000));
  EXPECT_EQ(seq.get(0, 2), std::to_string(12000 + 5000 + 7000 + 15000));
}

// New keys of a resource without unique items go in by COPY, whose text format escapes
// backslash, tab, newline and carriage return: the values read back are the values sent.
TEST_F(ExchangeTest, ImportedValuesComeBackAsSentWhateverTheyHold) {
  const std::string target = "/api/v1/resources/" + code_ + "/imports";
  const std::vector<std::string> people = {
      "tab\there",      "back\\slash \\N \\t",    "new\nline\r\nand return",
      "quote \" and '", "越秀区\t天河区\\海珠区", "\\"};
  std::string body;
  for (std::size_t i = 0; i < people.size(); ++i) {
    body += json({{"uscc", "E" + std::to_string(i)}, {"legal_person", people[i]}}).dump() + "\n";
  }
  auto r = import_body(*client_, market_system_, target, "application/x-ndjson", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["accepted"], people.size());
  grant({"uscc", "legal_person"}, {"read"}, {"legal_person"});
  for (std::size_t i = 0; i < people.size(); ++i) {
    auto rec = ok(verb::get, records("E" + std::to_string(i)), tax_system_);
    EXPECT_EQ(rec["data"]["legal_person"], people[i]) << i;
    EXPECT_EQ(rec["version"], 1);
  }
}

// An import's batches commit asynchronously; what it runs before answering must write WAL and
// commit synchronously, so that its flush (and a synchronous standby's) covers every batch.
TEST_F(ExchangeTest, TheImportsDurableWriteFlushesTheBatchesBeforeIt) {
  const std::string target = "/api/v1/resources/" + code_ + "/imports";
  auto r = import_body(*client_, market_system_, target, "application/x-ndjson",
                       json({{"uscc", "D1"}, {"legal_person", "张三"}}).dump() + "\n");
  ASSERT_EQ(r.status, 200) << r.body;
  auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
  auto lsn = [&](const char* fn) {
    auto row = pg::exec_blocking(su.get(), std::string("SELECT ") + fn + "()::text", pg::Params());
    return std::string(row.get(0, 0));
  };
  auto at_least = [&](const std::string& a, const std::string& b) {
    return pg::exec_blocking(su.get(), "SELECT $1::pg_lsn >= $2::pg_lsn",
                             pg::Params().add(a).add(b))
        .get_bool(0, 0);
  };
  // It writes WAL: a transaction that does not (say, one that only takes an xid) is let go
  // without a flush.
  pg::exec_blocking(su.get(), "BEGIN");
  const auto before = lsn("pg_current_wal_insert_lsn");
  pg::exec_blocking(su.get(), exchange::kImportDurableSql, pg::Params().add(code_));
  const auto after = lsn("pg_current_wal_insert_lsn");
  pg::exec_blocking(su.get(), "COMMIT");
  EXPECT_FALSE(at_least(before, after)) << "the durable statement wrote no WAL";
  // After an asynchronous commit, its synchronous commit flushes past it.
  pg::exec_blocking(su.get(), "SET synchronous_commit = off");
  pg::exec_blocking(su.get(), "UPDATE records SET version = version WHERE resource_code = $1",
                    pg::Params().add(code_));
  const auto async_end = lsn("pg_current_wal_insert_lsn");
  pg::exec_blocking(su.get(), "SET synchronous_commit = on");
  pg::exec_blocking(su.get(), exchange::kImportDurableSql, pg::Params().add(code_));
  EXPECT_TRUE(at_least(lsn("pg_current_wal_flush_lsn"), async_end));
}

TEST_F(ExchangeTest, CsvImportReadsAHeaderRowAndChineseText) {
  const std::string target = "/api/v1/resources/" + code_ + "/imports";
  std::string csv =
      "\xEF\xBB\xBFuscc,legal_person,reg_capital\r\n"
      "91440101MA59AAAA1X,陈大文,100.5\r\n"
      "\"91440101MA59BBBB2X\",\"欧阳, 娜娜\",\r\n"
      "91440101MA59CCCC3X,,12\r\n"
      "91440101MA59DDDD4X,黄\"x\",abc\r\n";
  auto r = import_body(*client_, market_operator(), target, "text/csv; charset=utf-8", csv);
  ASSERT_EQ(r.status, 200) << r.body;
  auto out = json::parse(r.body);
  EXPECT_EQ(out["accepted"], 2);
  EXPECT_EQ(out["rejected"], 2);  // a required item missing; a number that is not one
  EXPECT_EQ(out["errors"][0]["line"], 4);
  grant({"uscc", "legal_person", "reg_capital"}, {"read"}, {"legal_person"});
  auto rec = ok(verb::get, records("91440101MA59BBBB2X"), tax_system_);
  EXPECT_EQ(rec["data"], json({{"uscc", "91440101MA59BBBB2X"}, {"legal_person", "欧阳, 娜娜"}}));
  // A header naming something that is not an item.
  EXPECT_EQ(import_body(*client_, market_system_, target, "text/csv", "uscc,shoe\n1,2\n").status,
            422);
}

TEST_F(ExchangeTest, HubctlImportUploadsAFileWithProgress) {
  const auto file = dir_.path() / "companies.ndjson";
  {
    std::ofstream out(file);
    for (int i = 0; i < 3000; ++i) {
      out << json({{"uscc", "H" + std::to_string(i)}, {"legal_person", "赵六"}}).dump() << "\n";
    }
    out << "oops\n";
  }
  const auto [rc, out, err] = hubctl({"import", code_, file.string()}, market_system_);
  EXPECT_EQ(rc, 1) << "a rejected line makes the exit status 1: " << err;
  EXPECT_NE(out.find("3000 accepted, 1 rejected"), std::string::npos) << out;
  EXPECT_NE(out.find("line 3001: not a JSON object"), std::string::npos) << out;
  EXPECT_NE(err.find("rows/s"), std::string::npos) << err;
  EXPECT_EQ(ok(verb::get, "/api/v1/resources/" + code_, kAdmin)["record_count"], 3000);
}

TEST_F(ExchangeTest, LicencesAreLookedUpByHolderUnderAQueryGrant) {
  auto lr = ok(verb::post, "/api/v1/licence-resources", kAdmin,
               {{"provider_code", kMarket},
                {"type_name", "营业执照"},
                {"type_code", "11100000000013338W001"},
                {"legal_basis", "《市场主体登记管理条例》"}});
  const std::string licence = lr["code"];
  ok(verb::post, "/api/v1/resources/" + licence + "/publish", kAdmin);
  for (int i = 0; i < 3; ++i) {
    ok(verb::put, "/api/v1/resources/" + licence + "/records/LIC-" + std::to_string(i),
       market_system_,
       {{"licence_name", "营业执照"},
        {"licence_number", "N-" + std::to_string(i)},
        {"type_name", "营业执照"},
        {"type_code", "11100000000013338W001"},
        {"holder_name", "广州市某某科技有限公司"},
        {"holder_code", i < 2 ? "91440101MA59ABCD1X" : "91440101MA59XXXX9X"},
        {"holder_code_type", "001"},
        {"issuer", "广州市市场监督管理局"},
        {"issuer_code", kMarket},
        {"issue_date", "2024-03-01"},
        {"status", "valid"}});
  }
  const std::string target =
      "/api/v1/licences?holder_code=91440101MA59ABCD1X&type_code=11100000000013338W001";
  EXPECT_EQ(call(verb::get, target, tax_system_).status, 403) << "no grant yet";
  auto apply = [&](json clear) {
    return HubTest::grant(
        tax_officer_, market_officer_,
        {{"resource_code", licence},
         {"items", {"licence_number", "holder_name", "holder_code", "holder_code_type", "status"}},
         {"clear_items", clear},
         {"operations", {"query"}},
         {"purpose", "核验纳税人营业执照"},
         {"valid_until", city_date(365)}});
  };
  // The lookup filters by holder: a grant that masks holder_code cannot look holders up (else
  // the lookup would tell whose licences exist by probing codes).
  const std::string masked = apply(json::array());
  EXPECT_EQ(call(verb::get, target, tax_system_).status, 403) << "holder_code is masked";
  ok(verb::delete_, "/api/v1/grants/" + masked, market_officer_);
  apply({"holder_code"});
  auto r =
      call(verb::get, target + "&holder_type=001", tax_system_, nullptr, with_request_id("lic-1"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto items = json::parse(r.body)["items"];
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]["resource_code"], licence);
  EXPECT_EQ(items[0]["data"]["licence_number"], "N-0");
  EXPECT_EQ(items[0]["data"]["holder_name"], "广**********") << "masked as a name";
  EXPECT_FALSE(items[0]["data"].contains("issuer")) << "not granted";
  auto e = ledger_entry("lic-1");
  EXPECT_EQ(e["operation"], "licence_lookup");
  EXPECT_EQ(e["resource_code"], licence);
  EXPECT_EQ(e["purpose"], "税收征管");
  EXPECT_EQ(e["record_count"], 2);
  EXPECT_EQ(call(verb::get, "/api/v1/licences", tax_system_).status, 400);
  EXPECT_EQ(ok(verb::get, "/api/v1/licences?holder_code=nobody", tax_system_)["items"].size(), 0u);
}

}  // namespace
}  // namespace hub::test
