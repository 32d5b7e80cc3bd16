// Load drivers for the scripts in bench/ (they print figures; they are not tests):
//   hub_bench append CONNINFO SECONDS CONCURRENCY   the ledger appender as the hub drives it:
//                                                   durable entries per second
//   hub_bench fill CONNINFO COUNT                   synthetic ledger entries in bulk (SQL), for
//                                                   proof timings at 10 million
//   hub_bench records COUNT                         demo enterprise records as NDJSON on stdout
#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "hub/cli/demo_data.hpp"
#include "hub/ledger/appender.hpp"
#include "hub/store/pg.hpp"

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

hub::ledger::EntryDraft draft(std::uint64_t i) {
  hub::ledger::EntryDraft d;
  d.request_id = "bench-" + std::to_string(i);
  d.operation = i % 7 ? "read" : "query";
  d.consumer_code = "11440100MB2C91826K";
  d.principal_id = "4f1c2a9e-8d1b-4c1e-9b9a-1f2e3d4c5b6a";
  d.provider_code = "11440100007502476H";
  d.resource_code = "440100-SCJGJ-0001";
  d.grant_id = "7d8e9f00-1a2b-4c3d-8e9f-0a1b2c3d4e5f";
  d.purpose = "办理企业开办业务，核验营业执照信息";
  d.items = {"uscc", "name", "legal_person", "reg_capital"};
  d.record_count = 1;
  d.status = 200;
  d.response_sha256 = std::string(64, 'a');
  return d;
}

int append(const std::string& conninfo, int seconds, int concurrency) {
  hub::ledger::AppenderOptions options;
  options.conninfo = conninfo;
  hub::ledger::Appender appender(options);
  appender.start();
  asio::io_context ioc(1);
  std::atomic<std::uint64_t> seq{0};
  std::vector<double> latencies;
  latencies.reserve(8'000'000);
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  std::uint64_t done = 0, failed = 0;
  for (int c = 0; c < concurrency; ++c) {
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          while (Clock::now() < end) {
            const auto t0 = Clock::now();
            try {
              (void)co_await appender.append(draft(seq++));
              ++done;
              latencies.push_back(
                  std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
            } catch (const std::exception&) {
              ++failed;
            }
          }
        },
        asio::detached);
  }
  ioc.run();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies.empty() ? 0.0
                             : latencies[static_cast<std::size_t>(p * (latencies.size() - 1))];
  };
  const auto commits = appender.stats().batches.load();
  std::printf(
      "appended %llu entries durably in %.1f s: %.0f entries/s; %llu commits (%.0f entries "
      "per commit); %llu failed\n",
      static_cast<unsigned long long>(done), elapsed, done / elapsed,
      static_cast<unsigned long long>(commits), commits ? double(done) / commits : 0.0,
      static_cast<unsigned long long>(failed));
  std::printf("append latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d concurrent)\n", pct(0.5),
              pct(0.99), pct(1.0), concurrency);
  appender.stop();
  return failed == 0 ? 0 : 1;
}

int fill(const std::string& conninfo, long long count) {
  auto conn = hub::pg::connect_blocking(conninfo, 10);
  const long long chunk = 1'000'000;
  for (long long made = 0; made < count; made += chunk) {
    const long long n = std::min(chunk, count - made);
    hub::pg::exec_blocking(conn.get(), "BEGIN");
    auto head = hub::pg::exec_blocking(conn.get(), "SELECT next_index FROM ledger_head FOR UPDATE",
                                       hub::pg::Params());
    const long long first = head.get_int(0, 0);
    hub::pg::exec_blocking(
        conn.get(),
        "INSERT INTO ledger_entries (idx, time, request_id, operation, consumer_code, "
        "provider_code, resource_code, status, record_count, leaf, leaf_hash) "
        "SELECT i, now(), 'fill-' || i, 'read', '11440100MB2C91826K', '11440100007502476H', "
        "'440100-SCJGJ-0001', 200, 1, leaf, sha256('\\x00'::bytea || leaf) "
        "FROM (SELECT i, convert_to(json_build_object('index', i, 'request_id', 'fill-' || i, "
        "'purpose', '核验')::text, 'UTF8') AS leaf "
        "FROM generate_series($1::bigint, $2::bigint) AS i) s",
        hub::pg::Params()
            .add(static_cast<std::int64_t>(first))
            .add(static_cast<std::int64_t>(first + n - 1)));
    hub::pg::exec_blocking(conn.get(), "UPDATE ledger_head SET next_index = $1",
                           hub::pg::Params().add(static_cast<std::int64_t>(first + n)));
    hub::pg::exec_blocking(conn.get(), "COMMIT");
    std::fprintf(stderr, "[bench] filled %lld of %lld\n", made + n, count);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  try {
    if (a.size() == 4 && a[0] == "append") return append(a[1], std::stoi(a[2]), std::stoi(a[3]));
    if (a.size() == 3 && a[0] == "fill") return fill(a[1], std::stoll(a[2]));
    if (a.size() == 2 && a[0] == "records") {
      const std::string text = hub::cli::demo_enterprises_ndjson(std::stoi(a[1]));
      std::fwrite(text.data(), 1, text.size(), stdout);
      return 0;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hub_bench: %s\n", e.what());
    return 1;
  }
  std::fprintf(
      stderr,
      "usage: hub_bench append CONNINFO SECONDS CONCURRENCY | fill CONNINFO COUNT | records N\n");
  return 2;
}
