// Bulk imports (API.md: POST /api/v1/resources/{code}/imports): NDJSON or CSV streamed from the
// request body, checked line by line against the resource's items, and written in batches in
// one transaction, without the body ever being held in memory.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/core/worker.hpp"
#include "hub/exchange/service.hpp"
#include "hub/store/pg.hpp"

namespace hub::exchange {

namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

constexpr std::size_t kBatchRows = 5000;
constexpr std::size_t kMaxErrors = 100;
constexpr std::size_t kMaxLine = 1024 * 1024;

constexpr pg::Query kBegin{"import_begin", "BEGIN"};
constexpr pg::Query kCommit{"import_commit", "COMMIT"};
constexpr pg::Query kRollback{"import_rollback", "ROLLBACK"};
constexpr pg::Query kSequence{
    "import_sequence",
    "INSERT INTO record_sequences (resource_code) VALUES ($1) ON CONFLICT DO NOTHING"};
// One batch: its change numbers taken at once, then every row inserted or its version raised.
constexpr pg::Query kBatch{
    "import_batch",
    "WITH rows AS (SELECT * FROM unnest($2::text[], $3::jsonb[]) WITH ORDINALITY AS u(key, data, "
    "n)), "
    "s AS (UPDATE record_sequences SET next_seq = next_seq + $4::bigint WHERE resource_code = $1 "
    "      RETURNING next_seq - $4::bigint AS first) "
    "INSERT INTO records AS r (resource_code, key, version, data, deleted, updated_at, seq) "
    "SELECT $1, rows.key, 1, rows.data, false, now(), s.first + rows.n - 1 FROM rows, s "
    "ON CONFLICT (resource_code, key) DO UPDATE SET version = r.version + 1, "
    "  data = EXCLUDED.data, deleted = false, updated_at = EXCLUDED.updated_at, seq = "
    "EXCLUDED.seq"};

// Appends `v` as an element of a PostgreSQL array literal: quoted, with " and \ escaped.
// `out` starts as "{".
void append_element(std::string& out, std::string_view v) {
  if (out.size() > 1) out.push_back(',');
  out.push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

// RFC 4180 fields of one line (quoted fields with "" escapes; no newline inside a field).
bool split_csv_line(std::string_view line, std::vector<std::string>& fields, std::string& why) {
  fields.clear();
  std::string field;
  std::size_t i = 0;
  while (true) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) {
          why = "a quoted field is not closed (a newline inside a field is not supported)";
          return false;
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(line[i++]);
      }
      if (i < line.size() && line[i] != ',') {
        why = "text after a closing quote";
        return false;
      }
    } else {
      while (i < line.size() && line[i] != ',') field.push_back(line[i++]);
    }
    fields.push_back(field);
    if (i >= line.size()) return true;
    ++i;  // the comma
  }
}

// A CSV cell as the item's JSON value; empty cells are left out (no value).
std::optional<json> cell_value(const Item& item, const std::string& cell, std::string& why) {
  if (cell.empty()) return std::nullopt;
  switch (item.type) {
    case ItemType::integer: {
      long long v = 0;
      auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
      if (ec != std::errc{} || end != cell.data() + cell.size()) {
        why = item.name + ": must be an integer";
        return std::nullopt;
      }
      return json(v);
    }
    case ItemType::number: {
      auto v = json::parse(cell, nullptr, false);
      if (!v.is_number()) {
        why = item.name + ": must be a number";
        return std::nullopt;
      }
      return v;
    }
    case ItemType::boolean:
      if (cell == "true") return json(true);
      if (cell == "false") return json(false);
      why = item.name + ": must be true or false";
      return std::nullopt;
    default:
      return json(cell);
  }
}

}  // namespace

asio::awaitable<std::string> ExchangeService::import(http::Request& req, const std::string& code) {
  const Principal& me = *req.principal;
  auto s = schema(me, code);
  if (!me.of_agency(s->provider_code)) {
    throw ApiError(ErrorCode::forbidden,
                   "only the provider's systems and operators import records");
  }
  if (s->status == "retired") {
    throw ApiError(ErrorCode::conflict, "the resource is retired; it takes no more records");
  }
  const auto content_type = std::string(req.header("Content-Type"));
  const bool csv = content_type.starts_with("text/csv");
  if (!csv && !content_type.starts_with("application/x-ndjson")) {
    throw ApiError(ErrorCode::validation_failed,
                   "an import is application/x-ndjson or text/csv (with a header row)",
                   {{"Content-Type", "application/x-ndjson or text/csv"}}, 422);
  }
  const bool atomic = req.query_param("atomic").value_or("false") == "true";

  std::int64_t accepted = 0, rejected = 0, line_no = 0;
  json errors = json::array();
  auto reject = [&](const std::string& message) {
    ++rejected;
    if (errors.size() < kMaxErrors) errors.push_back({{"line", line_no}, {"message", message}});
  };
  std::vector<const Item*> columns;  // CSV: the item of each column
  std::vector<std::string> fields;

  // The batch being filled: keys and data as array literals, one row per key (a key given twice
  // in a batch keeps its last line, as two writes in a row would).
  std::unordered_map<std::string, std::size_t> batch_index;
  std::vector<std::pair<std::string, std::string>> batch;
  auto lease = co_await req.worker->db().acquire();
  const pg::Params code_param = pg::Params().add(code);
  auto begin = pg::batch(pg::step(kBegin), pg::step(kSequence, code_param));
  co_await lease->pipeline(begin);
  // A batch is written while the next one is parsed: the statement goes out, this coroutine
  // yields once so it is sent, and parsing goes on until the next batch is ready, which first
  // waits for the one in flight (one statement at a time on a connection).
  struct InFlight {
    explicit InFlight(asio::any_io_executor ex)
        : timer(ex, asio::steady_timer::time_point::max()) {}
    asio::steady_timer timer;
    std::exception_ptr error;
    bool done = false;
  };
  const auto executor = co_await asio::this_coro::executor;
  std::shared_ptr<InFlight> inflight;
  pg::Connection* conn = &*lease;
  auto settle = [&]() -> asio::awaitable<void> {
    if (!inflight) co_return;
    auto f = std::move(inflight);
    inflight.reset();
    if (!f->done) co_await f->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (f->error) std::rethrow_exception(f->error);
  };
  auto flush = [&]() -> asio::awaitable<void> {
    if (batch.empty()) co_return;
    std::string keys = "{", data = "{";
    for (const auto& [k, d] : batch) {
      append_element(keys, k);
      append_element(data, d);
    }
    keys += "}";
    data += "}";
    pg::Params params =
        pg::Params().add(code).add(keys).add(data).add(static_cast<std::int64_t>(batch.size()));
    batch.clear();
    batch_index.clear();
    co_await settle();
    auto f = std::make_shared<InFlight>(executor);
    inflight = f;
    asio::co_spawn(
        executor,
        [conn, params = std::move(params)]() -> asio::awaitable<void> {
          co_await conn->exec(kBatch, params);
        },
        [f](std::exception_ptr e) {
          f->error = e;
          f->done = true;
          f->timer.cancel();
        });
    co_await asio::post(executor, asio::use_awaitable);
  };

  auto take_line = [&](std::string_view line) -> bool {  // true when a row was added
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (csv && line_no == 1) {
      if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
      std::string why;
      if (!split_csv_line(line, fields, why)) {
        throw ApiError(ErrorCode::validation_failed, "the CSV header row: " + why,
                       {{"line 1", why}}, 422);
      }
      for (const auto& f : fields) {
        const Item* item = s->item(f);
        if (!item) {
          throw ApiError(ErrorCode::validation_failed,
                         "the CSV header names '" + f + "', not an item of this resource",
                         {{"line 1", "'" + f + "' is not an item"}}, 422);
        }
        columns.push_back(item);
      }
      return false;
    }
    if (line.empty()) return false;
    json data;
    if (csv) {
      std::string why;
      if (!split_csv_line(line, fields, why)) {
        reject(why);
        return false;
      }
      if (fields.size() != columns.size()) {
        reject("has " + std::to_string(fields.size()) + " fields; the header has " +
               std::to_string(columns.size()));
        return false;
      }
      data = json::object();
      for (std::size_t c = 0; c < columns.size(); ++c) {
        auto v = cell_value(*columns[c], fields[c], why);
        if (!why.empty()) {
          reject(why);
          return false;
        }
        if (v) data[columns[c]->name] = std::move(*v);
      }
    } else {
      data = json::parse(line, nullptr, false);
      if (data.is_discarded() || !data.is_object()) {
        reject("not a JSON object");
        return false;
      }
    }
    std::string key;
    if (auto it = data.find(s->key_item); it != data.end() && it->is_string()) {
      key = it->get<std::string>();
    } else if (it != data.end() && it->is_number_integer()) {
      key = it->dump();
    } else {
      reject("the key item '" + s->key_item + "' is missing");
      return false;
    }
    try {
      check_key(key);
    } catch (const ApiError&) {
      reject("the key is not 1 to 512 bytes of UTF-8 without control characters");
      return false;
    }
    auto problems = s->validate(data, key);
    if (!problems.empty()) {
      std::string message;
      for (const auto& p : problems) {
        if (!message.empty()) message += "; ";
        message += p.field + " " + p.message;
      }
      reject(message);
      return false;
    }
    ++accepted;
    if (atomic && rejected > 0) {
      // Nothing will be stored: the rest is only checked, not kept (a huge atomic import with
      // an early bad line must not gather the rest in memory).
      batch.clear();
      batch_index.clear();
      return false;
    }
    std::string text = data.dump(-1, ' ', false, json::error_handler_t::replace);
    if (auto it = batch_index.find(key); it != batch_index.end()) {
      batch[it->second].second = std::move(text);
    } else {
      batch_index.emplace(key, batch.size());
      batch.emplace_back(std::move(key), std::move(text));
    }
    return true;
  };

  // On any failure the lease goes back with its transaction open, and the pool does not lend a
  // connection like that again: nothing of the import is stored. A batch still in flight is
  // waited for first, so the connection is not handed back in the middle of a statement.
  std::exception_ptr failure;
  try {
    {
      std::string pending;
      std::vector<char> chunk(256 * 1024);
      while (true) {
        std::size_t n = 0;
        if (req.body_reader) {
          n = co_await req.body_reader->read(chunk.data(), chunk.size());
        } else if (line_no == 0 && pending.empty()) {
          pending = req.message.body();
        }
        if (n > 0) pending.append(chunk.data(), n);
        std::size_t start = 0;
        for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos;
             start = nl + 1) {
          take_line(std::string_view(pending).substr(start, nl - start));
          // In an atomic import, a bad line already decides: nothing more is written.
          if (batch.size() >= kBatchRows && !(atomic && rejected > 0)) co_await flush();
        }
        pending.erase(0, start);
        if (pending.size() > kMaxLine) {
          throw ApiError(ErrorCode::validation_failed,
                         "line " + std::to_string(line_no + 1) + " is longer than 1 MiB",
                         {{"line " + std::to_string(line_no + 1), "longer than 1 MiB"}}, 422);
        }
        if (n == 0) break;
      }
      if (!pending.empty()) take_line(pending);
      if (csv && line_no == 0) {
        throw ApiError(ErrorCode::validation_failed, "a CSV import starts with a header row",
                       {{"line 1", "missing"}}, 422);
      }
      if (atomic && rejected > 0) {
        co_await settle();
        const auto rollback = pg::batch(pg::step(kRollback));
        co_await lease->pipeline(rollback);
        std::vector<FieldError> fe;
        for (const auto& err : errors) {
          fe.push_back({"line " + std::to_string(err["line"].get<std::int64_t>()),
                        err["message"].get<std::string>()});
        }
        throw ApiError(ErrorCode::validation_failed,
                       std::to_string(rejected) + " line(s) are bad; nothing was stored (atomic)",
                       std::move(fe), 422);
      }
      co_await flush();
      co_await settle();
      const auto commit = pg::batch(pg::step(kCommit));
      co_await lease->pipeline(commit);
    }
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    try {
      co_await settle();
    } catch (...) {
    }
    std::rethrow_exception(failure);
  }
  co_return json{{"accepted", accepted}, {"rejected", rejected}, {"errors", std::move(errors)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace hub::exchange
