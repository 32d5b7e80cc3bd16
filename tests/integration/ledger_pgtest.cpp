// The share ledger against a real PostgreSQL: group commit, gap-free order across nodes, signed
// checkpoints, proofs over HTTP, append-only privileges, and tampering caught by the audit.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "hub/core/text.hpp"
#include "hub/ledger/audit.hpp"
#include "hub/ledger/history.hpp"
#include "hub/ledger/service.hpp"
#include "hub/store/pg.hpp"

#include "support/hub_fixture.hpp"

namespace hub::test {
namespace {

namespace asio = boost::asio;
using boost::beast::http::verb;
using nlohmann::json;

ledger::EntryDraft draft(int i, const std::string& consumer = kTax,
                         const std::string& provider = kMarket) {
  ledger::EntryDraft d;
  d.request_id = "req-" + std::to_string(i);
  d.operation = "read";
  d.consumer_code = consumer;
  d.principal_id = "principal-" + consumer;
  d.provider_code = provider;
  d.resource_code = "R-" + provider;
  d.grant_id = "grant-1";
  d.purpose = "税收征管\t核实\\登记";  // characters SQL and COPY escape travel as data
  d.items = {"uscc", "legal_person"};
  d.record_count = 1;
  d.status = i % 10 == 0 ? 403 : 200;
  d.response_sha256 = std::string(64, 'f');
  return d;
}

// Appends `n` entries concurrently from `threads` io_contexts; returns their indexes.
std::vector<std::int64_t> append_many(ledger::Appender& appender, int n, int threads,
                                      int offset = 0) {
  std::vector<std::int64_t> indexes(static_cast<std::size_t>(n), -1);
  std::vector<std::thread> pool;
  std::atomic<int> failures{0};
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      asio::io_context ioc(1);
      for (int i = t; i < n; i += threads) {
        asio::co_spawn(
            ioc,
            [&, i]() -> asio::awaitable<void> {
              try {
                auto e = co_await appender.append(draft(offset + i));
                indexes[static_cast<std::size_t>(i)] = e.index;
              } catch (const std::exception&) {
                ++failures;
              }
            },
            asio::detached);
      }
      ioc.run();
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(failures.load(), 0);
  return indexes;
}

class LedgerTest : public HubTest {
 protected:
  void SetUp() override {
    start([](Config& config) {
      config.ledger.origin = "hub.test/ledger";
      config.ledger.seal_interval = std::chrono::milliseconds(50);
    });
    for (auto code : {kMarket, kTax, kStats}) {
      ok(verb::get, "/api/v1/me", kAdmin);
      auto r = call(verb::post, "/api/v1/agencies", kAdmin,
                    {{"code", code}, {"name", std::string("机构") + code}, {"level", "city"}});
      ASSERT_EQ(r.status, 201) << r.body;
    }
  }

  // The latest checkpoint once it covers `size` entries (the sealer runs every 50 ms here).
  ledger::Checkpoint checkpoint_at_least(std::uint64_t size, std::string* note = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (true) {
      auto r = call(verb::get, "/api/v1/ledger/checkpoint", kAdmin);
      std::string why;
      if (r.status == 200) {
        auto c = ledger::parse_checkpoint(r.body, why);
        EXPECT_TRUE(c) << why;
        if (c && c->size >= size) {
          if (note) *note = r.body;
          return *c;
        }
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "no checkpoint of size " << size << " within 10 s: " << r.body;
        return {};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ledger::Verifier verifier() {
    auto key = ok(verb::get, "/api/v1/ledger/public-key", kAdmin);
    EXPECT_EQ(key["origin"], "hub.test/ledger");
    EXPECT_EQ(key["algorithm"], "ed25519");
    auto v = ledger::verifier_from_pem("hub.test/ledger", key["public_key_pem"].get<std::string>());
    EXPECT_TRUE(v);
    auto from_vkey = ledger::parse_vkey(key["vkey"].get<std::string>());
    EXPECT_TRUE(from_vkey);
    EXPECT_EQ(from_vkey->key, v->key);
    return *v;
  }
  pg::BlockingConnection superuser() { return pg::connect_blocking(db_.superuser_conninfo(), 5); }
};

TEST_F(LedgerTest, ConcurrentAppendsShareCommitsAndGetGapFreeIndexes) {
  auto& appender = hub_->app().appender();
  const auto commits_before = appender.stats().batches.load();
  const int n = 3000;
  auto indexes = append_many(appender, n, 2);
  std::set<std::int64_t> unique(indexes.begin(), indexes.end());
  ASSERT_EQ(unique.size(), static_cast<std::size_t>(n));
  EXPECT_EQ(*unique.begin(), 0);
  EXPECT_EQ(*unique.rbegin(), n - 1) << "gap-free";
  const auto commits = appender.stats().batches.load() - commits_before;
  EXPECT_LT(commits, static_cast<std::uint64_t>(n / 4)) << "group commit: many entries per commit";

  // Every acknowledged entry is in the table, its leaf hashed as API.md says, its fields intact.
  auto su = superuser();
  auto rows =
      pg::exec_blocking(su.get(),
                        "SELECT idx, leaf, encode(leaf_hash, 'hex'), request_id, status FROM "
                        "ledger_entries ORDER BY idx",
                        pg::Params());
  ASSERT_EQ(rows.rows(), n);
  for (int i = 0; i < rows.rows(); i += 97) {
    auto leaf_text = rows.get(i, 1);
    std::string leaf;
    for (std::size_t k = 2; k + 1 < leaf_text.size(); k += 2) {
      leaf.push_back(
          static_cast<char>(std::stoi(std::string(leaf_text.substr(k, 2)), nullptr, 16)));
    }
    EXPECT_EQ(ledger::to_hex(ledger::leaf_hash(leaf)), rows.get(i, 2));
    auto fields = json::parse(leaf);
    EXPECT_EQ(fields["index"], rows.get_int(i, 0));
    EXPECT_EQ(fields["purpose"], "税收征管\t核实\\登记");
    EXPECT_EQ(fields["request_id"], rows.get(i, 3));
    EXPECT_EQ(fields["status"], rows.get_int(i, 4));
  }
  // The entries' time never goes backwards along the index.
  auto order =
      pg::exec_blocking(su.get(),
                        "SELECT count(*) FROM (SELECT time < lag(time) OVER (ORDER BY idx) AS back "
                        "FROM ledger_entries) t WHERE back",
                        pg::Params());
  EXPECT_EQ(order.get_int(0, 0), 0);
}

TEST_F(LedgerTest, CheckpointsAreSignedAndCoverEntriesWithinTwoSeconds) {
  auto& appender = hub_->app().appender();
  append_many(appender, 100, 1);
  const auto start = std::chrono::steady_clock::now();
  std::string note;
  auto c = checkpoint_at_least(100, &note);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(c.origin, "hub.test/ledger");
  EXPECT_EQ(c.size, 100u);
  EXPECT_TRUE(ledger::verify_checkpoint(c, verifier()));
  // The signed root is the RFC 9162 root over the entries' leaves.
  std::vector<ledger::Hash> leaves;
  auto page = ok(verb::get, "/api/v1/ledger/entries?limit=1000", kAdmin);
  for (const auto& e : page["items"]) {
    leaves.push_back(ledger::leaf_hash(*base64_decode(e["leaf"].get<std::string>())));
  }
  ASSERT_EQ(leaves.size(), 100u);
  EXPECT_EQ(c.root, ledger::root_of(leaves));
  EXPECT_EQ(note.find("hub.test/ledger\n100\n"), 0u);
  EXPECT_NE(note.find("\n\n\xE2\x80\x94 hub.test/ledger "), std::string::npos);
}

TEST_F(LedgerTest, InclusionAndConsistencyProofsVerifyAgainstSignedRoots) {
  auto& appender = hub_->app().appender();
  append_many(appender, 700, 2);
  auto first = checkpoint_at_least(700);
  append_many(appender, 350, 2, 700);
  auto second = checkpoint_at_least(1050);
  const auto key = verifier();
  ASSERT_TRUE(ledger::verify_checkpoint(first, key));
  ASSERT_TRUE(ledger::verify_checkpoint(second, key));

  auto entries = ok(verb::get, "/api/v1/ledger/entries?limit=1000", kAdmin)["items"];
  for (std::uint64_t index : {0ull, 1ull, 255ull, 256ull, 511ull, 699ull}) {
    auto proof = ok(verb::get,
                    "/api/v1/ledger/proof/inclusion?index=" + std::to_string(index) +
                        "&tree_size=" + std::to_string(first.size),
                    kAdmin);
    ledger::Hash leaf{};
    ASSERT_TRUE(ledger::from_hex(proof["leaf_hash"].get<std::string>(), leaf));
    // The proof's leaf is the entry's leaf, hashed.
    EXPECT_EQ(proof["leaf_hash"], entries[index]["leaf_hash"]);
    std::vector<ledger::Hash> path;
    for (const auto& h : proof["hashes"]) {
      ledger::Hash x{};
      ASSERT_TRUE(ledger::from_hex(h.get<std::string>(), x));
      path.push_back(x);
    }
    EXPECT_TRUE(ledger::verify_inclusion(index, first.size, leaf, path, first.root)) << index;
    EXPECT_FALSE(ledger::verify_inclusion(index ^ 1, first.size, leaf, path, first.root));
  }
  // Without tree_size: the latest checkpoint's.
  auto latest = ok(verb::get, "/api/v1/ledger/proof/inclusion?index=1000", kAdmin);
  EXPECT_EQ(latest["tree_size"], second.size);

  auto consistency = ok(verb::get,
                        "/api/v1/ledger/proof/consistency?first=" + std::to_string(first.size) +
                            "&second=" + std::to_string(second.size),
                        kAdmin);
  std::vector<ledger::Hash> path;
  for (const auto& h : consistency["hashes"]) {
    ledger::Hash x{};
    ASSERT_TRUE(ledger::from_hex(h.get<std::string>(), x));
    path.push_back(x);
  }
  EXPECT_TRUE(ledger::verify_consistency(first.size, second.size, first.root, second.root, path));

  // Bad questions are 400s with a field, never 500s.
  for (std::string target :
       {"/api/v1/ledger/proof/inclusion", "/api/v1/ledger/proof/inclusion?index=-1",
        "/api/v1/ledger/proof/inclusion?index=5000",
        "/api/v1/ledger/proof/inclusion?index=1&tree_size=999999",
        "/api/v1/ledger/proof/inclusion?index=1';DROP",
        "/api/v1/ledger/proof/consistency?first=9&second=3",
        "/api/v1/ledger/proof/consistency?first=1&second=99999999",
        "/api/v1/ledger/entries?from=2026-02-30", "/api/v1/ledger/entries?to=yesterday",
        "/api/v1/ledger/entries?cursor=forged"}) {
    auto r = call(verb::get, target, kAdmin);
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
    EXPECT_EQ(json::parse(r.body)["code"], "validation_failed") << target;
  }
}

TEST_F(LedgerTest, EntriesAreListedByFilterAndAgenciesSeeOnlyTheirOwn) {
  auto& appender = hub_->app().appender();
  asio::io_context ioc;
  for (int i = 0; i < 6; ++i) {
    run_sync(ioc, appender.append(draft(i, kTax, kMarket)));
  }
  for (int i = 6; i < 9; ++i) run_sync(ioc, appender.append(draft(i, kStats, kTax)));
  run_sync(ioc, appender.append(draft(9, kStats, kMarket)));

  auto all = ok(verb::get, "/api/v1/ledger/entries", kAdmin)["items"];
  ASSERT_EQ(all.size(), 10u);
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i]["index"], i);
  const auto coordinator = person("", "coord", "coordinator");
  EXPECT_EQ(ok(verb::get, "/api/v1/ledger/entries", coordinator)["items"].size(), 10u);

  // An agency sees entries where it is consumer or provider, and no others, whatever it asks.
  const auto tax = person(kTax, "sw-cdo", "agency_cdo");
  auto mine = ok(verb::get, "/api/v1/ledger/entries", tax)["items"];
  EXPECT_EQ(mine.size(), 9u);
  for (const auto& e : mine) {
    EXPECT_TRUE(e["consumer_code"] == kTax || e["provider_code"] == kTax) << e.dump();
  }
  EXPECT_EQ(
      ok(verb::get, std::string("/api/v1/ledger/entries?agency=") + kMarket, tax)["items"].size(),
      6u);
  EXPECT_EQ(ok(verb::get, "/api/v1/ledger/entries?request_id=req-9", tax)["items"].size(), 0u);
  EXPECT_EQ(ok(verb::get, "/api/v1/ledger/entries?request_id=req-9", kAdmin)["items"].size(), 1u);
  EXPECT_EQ(
      ok(verb::get, std::string("/api/v1/ledger/entries?resource_code=R-") + kTax, kAdmin)["items"]
          .size(),
      3u);
  EXPECT_EQ(
      ok(verb::get, "/api/v1/ledger/entries?from=2000-01-01&to=2999-12-31", kAdmin)["items"].size(),
      10u);
  EXPECT_EQ(ok(verb::get, "/api/v1/ledger/entries?to=2000-01-01", kAdmin)["items"].size(), 0u);
  // Pages follow the index.
  auto page = ok(verb::get, "/api/v1/ledger/entries?limit=4", kAdmin);
  ASSERT_EQ(page["items"].size(), 4u);
  auto next =
      ok(verb::get,
         "/api/v1/ledger/entries?limit=4&cursor=" + page["next_cursor"].get<std::string>(), kAdmin);
  EXPECT_EQ(next["items"][0]["index"], 4);
  // The entry as API.md gives it: its fields, and the leaf they came from.
  const auto& e = all[3];
  for (const char* field :
       {"index", "time", "request_id", "operation", "consumer_code", "principal_id",
        "provider_code", "resource_code", "grant_id", "purpose", "items", "record_count", "status",
        "response_sha256", "leaf", "leaf_hash"}) {
    EXPECT_TRUE(e.contains(field)) << field;
  }
  EXPECT_TRUE(e["status"].is_number_integer());
  std::string why;
  EXPECT_TRUE(ledger::check_exported_entry(e, 3, why)) << why;
}

TEST_F(LedgerTest, TheAppRoleCannotRewriteTheLedgerAndItIsPartitionedByMonth) {
  asio::io_context ioc;
  run_sync(ioc, hub_->app().appender().append(draft(0)));
  checkpoint_at_least(1);
  auto app = pg::connect_blocking(db_.app_conninfo(), 5);
  for (const char* sql : {"UPDATE ledger_entries SET status = 1", "DELETE FROM ledger_entries",
                          "TRUNCATE ledger_entries", "UPDATE ledger_checkpoints SET note = 'x'",
                          "DELETE FROM ledger_checkpoints"}) {
    try {
      pg::exec_blocking(app.get(), sql);
      ADD_FAILURE() << sql << " was allowed";
    } catch (const pg::PgError& e) {
      EXPECT_EQ(e.sqlstate(), "42501") << sql << ": " << e.what();
    }
  }
  // Not through a partition either.
  auto parts =
      pg::exec_blocking(app.get(),
                        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                        "WHERE i.inhparent = 'ledger_entries'::regclass ORDER BY 1",
                        pg::Params());
  ASSERT_GE(parts.rows(), 4) << "default + this month + two ahead";
  for (int i = 0; i < parts.rows(); ++i) {
    const std::string name(parts.get(i, 0));
    EXPECT_TRUE(name == "ledger_entries_default" || name.starts_with("ledger_entries_20")) << name;
    try {
      pg::exec_blocking(app.get(), "SELECT count(*) FROM " + name);
      ADD_FAILURE() << "the app reads " << name << " directly";
    } catch (const pg::PgError& e) {
      EXPECT_EQ(e.sqlstate(), "42501");
    }
  }
  // The trigger refuses even the owner.
  auto owner = pg::connect_blocking(db_.owner_conninfo(), 5);
  EXPECT_THROW(pg::exec_blocking(owner.get(), "UPDATE ledger_entries SET status = 1"), pg::PgError);
  EXPECT_THROW(pg::exec_blocking(owner.get(), "DELETE FROM ledger_checkpoints"), pg::PgError);
  // This month's entry sits in this month's partition.
  auto where = pg::exec_blocking(
      owner.get(), "SELECT tableoid::regclass::text FROM ledger_entries WHERE idx = 0",
      pg::Params());
  auto month = pg::exec_blocking(owner.get(), "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY_MM')",
                                 pg::Params());
  EXPECT_EQ(where.get(0, 0), "ledger_entries_" + std::string(month.get(0, 0)));
}

// An auditor's whole path: export, checkpoint, key; then a superuser edits one row directly and
// the audit names its index.
TEST_F(LedgerTest, HubctlExportVerifiesAndCatchesARowEditedInTheDatabase) {
  append_many(hub_->app().appender(), 1200, 2);
  checkpoint_at_least(1200);
  const auto d = dir_.path();
  auto [rc1, out1, err1] = hubctl({"ledger", "checkpoint", "-o", (d / "earlier.txt").string()});
  ASSERT_EQ(rc1, 0) << err1;
  append_many(hub_->app().appender(), 30, 1, 1200);
  checkpoint_at_least(1230);
  auto [rc2, out2, err2] = hubctl({"ledger", "checkpoint", "-o", (d / "checkpoint.txt").string()});
  ASSERT_EQ(rc2, 0) << err2;
  auto [rc3, out3, err3] = hubctl({"ledger", "public-key", "-o", (d / "key.pem").string()});
  ASSERT_EQ(rc3, 0) << err3;
  EXPECT_NE(out3.find("hub.test/ledger+"), std::string::npos) << "prints the vkey";
  auto [rc4, out4, err4] = hubctl({"ledger", "export", "-o", (d / "ledger.ndjson").string()});
  ASSERT_EQ(rc4, 0) << err4;
  EXPECT_NE(out4.find("1230 entries"), std::string::npos) << out4;

  auto verify = [&](const std::string& key) {
    return hubctl({"ledger", "verify", "--export", (d / "ledger.ndjson").string(), "--checkpoint",
                   (d / "checkpoint.txt").string(), "--key", key, "--earlier",
                   (d / "earlier.txt").string()});
  };
  auto [rc5, out5, err5] = verify((d / "key.pem").string());
  EXPECT_EQ(rc5, 0) << err5;
  EXPECT_NE(out5.find("ok: 1230 entries"), std::string::npos) << out5;
  {
    auto key = ok(verb::get, "/api/v1/ledger/public-key", kAdmin);
    std::ofstream(d / "vkey.txt") << key["vkey"].get<std::string>() << "\n";
  }
  EXPECT_EQ(std::get<0>(verify((d / "vkey.txt").string())), 0);

  // A superuser turns the trigger off and edits row 777's status.
  auto su = superuser();
  pg::exec_blocking(su.get(),
                    "SET session_replication_role = replica; "
                    "UPDATE ledger_entries SET status = 299 WHERE idx = 777");
  auto [rc6, out6, err6] = hubctl({"ledger", "export", "-o", (d / "ledger.ndjson").string()});
  ASSERT_EQ(rc6, 0) << err6;
  auto [rc7, out7, err7] = verify((d / "key.pem").string());
  EXPECT_EQ(rc7, 1);
  EXPECT_NE(err7.find("index 777: field 'status'"), std::string::npos) << err7;

  // The same superuser, more careful, rewrites the leaf of row 900 and its hash to match.
  pg::exec_blocking(su.get(),
                    "SET session_replication_role = replica; "
                    "UPDATE ledger_entries SET status = "
                    "(convert_from(leaf, 'UTF8')::json->>'status')::smallint WHERE idx = 777; "
                    "UPDATE ledger_entries SET "
                    "leaf = convert_to(replace(convert_from(leaf, 'UTF8'), '核实', '核对'), "
                    "'UTF8') WHERE idx = 901; "
                    "UPDATE ledger_entries SET leaf_hash = sha256('\\x00'::bytea || leaf) "
                    "WHERE idx = 901");
  auto [rc8, out8, err8] = hubctl({"ledger", "export", "-o", (d / "ledger.ndjson").string()});
  ASSERT_EQ(rc8, 0) << err8;
  auto [rc9, out9, err9] = verify((d / "key.pem").string());
  EXPECT_EQ(rc9, 1);
  EXPECT_NE(err9.find("does not match the signed checkpoint"), std::string::npos) << err9;
  // The hub's own proof of the edited entry fails against the signed root too: the tiles
  // remember what was sealed.
  auto proof = ok(verb::get, "/api/v1/ledger/proof/inclusion?index=901&tree_size=1230", kAdmin);
  auto entry = ok(verb::get, "/api/v1/ledger/entries?request_id=req-901", kAdmin)["items"][0];
  EXPECT_NE(proof["leaf_hash"], entry["leaf_hash"]);
}

// Two hub nodes on one database: one order, one sealer.
TEST_F(LedgerTest, TwoNodesAppendIntoOneOrderAndOneSeals) {
  TempDir other_dir;
  auto config = another_node(other_dir);  // both nodes sign with the same key
  config.ledger.seal_interval = std::chrono::milliseconds(50);
  TestHub second(std::move(config));
  std::vector<std::int64_t> a, b;
  std::thread ta([&] { a = append_many(hub_->app().appender(), 800, 1); });
  std::thread tb([&] { b = append_many(second.app().appender(), 800, 1, 800); });
  ta.join();
  tb.join();
  std::set<std::int64_t> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  ASSERT_EQ(all.size(), 1600u);
  EXPECT_EQ(*all.rbegin(), 1599);
  auto c = checkpoint_at_least(1600);
  EXPECT_TRUE(ledger::verify_checkpoint(c, verifier()));
  EXPECT_NE(hub_->app().sealer().stats().leader.load(), second.app().sealer().stats().leader.load())
      << "exactly one node seals";
}

// Cuts a blocking libpq connection under its feet: its socket becomes /dev/null, so libpq reads
// the end of the stream (and never an answer already on its way), and the server sees the
// connection closed.
void cut_connection(void* conn) {
  const int null = ::open("/dev/null", O_RDWR);
  ASSERT_GE(null, 0);
  ::dup2(null, PQsocket(static_cast<PGconn*>(conn)));
  ::close(null);
}

// Waits until the entry of `request_id` is visible to another session (its batch committed).
void wait_committed(PGconn* su, const std::string& request_id) {
  for (int i = 0; i < 500; ++i) {
    auto r = pg::exec_blocking(su, "SELECT count(*) FROM ledger_entries WHERE request_id = $1",
                               pg::Params().add(request_id));
    if (r.get_int(0, 0) == 1) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << request_id << " never committed";
}

// A node's batch claims the head where its own last batch left it, in one round trip. When
// another node appended meanwhile, the claim matches nothing and inserts nothing; the batch goes
// again under the head's lock, and the node keeps taking the lock while it sees others append.
TEST_F(LedgerTest, ABatchClaimsWhereItsNodeLeftTheHeadAndTakesTheLockWhenAnotherMovedIt) {
  ledger::AppenderOptions options;
  options.conninfo = db_.app_conninfo();
  ledger::Appender a(options), b(options);
  a.start();
  b.start();
  asio::io_context ioc(1);
  std::vector<std::int64_t> indexes;
  auto append = [&](ledger::Appender& appender, int i) {
    ioc.restart();
    asio::co_spawn(
        ioc,
        [&, i]() -> asio::awaitable<void> {
          indexes.push_back((co_await appender.append(draft(i))).index);
        },
        asio::detached);
    ioc.run();
  };
  append(a, 8001);
  append(a, 8002);
  append(a, 8003);
  EXPECT_EQ(a.stats().locked_batches.load(), 1u) << "the connection's first batch only";
  EXPECT_EQ(a.stats().missed_guesses.load(), 0u);
  append(b, 8004);  // another node moves the head
  append(a, 8005);
  EXPECT_EQ(a.stats().missed_guesses.load(), 1u) << "the guess missed";
  EXPECT_EQ(a.stats().locked_batches.load(), 2u) << "and the batch went again under the lock";
  append(a, 8006);
  EXPECT_EQ(a.stats().locked_batches.load(), 3u) << "the lock had shown another node appending";
  append(a, 8007);
  EXPECT_EQ(a.stats().locked_batches.load(), 3u) << "nobody else appended: guessing again";
  EXPECT_EQ(a.stats().missed_guesses.load(), 1u);
  a.stop();
  b.stop();

  ASSERT_EQ(indexes.size(), 7u);
  for (std::size_t i = 0; i < indexes.size(); ++i) {
    EXPECT_EQ(indexes[i], indexes[0] + static_cast<std::int64_t>(i)) << "gap-free, in order";
  }
  // Each row's columns are its leaf's fields: the index and time the leaf was built with.
  auto su = superuser();
  auto rows = pg::exec_blocking(
      su.get(),
      "SELECT idx, convert_from(leaf, 'UTF8'), request_id, "
      "to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
      "encode(leaf_hash, 'hex'), provider_code, upstream_status FROM ledger_entries "
      "WHERE idx >= $1 ORDER BY idx",
      pg::Params().add(indexes[0]));
  ASSERT_EQ(rows.rows(), 7);
  for (int i = 0; i < rows.rows(); ++i) {
    const std::string leaf(rows.get(i, 1));
    const auto fields = json::parse(leaf);
    EXPECT_EQ(fields["index"], rows.get_int(i, 0));
    EXPECT_EQ(fields["request_id"], rows.get(i, 2));
    EXPECT_EQ(fields["time"], rows.get(i, 3));
    EXPECT_EQ(ledger::to_hex(ledger::leaf_hash(leaf)), rows.get(i, 4));
    EXPECT_EQ(rows.get(i, 5), kMarket);
    EXPECT_TRUE(rows.is_null(i, 6));
  }
}

// A failover cuts the appender's connection with COMMIT in flight. The outcome is then resolved on
// the database, not guessed: a batch the server committed is acknowledged (its requests answer
// 2xx and have their entries), one it never saw committed fails (503, no entry). The fault cuts
// the connection once the server has committed but before its answer is read, or just before
// COMMIT is sent (the server rolls back).
TEST_F(LedgerTest, ACommitWhoseOutcomeIsUnknownIsResolvedOnTheDatabase) {
  for (const bool cut_after_sending : {true, false}) {
    SCOPED_TRACE(cut_after_sending ? "cut after COMMIT was sent" : "cut before COMMIT");
    ledger::AppenderOptions options;
    options.conninfo = db_.app_conninfo();
    options.resolve_timeout = std::chrono::seconds(5);
    std::atomic<int> cuts{0};
    auto su = superuser();
    options.commit_fault = [&](void* conn, bool sent) {
      if (sent != cut_after_sending || cuts.exchange(1) != 0) return;  // the first batch only
      if (sent) wait_committed(su.get(), "req-7001");
      cut_connection(conn);
    };
    ledger::Appender appender(options);
    appender.start();
    const auto before =
        pg::exec_blocking(su.get(), "SELECT count(*) FROM ledger_entries", pg::Params())
            .get_int(0, 0);
    asio::io_context ioc(1);
    std::optional<ledger::Entry> entry;
    std::string error;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          try {
            entry = co_await appender.append(draft(cut_after_sending ? 7001 : 7002));
          } catch (const std::exception& e) {
            error = e.what();
          }
        },
        asio::detached);
    ioc.run();
    ASSERT_EQ(cuts.load(), 1) << "the fault fired";
    auto rows = pg::exec_blocking(
        su.get(), "SELECT count(*) FROM ledger_entries WHERE request_id = $1",
        pg::Params().add(std::string("req-") + (cut_after_sending ? "7001" : "7002")));
    if (cut_after_sending) {
      ASSERT_TRUE(entry) << error;
      EXPECT_EQ(rows.get_int(0, 0), 1) << "acknowledged, and in the ledger";
      EXPECT_EQ(appender.stats().resolved_committed.load(), 1u);
    } else {
      EXPECT_FALSE(entry) << "a batch that did not commit is not acknowledged";
      EXPECT_NE(error.find("did not commit"), std::string::npos) << error;
      EXPECT_EQ(rows.get_int(0, 0), 0);
      EXPECT_EQ(appender.stats().resolved_not_committed.load(), 1u);
    }
    // The appender goes on with a new connection, and the index stays gap-free.
    ioc.restart();
    asio::co_spawn(
        ioc, [&]() -> asio::awaitable<void> { entry = co_await appender.append(draft(7100)); },
        asio::detached);
    ioc.run();
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry->index, before + (cut_after_sending ? 1 : 0));
    appender.stop();
  }
}

// The lookup of a batch whose COMMIT got no answer, on the same server (the connection broke,
// the server did not): it waits for the batch's transaction, still holding the head, and sees
// what that left; a batch it found absent can never commit after it.
TEST_F(LedgerTest, TheLookUpOfAnUnknownBatchSeesItsTransactionEndAndFencesItsClaim) {
  auto su = superuser();
  auto app = pg::connect_blocking(db_.app_conninfo(), 5);
  for (const bool commits : {true, false}) {
    SCOPED_TRACE(commits ? "the batch commits" : "the batch rolls back");
    // Another session plays the batch's transaction: it claims the head and inserts its entry.
    auto batch = superuser();
    pg::exec_blocking(batch.get(), "BEGIN");
    auto head = pg::exec_blocking(
        batch.get(),
        "SELECT next_index, (extract(epoch FROM last_time) * 1000000)::bigint FROM ledger_head "
        "FOR UPDATE",
        pg::Params());
    const std::int64_t first = head.get_int(0, 0);
    const auto entry = ledger::make_entry(draft(commits ? 7301 : 7302), first,
                                          ledger::format_time_micros(head.get_int(0, 1) + 1000));
    const std::string leaf_hash(reinterpret_cast<const char*>(entry.leaf_hash.data()),
                                entry.leaf_hash.size());
    pg::exec_blocking(batch.get(),
                      "INSERT INTO ledger_entries (idx, time, request_id, operation, "
                      "consumer_code, provider_code, resource_code, status, record_count, leaf, "
                      "leaf_hash) VALUES ($1::bigint, $2::timestamptz, $3, 'read', $4, $5, $6, "
                      "200, 1, convert_to($7, 'UTF8'), decode($8, 'hex'))",
                      pg::Params()
                          .add(first)
                          .add(entry.time)
                          .add(entry.draft.request_id)
                          .add(entry.draft.consumer_code)
                          .add(*entry.draft.provider_code)
                          .add(entry.draft.resource_code)
                          .add(entry.leaf)
                          .add(hub::to_hex(leaf_hash)));
    pg::exec_blocking(batch.get(),
                      "UPDATE ledger_head SET next_index = next_index + 1, last_time = $1",
                      pg::Params().add(entry.time));

    auto found = std::async(std::launch::async, [&] {
      return ledger::batch_committed(app.get(), first, leaf_hash, entry.time);
    });
    // The lookup waits for the head's lock before the batch's transaction ends.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (pg::exec_blocking(su.get(),
                             "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                             "'Lock' AND datname = current_database()",
                             pg::Params())
               .get_int(0, 0) == 0) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the lookup never waited";
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pg::exec_blocking(batch.get(), commits ? "COMMIT" : "ROLLBACK");
    EXPECT_EQ(found.get(), commits);

    auto after = pg::exec_blocking(
        su.get(), "SELECT last_time > $1::timestamptz, next_index FROM ledger_head",
        pg::Params().add(entry.time));
    if (commits) {
      EXPECT_FALSE(after.get_bool(0, 0)) << "a batch found is left as it is";
      EXPECT_EQ(after.get_int(0, 1), first + 1);
    } else {
      // The batch's claim, arriving late, matches nothing: the head's time is past its own.
      EXPECT_TRUE(after.get_bool(0, 0));
      EXPECT_EQ(pg::exec_blocking(su.get(),
                                  "UPDATE ledger_head SET next_index = next_index + 1, "
                                  "last_time = $2::timestamptz WHERE next_index = $1::bigint "
                                  "AND last_time <= $2::timestamptz",
                                  pg::Params().add(first).add(entry.time))
                    .affected(),
                0);
    }
  }
}

// No database to resolve on within the timeout: the request is answered (503) within the bound,
// and the batch is looked up again as soon as the database answers; one that had committed is
// counted (hub_ledger_late_committed_entries_total) and logged as critical.
TEST_F(LedgerTest, AnOutcomeThatCannotBeLearntInTimeIsAnsweredWithinTheBound) {
  ledger::AppenderOptions options;
  options.conninfo = db_.app_conninfo();
  options.resolve_timeout = std::chrono::milliseconds(1500);
  options.retry_backoff = std::chrono::milliseconds(0);
  auto own = superuser();
  const std::string database = PQdb(own.get());
  auto su = pg::connect_blocking(server_conninfo(), 5);  // another database: it may lock this one
  std::atomic<bool> cut{false};
  options.commit_fault = [&](void* conn, bool sent) {
    if (!sent || cut.exchange(true)) return;
    wait_committed(own.get(), "req-7201");
    // The database takes no new connection meanwhile (a primary gone, none promoted yet).
    pg::exec_blocking(su.get(), "ALTER DATABASE " + database + " ALLOW_CONNECTIONS false");
    cut_connection(conn);
  };
  ledger::Appender appender(options);
  appender.start();
  asio::io_context ioc(1);
  std::optional<ledger::Entry> entry;
  std::string error;
  const auto t0 = std::chrono::steady_clock::now();
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        try {
          entry = co_await appender.append(draft(7201));
        } catch (const std::exception& e) {
          error = e.what();
        }
      },
      asio::detached);
  ioc.run();
  const auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(cut.load());
  EXPECT_FALSE(entry);
  EXPECT_NE(error.find("could not be learnt"), std::string::npos) << error;
  EXPECT_LT(waited, std::chrono::seconds(5)) << "held no longer than the resolve timeout";
  EXPECT_EQ(appender.stats().unresolved.load(), 1u);

  pg::exec_blocking(su.get(), "ALTER DATABASE " + database + " ALLOW_CONNECTIONS true");
  ioc.restart();
  asio::co_spawn(
      ioc, [&]() -> asio::awaitable<void> { entry = co_await appender.append(draft(7202)); },
      asio::detached);
  ioc.run();
  ASSERT_TRUE(entry);
  EXPECT_EQ(appender.stats().late_committed_entries.load(), 1u)
      << "the batch had committed: found on reconnect, and counted";
  appender.stop();
}

// Nodes share one ledger key (ledger.key_file): a node started with another key on a ledger that
// is already signed refuses to start, saying which keys differ, and the rotation setting lets a
// new key take over from the one named.
TEST_F(LedgerTest, ANodeWithAnotherLedgerKeyRefusesToStart) {
  append_many(hub_->app().appender(), 5, 1);
  checkpoint_at_least(5);
  auto start_other = [&](const std::string& previous_key_id) {
    TempDir other_dir;
    auto config = test_config(other_dir, db_);
    config.ledger.origin = "hub.test/ledger";
    config.ledger.previous_key_id = previous_key_id;  // its own key is made at start
    TestHub other(std::move(config), false);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!other.app().ready() && other.app().fatal_error().empty() &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::make_pair(other.app().ready(), other.app().fatal_error());
  };
  auto [ready, error] = start_other("");
  EXPECT_FALSE(ready);
  EXPECT_NE(error.find("is not the key the ledger is signed with"), std::string::npos) << error;
  const std::string key_id = ok(verb::get, "/api/v1/ledger/public-key", kAdmin)["key_id"];
  EXPECT_NE(error.find(key_id), std::string::npos) << "names the ledger's key id: " << error;

  auto [rotating, no_error] = start_other(key_id);
  EXPECT_TRUE(rotating) << no_error;
}

// The report's daily rollups follow the sealed log exactly: each entry counted once, by day
// (the city's), consumer, provider, resource, operation and whether it was allowed.
TEST_F(LedgerTest, DailyRollupsCountEachSealedEntryOnce) {
  append_many(hub_->app().appender(), 600, 2);  // every tenth answered 403
  asio::io_context ioc;
  for (int i = 0; i < 7; ++i) run_sync(ioc, hub_->app().appender().append(draft(1000 + i, kStats)));
  checkpoint_at_least(607);
  auto su = superuser();
  auto rollups = pg::exec_blocking(
      su.get(),
      "SELECT consumer_code, allowed, sum(requests), sum(records) FROM ledger_daily "
      "GROUP BY 1, 2 ORDER BY 1, 2",
      pg::Params());
  auto truth = pg::exec_blocking(
      su.get(),
      "SELECT consumer_code, status BETWEEN 200 AND 299, count(*), sum(record_count) "
      "FROM ledger_entries GROUP BY 1, 2 ORDER BY 1, 2",
      pg::Params());
  ASSERT_EQ(rollups.rows(), truth.rows());
  for (int r = 0; r < truth.rows(); ++r) {
    for (int c = 0; c < 4; ++c) EXPECT_EQ(rollups.get(r, c), truth.get(r, c)) << r << "," << c;
  }
  auto denied = pg::exec_blocking(
      su.get(), "SELECT sum(requests) FROM ledger_daily WHERE NOT allowed", pg::Params());
  EXPECT_EQ(denied.get_int(0, 0), 61) << "60 of the 600, and draft(1000)";
  auto day = pg::exec_blocking(
      su.get(),
      "SELECT count(*) FROM ledger_daily WHERE day NOT IN ((now() AT TIME ZONE "
      "'Asia/Shanghai')::date, "
      "(now() AT TIME ZONE 'Asia/Shanghai')::date - 1)",  // (a run across the city's midnight)
      pg::Params());
  EXPECT_EQ(day.get_int(0, 0), 0);
}

// The demo's history: past times, in order, into an empty ledger only; signed and audited like
// any entries, with the past month's partition made for it.
TEST_F(LedgerTest, HistoryGoesOnlyIntoAnEmptyLedgerInTimeOrder) {
  auto app = pg::connect_blocking(db_.app_conninfo(), 5);
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::vector<ledger::TimedDraft> history;
  for (int i = 0; i < 50; ++i) {
    // Forty days back to an hour ago, given out of order: the function sorts them.
    const std::int64_t back = (i * 37 % 50) * (40LL * 86400 * 1000000 / 50) + 3600LL * 1000000;
    history.push_back({draft(i), now_us - back});
  }
  auto future = history;
  future.push_back({draft(99), now_us + 60LL * 1000000});
  EXPECT_THROW(ledger::append_history(app.get(), future), std::invalid_argument);
  ASSERT_TRUE(ledger::append_history(app.get(), history));
  EXPECT_FALSE(ledger::append_history(app.get(), history)) << "not into a ledger with entries";

  auto su = superuser();
  auto rows = pg::exec_blocking(
      su.get(),
      "SELECT count(*), bool_and(ordered), count(DISTINCT tableoid) FROM (SELECT time >= lag(time, "
      "1, "
      "'-infinity') OVER (ORDER BY idx) AS ordered, tableoid FROM ledger_entries) s",
      pg::Params());
  EXPECT_EQ(rows.get_int(0, 0), 50);
  EXPECT_TRUE(rows.get_bool(0, 1)) << "time never goes backwards along the index";
  EXPECT_GE(rows.get_int(0, 2), 2) << "forty days span two monthly partitions";
  auto spill =
      pg::exec_blocking(su.get(), "SELECT count(*) FROM ledger_entries_default", pg::Params());
  EXPECT_EQ(spill.get_int(0, 0), 0);
  // Live appends come after it, and the whole log is signed and checks out.
  asio::io_context ioc;
  run_sync(ioc, hub_->app().appender().append(draft(100)));
  checkpoint_at_least(51);
  auto [rc1, out1, err1] = hubctl({"ledger", "export", "-o", (dir_.path() / "x.ndjson").string()});
  ASSERT_EQ(rc1, 0) << err1;
  auto [rc2, out2, err2] =
      hubctl({"ledger", "checkpoint", "-o", (dir_.path() / "cp.txt").string()});
  auto [rc3, out3, err3] = hubctl({"ledger", "public-key", "-o", (dir_.path() / "k.pem").string()});
  auto [rc4, out4, err4] =
      hubctl({"ledger", "verify", "--export", (dir_.path() / "x.ndjson").string(), "--checkpoint",
              (dir_.path() / "cp.txt").string(), "--key", (dir_.path() / "k.pem").string()});
  EXPECT_EQ(rc4, 0) << out4 << err4;
}

}  // namespace
}  // namespace hub::test
