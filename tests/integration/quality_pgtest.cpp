// Data quality over HTTPS against a real PostgreSQL (docs/exchange.md "Quality"): the unique
// rule across pushes, imports and removals (and concurrent writers), quality_mode flag, the
// quality view, the data-quality report, and objections resolved as corrected.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <future>

#include "hub/app/app.hpp"
#include "hub/store/pg.hpp"
#include "support/catalog_samples.hpp"
#include "support/hub_fixture.hpp"

namespace hub::test {
namespace {

using boost::beast::http::verb;
using nlohmann::json;

// 企业登记信息 with a unique licence number (营业执照编号) and a district code.
json unique_resource(const std::string& mode = "reject") {
  json doc = sample_resource(kMarket);
  doc["quality_mode"] = mode;
  doc["items"].push_back({{"name", "licence_no"},
                          {"title", "营业执照编号"},
                          {"type", "string"},
                          {"required", false},
                          {"sensitivity", "public"},
                          {"unique", true}});
  doc["items"].push_back({{"name", "district"},
                          {"title", "所在区"},
                          {"type", "string"},
                          {"required", false},
                          {"sensitivity", "public"},
                          {"code_list", "gb2260"}});
  return doc;
}

class QualityTest : public HubTest {
 protected:
  void SetUp() override {
    start();
    for (auto code : {kMarket, kTax}) agency(code);
    system_ = person(kMarket, "sc-system", "agency_system", "system");
    market_cdo_ = person(kMarket, "sc-cdo", "agency_cdo");
    tax_cdo_ = person(kTax, "sw-cdo", "agency_cdo");
    coordinator_ = person("", "coordinator", "coordinator");
  }
  client::ClientResponse put(const std::string& code, const std::string& key, const json& data) {
    return call(verb::put, "/api/v1/resources/" + code + "/records/" + key, system_, data);
  }
  json import(const std::string& code, const std::string& ndjson, bool atomic = false,
              int status = 200) {
    auto r = client_->request(
        verb::post, "/api/v1/resources/" + code + "/imports" + (atomic ? "?atomic=true" : ""),
        ndjson, {{"Authorization", "Bearer " + system_}, {"Content-Type", "application/x-ndjson"}});
    EXPECT_EQ(r.status, status) << r.body;
    return json::parse(r.body);
  }
  std::string system_, market_cdo_, tax_cdo_, coordinator_;
};

std::string line(const std::string& uscc, const std::string& licence) {
  return json({{"uscc", uscc}, {"legal_person", "张三"}, {"licence_no", licence}}).dump() + "\n";
}

constexpr const char* kA = "91440101MA59ABCD1X";
constexpr const char* kB = "91440101MA59XYZW2Q";
constexpr const char* kC = "91440101MA5AAAAA3P";
constexpr const char* kD = "91440101MA5BBBBB4R";
constexpr const char* kClaimOneAndAHalf = "9f29a130438b81170b92a42650f9a942";
constexpr const char* kClaimGuangzhou = "9f341be3331c14af84156efcec89324d";

TEST_F(QualityTest, AUniqueValueBelongsToOneLiveRecordAcrossPushesImportsAndRemovals) {
  // The rule is registered, shown in the schema, and refused on the key (unique already).
  json keyed = unique_resource();
  keyed["items"][0]["unique"] = true;
  auto refused = call(verb::post, "/api/v1/resources", kAdmin, keyed);
  ASSERT_EQ(refused.status, 422) << refused.body;
  EXPECT_NE(refused.body.find("unique already"), std::string::npos) << refused.body;
  const std::string code = resource(unique_resource());
  auto schema = ok(verb::get, "/api/v1/resources/" + code + "/schema", market_cdo_);
  EXPECT_EQ(schema["properties"]["licence_no"]["x-unique"], true);

  ASSERT_EQ(put(code, kA, {{"legal_person", "张三"}, {"licence_no", "L-001"}}).status, 201);
  auto taken = put(code, kB, {{"legal_person", "李四"}, {"licence_no", "L-001"}});
  ASSERT_EQ(taken.status, 422) << taken.body;
  auto problem = json::parse(taken.body);
  ASSERT_EQ(problem["errors"].size(), 1u) << taken.body;
  EXPECT_EQ(problem["errors"][0]["field"], "licence_no");
  EXPECT_TRUE(problem["errors"][0]["message"].get<std::string>().starts_with("rule unique"));
  EXPECT_EQ(ok(verb::get, "/api/v1/resources/" + code, kAdmin)["record_count"], 1)
      << "the refused record was not stored";
  // Its own value again, and then another: the old one is given back.
  EXPECT_EQ(put(code, kA, {{"legal_person", "张三"}, {"licence_no", "L-001"}}).status, 200);
  EXPECT_EQ(put(code, kA, {{"legal_person", "张三"}, {"licence_no", "L-002"}}).status, 200);
  ASSERT_EQ(put(code, kB, {{"legal_person", "李四"}, {"licence_no", "L-001"}}).status, 201);
  // A removal gives its values back; a record without the item claims nothing.
  EXPECT_EQ(call(verb::delete_, "/api/v1/resources/" + code + "/records/" + kB, system_).status,
            204);
  EXPECT_EQ(put(code, kC, {{"legal_person", "王五"}, {"licence_no", "L-001"}}).status, 201);
  EXPECT_EQ(put(code, kB, {{"legal_person", "李四"}}).status, 201);
  EXPECT_EQ(put(code, kD, {{"legal_person", "赵六"}}).status, 201);

  // An import: a value held by a stored record, and one given twice in the file (the first
  // line keeps it), are rejected with their lines; the rest go in.
  const std::string body = line("91440101MA5CCCCC5B", "L-002") +  // held by kA
                           line("91440101MA5DDDDD6L", "L-100") +  // new
                           line("91440101MA5EEEEE7R", "L-100") +  // the line above holds it
                           line(kB, "L-101");                     // kB takes a new value
  const auto& stats = hub_->app().exchange().import_stats();
  const auto copied = stats.copied.load(), upserted = stats.upserted.load();
  auto out = import(code, body);
  // Two lines wanting one value (and a stored key): not copied, but row by row in line order.
  EXPECT_EQ(stats.copied.load(), copied);
  EXPECT_EQ(stats.upserted.load(), upserted + 1);
  EXPECT_EQ(out["accepted"], 2) << out.dump();
  EXPECT_EQ(out["rejected"], 2) << out.dump();
  ASSERT_EQ(out["errors"].size(), 2u) << out.dump();
  EXPECT_EQ(out["errors"][0]["line"], 1);
  EXPECT_EQ(out["errors"][1]["line"], 3);
  EXPECT_TRUE(out["errors"][0]["message"].get<std::string>().starts_with("rule unique"));

  // Atomic: one such line and nothing is stored.
  const auto before = ok(verb::get, "/api/v1/resources/" + code, kAdmin)["record_count"];
  auto atomic = import(code, line("91440101MA5FFFFF8D", "L-200") + line(kC, "L-100"), true, 422);
  EXPECT_NE(atomic.dump().find("line 2"), std::string::npos) << atomic.dump();
  EXPECT_EQ(ok(verb::get, "/api/v1/resources/" + code, kAdmin)["record_count"], before);
  // ... and L-200 was not kept by the refused import: another record may take it.
  EXPECT_EQ(put(code, kD, {{"legal_person", "赵六"}, {"licence_no", "L-200"}}).status, 200);

  // An atomic import giving one key twice: its lines in order, the second in a batch of its own
  // (one statement may not change a row twice), the first line's value given back.
  const std::string twice = "91440101MA5GGGGG9K";
  auto again = import(code, line(twice, "L-300") + line(twice, "L-301"), true);
  EXPECT_EQ(again["accepted"], 2) << again.dump();
  EXPECT_EQ(put(code, kA, {{"legal_person", "张三"}, {"licence_no", "L-300"}}).status, 200);
  EXPECT_EQ(put(code, kB, {{"legal_person", "李四"}, {"licence_no", "L-301"}}).status, 422);

  // Numbers by value: 1.0 and 1 are one value, however each was written.
  json numbered = sample_resource(kMarket, "企业注册资本登记");
  numbered["items"][2]["unique"] = true;  // reg_capital
  const std::string numbers = resource(numbered);
  const std::string path = "/api/v1/resources/" + numbers + "/records/";
  ASSERT_EQ(
      send(verb::put, path + kA, system_, R"({"legal_person":"张三","reg_capital":1.0})").status,
      201);
  auto same = send(verb::put, path + kB, system_, R"({"legal_person":"李四","reg_capital":1})");
  EXPECT_EQ(same.status, 422) << same.body;
}

TEST_F(QualityTest, AVersionMakingAnItemUniqueClaimsTheStoredValuesOrIsRefused) {
  json doc = unique_resource();
  doc["items"][3].erase("unique");  // licence_no, not unique yet
  const std::string code = resource(doc);
  ASSERT_EQ(put(code, kA, {{"legal_person", "张三"}, {"licence_no", "L-9"}}).status, 201);
  ASSERT_EQ(put(code, kB, {{"legal_person", "李四"}, {"licence_no", "L-9"}}).status, 201);
  auto shared = call(verb::put, "/api/v1/resources/" + code, kAdmin, unique_resource());
  ASSERT_EQ(shared.status, 422) << shared.body;
  EXPECT_EQ(json::parse(shared.body)["errors"][0]["field"], "items[3].unique") << shared.body;
  EXPECT_EQ(ok(verb::get, "/api/v1/resources/" + code, kAdmin)["version"], 1) << "refused whole";
  ASSERT_EQ(put(code, kB, {{"legal_person", "李四"}, {"licence_no", "L-10"}}).status, 200);
  const auto freshness = ok(verb::get, "/api/v1/resources/" + code, kAdmin)["last_updated_at"];
  ok(verb::put, "/api/v1/resources/" + code, kAdmin, unique_resource());
  EXPECT_EQ(ok(verb::get, "/api/v1/resources/" + code, kAdmin)["last_updated_at"], freshness)
      << "claiming the stored values is no write";
  auto taken = put(code, kC, {{"legal_person", "王五"}, {"licence_no", "L-9"}});
  EXPECT_EQ(taken.status, 422) << "the stored record holds L-9 now: " << taken.body;
  EXPECT_EQ(put(code, kC, {{"legal_person", "王五"}, {"licence_no", "L-11"}}).status, 201);
}

// A claim costs about 2 µs only while PostgreSQL inlines hub_claim and hub_canonical into the
// statement or trigger expression (026_bulk_writes.sql): declared IMMUTABLE over STABLE calls
// they were not, at 8 µs a value, more than writing the row. The claims stored before that
// migration stay valid only while the values are the same.
TEST_F(QualityTest, AUniqueClaimIsInlinedAndKeepsItsValue) {
  auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
  auto plan =
      pg::exec_blocking(su.get(),
                        "EXPLAIN (VERBOSE, COSTS OFF) SELECT hub_claim('reg_capital', v) FROM "
                        "(VALUES ('1.500'::jsonb), ('\"广州\"'::jsonb)) AS t(v)",
                        pg::Params());
  std::string text;
  for (int i = 0; i < plan.rows(); ++i) text += std::string(plan.get(i, 0)) + "\n";
  EXPECT_EQ(text.find("hub_claim("), std::string::npos) << text;
  EXPECT_EQ(text.find("hub_canonical("), std::string::npos) << text;
  EXPECT_NE(text.find("sha256"), std::string::npos) << text;
  auto values = pg::exec_blocking(
      su.get(),
      "SELECT hub_claim('reg_capital', '1.500'), hub_claim('reg_capital', '1.5'), "
      "hub_claim('name', '\"广州\"')",
      pg::Params());
  // The first 128 bits of SHA-256("1.5") and SHA-256("\"广州\""), computed outside PostgreSQL.
  EXPECT_EQ(values.get(0, 0), std::string("reg_capital:") + kClaimOneAndAHalf);
  EXPECT_EQ(values.get(0, 1), values.get(0, 0)) << "a number is claimed by its value";
  EXPECT_EQ(values.get(0, 2), std::string("name:") + kClaimGuangzhou);
}

// An import's new keys take their unique claims set-wise and go in by COPY (import.cpp,
// kClaimBatch): what it stores must be what the records_claim trigger would have stored row by
// row. Each record's claims are those record_unique gives its key, a refused line takes no
// change number, and later writes find the claims where they are (a value changed is given back).
TEST_F(QualityTest, AnImportsSetWiseClaimsAreWhatTheTriggerWouldHaveMade) {
  const std::string code = resource(unique_resource());
  ASSERT_EQ(put(code, kA, {{"legal_person", "张三"}, {"licence_no", "L-001"}}).status, 201);
  const std::string k1 = "91440101MA5CCCCC5B", k2 = "91440101MA5DDDDD6L", k3 = "91440101MA5EEEEE7R",
                    k4 = "91440101MA5FFFFF8D", k5 = "91440101MA5GGGGG9K";
  const std::string body =
      line(k1, "L-001") +  // held by kA: refused
      line(k2, "L-010") + json({{"uscc", k3}, {"legal_person", "王五"}}).dump() + "\n" +
      json({{"uscc", k4}, {"legal_person", "赵六"}, {"licence_no", nullptr}}).dump() + "\n" +
      line(k5, "L-011");
  const auto& stats = hub_->app().exchange().import_stats();
  const auto copied = stats.copied.load(), inserted = stats.inserted.load();
  auto out = import(code, body);
  EXPECT_EQ(stats.copied.load(), copied + 1) << "claimed set-wise and copied";
  EXPECT_EQ(stats.inserted.load(), inserted);
  EXPECT_EQ(out["accepted"], 4) << out.dump();
  EXPECT_EQ(out["rejected"], 1) << out.dump();
  ASSERT_EQ(out["errors"].size(), 1u) << out.dump();
  EXPECT_EQ(out["errors"][0]["line"], 1);
  EXPECT_TRUE(out["errors"][0]["message"].get<std::string>().starts_with("rule unique"));

  auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
  auto holders = pg::exec_blocking(
      su.get(),
      "SELECT u.key, u.claim = hub_claim('licence_no', r.data -> 'licence_no'),"
      " r.claims = ARRAY[u.claim] FROM record_unique u JOIN records r USING (resource_code, key)"
      " WHERE u.resource_code = $1 ORDER BY r.data ->> 'licence_no'",
      pg::Params().add(code));
  ASSERT_EQ(holders.rows(), 3);
  const std::vector<std::string> expected = {kA, k2, k5};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(holders.get(i, 0), expected[static_cast<std::size_t>(i)]);
    EXPECT_TRUE(holders.get_bool(i, 1)) << i;
    EXPECT_TRUE(holders.get_bool(i, 2)) << "the record's claims are its holdings: " << i;
  }
  auto rest = pg::exec_blocking(su.get(),
                                "SELECT count(*) FILTER (WHERE claims = '{}'), count(*), max(seq),"
                                " (SELECT next_seq FROM record_sequences WHERE resource_code = $1),"
                                " count(*) FILTER (WHERE key = $2)"
                                " FROM records WHERE resource_code = $1",
                                pg::Params().add(code).add(k1));
  EXPECT_EQ(rest.get_int(0, 0), 2) << "no value, no claim: k3 and k4";
  EXPECT_EQ(rest.get_int(0, 1), 5);
  EXPECT_EQ(rest.get_int(0, 2), 5) << "the refused line took no change number";
  EXPECT_EQ(rest.get_int(0, 3), 6);
  EXPECT_EQ(rest.get_int(0, 4), 0);

  // The claims are where later writes look for them: k2 moves to L-020, giving L-010 back.
  EXPECT_EQ(put(code, k2, {{"legal_person", "李四"}, {"licence_no", "L-020"}}).status, 200);
  EXPECT_EQ(put(code, k5, {{"legal_person", "李四"}, {"licence_no", "L-010"}}).status, 200);
  auto again = import(code, line("91440101MA5HHHHH0T", "L-020") + line(k1, "L-011"));
  EXPECT_EQ(again["accepted"], 1) << again.dump();
  EXPECT_EQ(again["errors"][0]["line"], 1) << again.dump();
  // A removal gives the copied record's value back.
  EXPECT_EQ(call(verb::delete_, "/api/v1/resources/" + code + "/records/" + k1, system_).status,
            204);
  EXPECT_EQ(put(code, k3, {{"legal_person", "王五"}, {"licence_no", "L-011"}}).status, 200);
  // Two new lines wanting one value: row by row (the trigger, in line order), the first keeps it.
  const auto row_by_row = stats.inserted.load();
  auto twice =
      import(code, line("91440101MA5JJJJJ1U", "L-500") + line("91440101MA5KKKKK2W", "L-500"));
  EXPECT_EQ(stats.inserted.load(), row_by_row + 1);
  EXPECT_EQ(twice["accepted"], 1) << twice.dump();
  EXPECT_EQ(twice["errors"][0]["line"], 2) << twice.dump();
  // No value held: all claimed by one plain INSERT, then copied, each record holding its claim.
  const auto copies = stats.copied.load();
  const std::string n1 = "91440101MA5LLLLL3X", n2 = "91440101MA5MMMMM4Y";
  auto fresh = import(code, line(n1, "L-600") + line(n2, "L-601"));
  EXPECT_EQ(fresh["accepted"], 2) << fresh.dump();
  EXPECT_EQ(stats.copied.load(), copies + 1);
  auto held = pg::exec_blocking(
      su.get(),
      "SELECT count(*) FROM record_unique u JOIN records r USING (resource_code, key)"
      " WHERE u.resource_code = $1 AND r.key IN ($2, $3) AND r.claims = ARRAY[u.claim]"
      " AND u.claim = hub_claim('licence_no', r.data -> 'licence_no')",
      pg::Params().add(code).add(n1).add(n2));
  EXPECT_EQ(held.get_int(0, 0), 2);

  // quality_mode flag: a line whose value another record holds is stored, marked, holding nothing.
  const std::string flagged = resource(unique_resource("flag"));
  ASSERT_EQ(put(flagged, kA, {{"legal_person", "张三"}, {"licence_no", "L-1"}}).status, 201);
  auto marked = import(
      flagged,
      json({{"uscc", k1}, {"legal_person", "王五"}, {"licence_no", "L-1"}, {"district", "449999"}})
              .dump() +
          "\n" + line(k2, "L-2"));
  EXPECT_EQ(marked["accepted"], 2) << marked.dump();
  EXPECT_EQ(marked["flagged"], 1) << marked.dump();
  auto marks = pg::exec_blocking(
      su.get(),
      "SELECT key, broken::text, claims::text FROM records WHERE resource_code = $1 ORDER BY key",
      pg::Params().add(flagged));
  ASSERT_EQ(marks.rows(), 3);
  EXPECT_EQ(marks.get(1, 0), k1);
  EXPECT_EQ(marks.get(1, 1), "{district.code_list,licence_no.unique}");
  EXPECT_EQ(marks.get(1, 2), "{}");
  EXPECT_EQ(marks.get(2, 0), k2);
  EXPECT_TRUE(marks.is_null(2, 1));
  EXPECT_TRUE(marks.get(2, 2).starts_with("{licence_no:")) << marks.get(2, 2);
}

// Two unique items: an imported line refused for one value another record holds gives back the
// other value it had claimed in the same statement, and a line kept holds both claims.
TEST_F(QualityTest, AnImportedLineRefusedForOneUniqueValueGivesBackItsOthers) {
  json doc = unique_resource();
  doc["items"].push_back({{"name", "tax_no"},
                          {"title", "税务登记号"},
                          {"type", "string"},
                          {"required", false},
                          {"sensitivity", "public"},
                          {"unique", true}});
  const std::string code = resource(doc);
  ASSERT_EQ(
      put(code, kA, {{"legal_person", "张三"}, {"licence_no", "L-A1"}, {"tax_no", "T-1"}}).status,
      201);
  auto two = [](const std::string& uscc, const std::string& licence, const std::string& tax) {
    return json(
               {{"uscc", uscc}, {"legal_person", "李四"}, {"licence_no", licence}, {"tax_no", tax}})
               .dump() +
           "\n";
  };
  const auto& stats = hub_->app().exchange().import_stats();
  const auto copied = stats.copied.load();
  auto out = import(code, two(kB, "L-A2", "T-1") + two(kC, "L-A3", "T-2"));
  EXPECT_EQ(stats.copied.load(), copied + 1);
  EXPECT_EQ(out["accepted"], 1) << out.dump();
  ASSERT_EQ(out["errors"].size(), 1u) << out.dump();
  EXPECT_EQ(out["errors"][0]["line"], 1);
  // L-A2 was given back: another line takes it.
  auto again = import(code, two(kD, "L-A2", "T-3"));
  EXPECT_EQ(again["accepted"], 1) << again.dump();
  auto su = pg::connect_blocking(db_.superuser_conninfo(), 5);
  auto held = pg::exec_blocking(
      su.get(),
      "SELECT r.key, cardinality(r.claims), (SELECT array_agg(u.claim ORDER BY u.claim) FROM"
      " record_unique u WHERE u.resource_code = r.resource_code AND u.key = r.key)"
      " = (SELECT array_agg(c ORDER BY c) FROM unnest(r.claims) c)"
      " FROM records r WHERE r.resource_code = $1 ORDER BY r.key",
      pg::Params().add(code));
  ASSERT_EQ(held.rows(), 3);  // kA, kC, kD
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(held.get_int(i, 1), 2) << held.get(i, 0);
    EXPECT_TRUE(held.get_bool(i, 2)) << held.get(i, 0);
  }
  auto count =
      pg::exec_blocking(su.get(), "SELECT count(*) FROM record_unique WHERE resource_code = $1",
                        pg::Params().add(code));
  EXPECT_EQ(count.get_int(0, 0), 6);
}

TEST_F(QualityTest, ConcurrentWritersOfOneUniqueValueLeaveExactlyOneHolder) {
  const std::string code = resource(unique_resource());
  const Caller caller = domain_caller(system_, "unique-race");
  // Twelve keys write the same value at once, on one I/O thread's pool (each its own
  // connection): exactly one is stored; the others are refused (422) or told to retry (a writer
  // that saw the value change hands too often).
  const std::vector<std::string> keys = {
      "91440101MA59ABCD1X", "91440101MA59XYZW2Q", "91440101MA5AAAAA3P", "91440101MA5BBBBB4R",
      "91440101MA5CCCCC5B", "91440101MA5DDDDD6L", "91440101MA5EEEEE7R", "91440101MA5FFFFF8D",
      "91440101MA5GGGGG9K", "91440101MA5HHHHH0T", "91440101MA5JJJJJ1U", "91440101MA5KKKKK2W"};
  std::vector<std::future<int>> results;
  for (const auto& key : keys) {
    results.push_back(boost::asio::co_spawn(
        caller.worker->ioc(),
        [&, key]() -> boost::asio::awaitable<int> {
          try {
            json data = {{"legal_person", "张三"}, {"licence_no", "L-RACE"}};
            co_await hub_->app().exchange().put(caller, code, key, std::move(data));
            co_return 201;
          } catch (const ApiError& e) {
            co_return static_cast<int>(e.status());
          } catch (const std::exception&) {
            co_return 503;
          }
        },
        boost::asio::use_future));
  }
  int stored = 0, refused = 0;
  for (auto& f : results) {
    const int status = f.get();
    stored += status == 201;
    refused += status == 422 || status == 503;
  }
  EXPECT_EQ(stored, 1);
  EXPECT_EQ(refused, 11);
  auto quality = ok(verb::get, "/api/v1/resources/" + code + "/quality", market_cdo_);
  EXPECT_EQ(quality["records"], 1);
}

TEST_F(QualityTest, FlagModeStoresMarksAndCountsWhatBreaksARule) {
  const std::string code = resource(unique_resource("flag"));
  EXPECT_EQ(ok(verb::get, "/api/v1/resources/" + code, kAdmin)["quality_mode"], "flag");
  auto good =
      put(code, kA, {{"legal_person", "张三"}, {"licence_no", "L-1"}, {"district", "440106"}});
  ASSERT_EQ(good.status, 201) << good.body;
  EXPECT_FALSE(json::parse(good.body).contains("flagged"));
  // A district that is no code, and a licence number another record holds: stored, flagged.
  auto bad =
      put(code, kB, {{"legal_person", "李四"}, {"licence_no", "L-1"}, {"district", "449999"}});
  ASSERT_EQ(bad.status, 201) << bad.body;
  EXPECT_EQ(json::parse(bad.body)["flagged"], json({"district.code_list", "licence_no.unique"}));
  // A type is not a rule: still refused.
  EXPECT_EQ(put(code, kC, {{"legal_person", 7}}).status, 422);
  // An import flags too, and says how many.
  auto out =
      import(code, json({{"uscc", kC}, {"legal_person", "王五"}, {"district", "000000"}}).dump() +
                       "\n" + line(kD, "L-4"));
  EXPECT_EQ(out["accepted"], 2) << out.dump();
  EXPECT_EQ(out["flagged"], 1) << out.dump();
  // Corrected, a record is no longer flagged.
  ASSERT_EQ(put(code, kB, {{"legal_person", "李四"}, {"licence_no", "L-2"}}).status, 200);

  auto q = ok(verb::get, "/api/v1/resources/" + code + "/quality", market_cdo_);
  EXPECT_EQ(q["records"], 4) << q.dump();
  EXPECT_TRUE(q["sampled"].is_null());
  EXPECT_EQ(q["flagged_records"], 1) << q.dump();
  EXPECT_DOUBLE_EQ(q["validity"]["district.code_list"].get<double>(), 0.75) << q.dump();
  EXPECT_DOUBLE_EQ(q["validity"]["licence_no.unique"].get<double>(), 1.0) << q.dump();
  EXPECT_DOUBLE_EQ(q["completeness"]["licence_no"].get<double>(), 0.75) << q.dump();
  EXPECT_DOUBLE_EQ(q["completeness"]["district"].get<double>(), 0.5) << q.dump();
  EXPECT_DOUBLE_EQ(q["completeness"]["legal_person"].get<double>(), 1.0) << q.dump();
  EXPECT_TRUE(q["fresh"].get<bool>());
  EXPECT_EQ(q["objections_open"], 0);
  EXPECT_GT(q["score"].get<double>(), 50.0);
  EXPECT_LT(q["score"].get<double>(), 100.0);
  EXPECT_FALSE(q["last_updated_at"].is_null());

  // Leaving flag mode while two records share a value is refused; once they do not, allowed.
  ASSERT_EQ(put(code, kC, {{"legal_person", "王五"}, {"licence_no", "L-1"}}).status, 200);
  json rejecting = unique_resource("reject");
  auto refused = call(verb::put, "/api/v1/resources/" + code, kAdmin, rejecting);
  EXPECT_EQ(refused.status, 422) << refused.body;
  ASSERT_EQ(put(code, kC, {{"legal_person", "王五"}, {"licence_no", "L-3"}}).status, 200);
  EXPECT_EQ(call(verb::put, "/api/v1/resources/" + code, kAdmin, rejecting).status, 200);
  EXPECT_EQ(put(code, kC, {{"legal_person", "王五"}, {"licence_no", "L-1"}}).status, 422);

  // Who may see it: the provider's agency and the hub's staff; another agency gets a 404.
  EXPECT_EQ(call(verb::get, "/api/v1/resources/" + code + "/quality", system_).status, 200);
  EXPECT_EQ(call(verb::get, "/api/v1/resources/" + code + "/quality", coordinator_).status, 200);
  EXPECT_EQ(call(verb::get, "/api/v1/resources/" + code + "/quality", kAdmin).status, 200);
  EXPECT_EQ(call(verb::get, "/api/v1/resources/" + code + "/quality", tax_cdo_).status, 404);
  EXPECT_EQ(call(verb::get, "/api/v1/resources/NOPE/quality", kAdmin).status, 404);
}

TEST_F(QualityTest, TheDataQualityReportListsEachPublishedDatasetInThreeFormats) {
  const std::string code = resource(unique_resource("flag"));
  const std::string tax_code = resource(sample_resource(kTax, "纳税信用等级"));
  ASSERT_EQ(put(code, kA, {{"legal_person", "张三"}, {"district", "449999"}}).status, 201);
  ok(verb::get, "/api/v1/resources/" + code + "/quality", market_cdo_);  // measured now

  auto all = ok(verb::get, "/api/v1/reports/data-quality", coordinator_);
  ASSERT_EQ(all["rows"].size(), 2u) << all.dump();
  json market_row, tax_row;
  for (const auto& row : all["rows"]) (row["resource_code"] == code ? market_row : tax_row) = row;
  EXPECT_EQ(market_row["agency_code"], kMarket);
  EXPECT_EQ(market_row["records"], 1);
  EXPECT_EQ(market_row["flagged_records"], 1);
  EXPECT_DOUBLE_EQ(market_row["validity"]["district.code_list"].get<double>(), 0.0);
  EXPECT_EQ(tax_row["resource_code"], tax_code);
  // Not measured yet (unless the monitor's round came first): the measured fields are null.
  ASSERT_TRUE(tax_row.contains("score")) << tax_row.dump();
  if (tax_row["score"].is_null()) {
    EXPECT_TRUE(tax_row["completeness"].is_null());
  } else {
    EXPECT_EQ(tax_row["records"], 0) << tax_row.dump();
  }

  // An agency's CDO sees its own agency's rows.
  auto own = ok(verb::get, "/api/v1/reports/data-quality", tax_cdo_);
  ASSERT_EQ(own["rows"].size(), 1u);
  EXPECT_EQ(own["rows"][0]["resource_code"], tax_code);
  EXPECT_EQ(call(verb::get, "/api/v1/reports/data-quality", system_).status, 403);

  auto csv = call(verb::get, "/api/v1/reports/data-quality?format=csv", coordinator_);
  ASSERT_EQ(csv.status, 200);
  EXPECT_NE(csv.body.find("agency_code,agency_name,resource_code"), std::string::npos);
  EXPECT_NE(csv.body.find(code), std::string::npos);
  auto xlsx = call(verb::get, "/api/v1/reports/data-quality?format=xlsx", coordinator_);
  ASSERT_EQ(xlsx.status, 200);
  EXPECT_TRUE(xlsx.body.starts_with("PK")) << "an .xlsx is a zip";
  EXPECT_EQ(call(verb::get, "/api/v1/reports/data-quality?format=pdf", coordinator_).status, 400);
  EXPECT_EQ(call(verb::get, "/api/v1/reports/data-quality?from=2026-13-01", coordinator_).status,
            400);
}

}  // namespace
}  // namespace hub::test
