#include "hub/ledger/history.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "hub/store/pg.hpp"

namespace hub::ledger {

bool append_history(PGconn* c, std::vector<TimedDraft> entries) {
  std::stable_sort(entries.begin(), entries.end(), [](const TimedDraft& a, const TimedDraft& b) {
    return a.unix_micros < b.unix_micros;
  });
  bool appended = false;
  pg::transaction_blocking(c, [&] {
    auto head = pg::exec_blocking(
        c,
        "SELECT next_index, (extract(epoch FROM now()) * 1000000)::bigint FROM ledger_head "
        "FOR UPDATE",
        pg::Params());
    if (head.get_int(0, 0) != 0) return;  // entries already: nothing is written
    const std::int64_t now = head.get_int(0, 1);
    if (!entries.empty() && entries.back().unix_micros >= now) {
      throw std::invalid_argument("history must end before now");
    }
    std::set<std::string> months;
    for (const auto& e : entries) {
      const std::string month = format_time_micros(e.unix_micros).substr(0, 7);  // YYYY-MM
      if (months.insert(month).second) {
        pg::exec_blocking(c, "SELECT ledger_ensure_month($1::timestamptz)",
                          pg::Params().add(month + "-01T00:00:00Z"));
      }
    }
    std::int64_t index = 0;
    for (auto& e : entries) {
      Entry entry = make_entry(std::move(e.draft), index, format_time_micros(e.unix_micros));
      const EntryDraft& d = entry.draft;
      pg::exec_blocking(
          c,
          "INSERT INTO ledger_entries (idx, time, request_id, operation, consumer_code, "
          "provider_code, resource_code, status, record_count, leaf, leaf_hash, upstream_status, "
          "upstream_ms, subjects, purpose_code) VALUES "
          "($1, $2::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10::bytea, $11::bytea, $12, $13, "
          "$14::bytea, $15)",
          pg::Params()
              .add(index)
              .add(entry.time)
              .add(d.request_id)
              .add(d.operation)
              .add(d.consumer_code)
              .add(d.provider_code)
              .add(d.resource_code)
              .add(static_cast<std::int64_t>(d.status))
              .add(d.record_count)
              .add(pg::bytea_to_text(entry.leaf))
              .add(pg::bytea_to_text(std::string(
                  reinterpret_cast<const char*>(entry.leaf_hash.data()), entry.leaf_hash.size())))
              .add(d.upstream_status ? std::optional<std::int64_t>(*d.upstream_status)
                                     : std::nullopt)
              .add(d.upstream_ms)
              .add(d.subjects.empty() ? std::nullopt
                                      : std::optional<std::string>(pg::bytea_to_text(d.subjects)))
              .add(d.purpose_code));
      ++index;
    }
    if (!entries.empty()) {
      pg::exec_blocking(
          c,
          "UPDATE ledger_head SET next_index = $1, "
          "last_time = greatest(last_time, $2::timestamptz)",
          pg::Params().add(index).add(format_time_micros(entries.back().unix_micros)));
    }
    appended = true;
  });
  return appended;
}

}  // namespace hub::ledger
