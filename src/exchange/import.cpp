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

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unordered_set>

#include "hub/core/error.hpp"
#include "hub/core/json.hpp"
#include "hub/core/text.hpp"
#include "hub/core/worker.hpp"
#include "hub/exchange/lines.hpp"
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
// A non-atomic import's batches commit without waiting for their WAL to reach the disk (and a
// synchronous standby): the setting lasts for the batch's own transaction, the pipeline it goes
// in with. Before the import answers, kDurable commits a write of its own synchronously; its
// commit record follows every batch's in the WAL, so flushing it flushes them all. Nothing is
// acknowledged before that. (Anything read from a batch before then is shared with a ledger
// entry, committed synchronously after it in the WAL too.)
constexpr pg::Query kAsyncCommit{"import_async_commit",
                                 "SELECT set_config('synchronous_commit', 'off', true)"};
constexpr pg::Query kDurable{"import_durable", kImportDurableSql};
// One batch: its change numbers taken at once, then every row inserted or its version raised.
// One statement, so a batch of a non-atomic import is committed whole or not at all. Each row
// carries the rules it breaks (quality_mode flag, an array literal); every row names the
// resource's unique items ($6, the same for all), whose values the records_claim trigger claims.
#define HUB_IMPORT_INSERT                                                                          \
  "WITH rows AS (SELECT * FROM unnest($2::text[], $3::jsonb[], $5::text[]) "                       \
  "  WITH ORDINALITY AS u(key, data, broken, n)), "                                                \
  "s AS (INSERT INTO record_sequences AS q (resource_code, next_seq) VALUES ($1, 1 + $4::bigint) " \
  "      ON CONFLICT (resource_code) DO UPDATE SET next_seq = q.next_seq + $4::bigint "            \
  "      RETURNING q.next_seq - $4::bigint AS first) "                                             \
  "INSERT INTO records AS r "                                                                      \
  "  (resource_code, key, version, data, deleted, updated_at, seq, broken, claims) "               \
  "SELECT $1, rows.key, 1, rows.data, false, now(), s.first + rows.n - 1, rows.broken::text[], "   \
  "  $6::text[] FROM rows, s ORDER BY rows.n "
#define HUB_IMPORT_BATCH                                                        \
  HUB_IMPORT_INSERT                                                             \
  "ON CONFLICT (resource_code, key) DO UPDATE SET version = r.version + 1, "    \
  "  data = EXCLUDED.data, deleted = false, updated_at = EXCLUDED.updated_at, " \
  "  seq = EXCLUDED.seq, broken = EXCLUDED.broken, claims = EXCLUDED.claims"
// Each row says whether its key was stored before (a version raised), so that an import whose
// stored keys are behind it goes back to inserting (InFlight::stored).
constexpr pg::Query kBatch{"import_batch", HUB_IMPORT_BATCH " RETURNING r.version > 1"};
// An atomic import's batch, which goes by the upsert whatever its keys: nothing comes back.
constexpr pg::Query kBatchAtomic{"import_batch_atomic", HUB_IMPORT_BATCH};
// The same for a resource with unique items: the store may refuse a row (another record holds
// its value) or flag it, so the rows written come back.
constexpr pg::Query kBatchChecked{"import_batch_checked", HUB_IMPORT_BATCH
                                  " RETURNING r.key, r.broken IS NOT NULL, r.version > 1"};
// New keys only, for a resource with unique items: a plain INSERT, which skips the upsert's
// probe of the primary key before each row (29 % of the backend's time per row in a first load,
// measured alone; docs/performance.md). A key already stored fails the statement whole (23505,
// nothing written, its change numbers not taken), and the batch is written again by the upsert.
constexpr pg::Query kInsertChecked{"import_insert_checked",
                                   HUB_IMPORT_INSERT " RETURNING r.key, r.broken IS NOT NULL"};
// New keys only, for a resource without unique items: COPY in the batch's own transaction. Its
// change numbers are taken first (kTakeSeqs: the change counter's row lock, as every write of
// the resource takes it), then the rows are copied (copy_rows) and committed. COPY spares
// PostgreSQL the batch's array literals, their unnest and the sort into line order: about a
// quarter of its CPU per row (docs/performance.md). A stored key fails it as it fails the INSERT.
constexpr pg::Query kTakeSeqs{
    "import_take_seqs",
    "INSERT INTO record_sequences AS q (resource_code, next_seq) VALUES ($1, 1 + $2::bigint) "
    "ON CONFLICT (resource_code) DO UPDATE SET next_seq = q.next_seq + $2::bigint "
    "RETURNING q.next_seq - $2::bigint"};
constexpr std::string_view kCopyRecords =
    "COPY records (resource_code, key, version, data, seq, broken) FROM STDIN";
// New keys of a resource with unique items go by COPY too, their claims taken set-wise first
// instead of by the records_claim trigger row by row (its plpgsql call and statement for each
// row cost about 17 µs a row, more than twice what COPY costs a row: docs/performance.md). In
// the batch's transaction, after the change counter's row lock (kTakeSeqs of 0), each line's
// unique values ($3: an object of them per line, as its record holds them) are claimed, and the
// lines are then copied with the claims they took (a first claim holding ':' tells the trigger
// they are taken: 027_set_wise_claims.sql). kClaimNew takes them all with a plain INSERT (a
// value held already fails it whole, 23505: the transaction begins again with kClaimBatch, as
// does the rest of the import); kClaimBatch, with ON CONFLICT, in line order, says what became
// of each: 0 taken by its line; 1 held by a stored record of another key; 2 held by the line's
// own key (its record is stored: the batch goes by the upsert); 3 taken by an earlier line of
// the batch (the trigger's order decides then: the batch goes by kInsertChecked).
#define HUB_IMPORT_VALUES                                                          \
  "WITH v AS MATERIALIZED ("                                                       \
  "  SELECT u.n, i.m, i.item, u.key, hub_claim(i.item, u.vals -> i.item) AS claim" \
  "    FROM unnest($2::text[], $3::jsonb[]) WITH ORDINALITY AS u(key, vals, n),"   \
  "         unnest($4::text[]) WITH ORDINALITY AS i(item, m)"                      \
  "   WHERE u.vals ? i.item AND jsonb_typeof(u.vals -> i.item) <> 'null'), "
constexpr pg::Query kClaimNew{"import_claim_new", HUB_IMPORT_VALUES
                              "ins AS (INSERT INTO record_unique (resource_code, claim, key) "
                              "SELECT $1, v.claim, v.key FROM v) "
                              "SELECT v.n, v.item, v.claim, 0 FROM v ORDER BY v.n, v.m"};
// (Its states come from IN subqueries, which PostgreSQL hashes at the small sizes a generic plan
// estimates: a prepared statement's generic plan cannot see the batch's size, and had joined its
// lines to the claims taken by a nested loop, 25 million comparisons a batch.)
constexpr pg::Query kClaimBatch{
    "import_claim_batch", HUB_IMPORT_VALUES
    "ins AS ("
    "  INSERT INTO record_unique (resource_code, claim, key)"
    "  SELECT $1, v.claim, v.key FROM v ORDER BY v.n, v.m"
    "  ON CONFLICT DO NOTHING RETURNING claim, key) "
    "SELECT v.n, v.item, v.claim,"
    "  CASE WHEN (v.claim, v.key) IN (SELECT claim, key FROM ins) THEN 0"
    "       WHEN v.claim IN (SELECT claim FROM ins) THEN 3"
    "       ELSE coalesce((SELECT CASE WHEN u.key = v.key THEN 2 ELSE 1 END FROM record_unique u"
    "                       WHERE u.resource_code = $1 AND u.claim = v.claim), 3) END"
    "  FROM v ORDER BY v.n, v.m"};
#undef HUB_IMPORT_VALUES
// The claims of lines refused for a value another record holds (quality_mode reject), given back.
constexpr pg::Query kGiveBack{
    "import_give_back",
    "DELETE FROM record_unique WHERE resource_code = $1 AND claim = ANY ($2::text[])"};
constexpr std::string_view kCopyClaimed =
    "COPY records (resource_code, key, version, data, seq, broken, claims) FROM STDIN";
#undef HUB_IMPORT_BATCH
#undef HUB_IMPORT_INSERT

// One checked row of an import, as written.
struct Row {
  std::string key;
  std::string data;                   // JSON text
  std::optional<std::string> broken;  // array literal: the rules it breaks (flag mode)
  std::int64_t line = 0;
  // A resource with unique items, a non-atomic import: the JSON object of the record's unique
  // items (kClaimBatch), and once claimed, the array literal of the claims it took.
  std::optional<std::string> unique_values;
  std::optional<std::string> claims;
};

// Appends `v` as an element of a PostgreSQL array literal: quoted, with " and \ escaped, or
// NULL. `out` starts as "{".
void append_element(std::string& out, std::optional<std::string_view> v) {
  if (out.size() > 1) out.push_back(',');
  if (!v) {
    out += "NULL";
    return;
  }
  out.push_back('"');
  for (char c : *v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

// An atomic import's checked rows, kept on local disk until the whole body has arrived: the
// import then writes them in one transaction, so no database connection waits on the client.
// The file is unlinked from the start (O_TMPFILE, or unlinked right after mkstemp): it goes
// with the descriptor, whatever ends the import.
class Spool {
 public:
  explicit Spool(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      std::string tmpl = (dir / "import-XXXXXX").string();
      fd_ = ::mkostemp(tmpl.data(), O_CLOEXEC);
      if (fd_ >= 0) ::unlink(tmpl.c_str());
    }
    if (fd_ < 0) {
      throw std::runtime_error("cannot make an import spool file in " + dir.string() + ": " +
                               std::strerror(errno));
    }
  }
  ~Spool() {
    if (fd_ >= 0) ::close(fd_);
  }
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  void add(const Row& row) {
    put(row.key);
    put(row.data);
    put(row.broken);
    buffer_.append(reinterpret_cast<const char*>(&row.line), sizeof row.line);
    ++rows_;
    if (buffer_.size() >= kFlushBytes) flush();
  }
  std::size_t rows() const { return rows_; }
  // Ends a batch: the rows read back come in the batches they were written in (a batch never
  // holds a key twice: PostgreSQL refuses an upsert that would change one row twice).
  void end_batch() {
    put(std::nullopt);
    if (buffer_.size() >= kFlushBytes) flush();
  }

  // Reads the rows back from the start, in order, a batch at a time (next).
  void rewind() {
    flush();
    if (::lseek(fd_, 0, SEEK_SET) < 0) fail("seek");
    buffer_.clear();
    pos_ = 0;
  }
  // The next batch as written; false at the end.
  bool next(std::vector<Row>& out) {
    out.clear();
    while (true) {
      Row row;
      std::optional<std::string> key;
      if (!get(key, true)) break;
      if (!key) {  // the end of a batch
        if (out.empty()) continue;
        break;
      }
      row.key = std::move(*key);
      std::optional<std::string> data;
      if (!get(data, false) || !data || !get(row.broken, false) ||
          !take(&row.line, sizeof row.line)) {
        fail("read");
      }
      row.data = std::move(*data);
      out.push_back(std::move(row));
    }
    return !out.empty();
  }

 private:
  static constexpr std::size_t kFlushBytes = 1 << 20;
  [[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string("import spool ") + what + ": " + std::strerror(errno));
  }
  // A field: its length (all ones for none), then its bytes.
  static constexpr std::uint32_t kNone = 0xffffffffu;
  void put(std::optional<std::string_view> v) {
    const auto n = v ? static_cast<std::uint32_t>(v->size()) : kNone;
    buffer_.append(reinterpret_cast<const char*>(&n), 4);
    if (v) buffer_.append(*v);
  }
  // False at a clean end of the file before the field (`at_end_ok`), throws on a torn one.
  bool get(std::optional<std::string>& out, bool at_end_ok) {
    std::uint32_t n = 0;
    if (!take(&n, 4)) {
      if (!at_end_ok) fail("read");
      return false;
    }
    if (n == kNone) {
      out.reset();
      return true;
    }
    out.emplace(n, '\0');
    if (!take(out->data(), n)) fail("read");
    return true;
  }
  void flush() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("write");  // a full disk among them: the import fails, nothing stored
      done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }
  bool take(void* out, std::size_t n) {
    auto* p = static_cast<char*>(out);
    while (n > 0) {
      if (pos_ == buffer_.size()) {
        buffer_.resize(kFlushBytes);
        ssize_t got = 0;
        do {
          got = ::read(fd_, buffer_.data(), buffer_.size());
        } while (got < 0 && errno == EINTR);
        if (got < 0) fail("read");
        buffer_.resize(static_cast<std::size_t>(got));
        pos_ = 0;
        if (got == 0) return false;
      }
      const std::size_t k = std::min(n, buffer_.size() - pos_);
      std::memcpy(p, buffer_.data() + pos_, k);
      pos_ += k;
      p += k;
      n -= k;
    }
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
  std::size_t pos_ = 0;
  std::size_t rows_ = 0;
};

// The batch statement's parameters: keys, data and broken rules as array literals, and the
// resource's unique items (RecordSchema::unique_names).
pg::Params batch_params(const std::string& code, const std::vector<Row>& rows,
                        const std::optional<std::string>& unique_names) {
  std::string keys = "{", data = "{", broken = "{";
  for (const auto& r : rows) {
    append_element(keys, r.key);
    append_element(data, r.data);
    append_element(broken, r.broken);
  }
  keys += "}";
  data += "}";
  broken += "}";
  return pg::Params()
      .add(code)
      .add(keys)
      .add(data)
      .add(static_cast<std::int64_t>(rows.size()))
      .add(broken)
      .add(unique_names);
}

// Appends `v` as a field of COPY's text format: backslash, tab, newline and carriage return
// escaped.
void append_copy_field(std::string& out, std::string_view v) {
  while (!v.empty()) {
    const auto special = v.find_first_of("\\\t\n\r");
    out.append(v.substr(0, special));
    if (special == std::string_view::npos) return;
    switch (v[special]) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += "\\r";
        break;
    }
    v.remove_prefix(special + 1);
  }
}

// A batch's rows as kCopyRecords takes them (kCopyClaimed with `claimed`: their claims too),
// their change numbers from `first` in line order.
std::string copy_rows(const std::string& code, const std::vector<Row>& rows, std::int64_t first,
                      bool claimed = false) {
  std::string out;
  std::size_t size = 0;
  for (const auto& r : rows) size += code.size() + r.key.size() + r.data.size() + 48;
  out.reserve(size + size / 16);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    append_copy_field(out, code);
    out.push_back('\t');
    append_copy_field(out, r.key);
    out += "\t1\t";
    append_copy_field(out, r.data);
    out.push_back('\t');
    out += std::to_string(first + static_cast<std::int64_t>(i));
    out.push_back('\t');
    if (r.broken) {
      append_copy_field(out, *r.broken);
    } else {
      out += "\\N";
    }
    if (claimed) {
      out.push_back('\t');
      append_copy_field(out, r.claims.value_or("{}"));
    }
    out.push_back('\n');
  }
  return out;
}

// The rows a checked statement wrote (RETURNING key, flagged).
std::vector<std::pair<std::string, bool>> written_rows(const pg::Result& result) {
  std::vector<std::pair<std::string, bool>> out;
  out.reserve(static_cast<std::size_t>(result.rows()));
  for (int i = 0; i < result.rows(); ++i) {
    out.emplace_back(std::string(result.get(i, 0)), result.get_bool(i, 1));
  }
  return out;
}

// Adds `rule` to a row's broken rules (an array literal), as the records_claim trigger does.
void mark_broken(std::optional<std::string>& broken, const std::string& rule) {
  std::string element = "{";
  append_element(element, rule);
  element.erase(0, 1);
  if (!broken) {
    broken = "{" + element + "}";
  } else if (broken->find(element) == std::string::npos) {
    broken->insert(broken->size() - 1, broken->size() > 2 ? "," + element : element);
  }
}

// The words of a line the store refused for its unique items.
std::string unique_refusal(const RecordSchema& s) {
  std::string items;
  for (const auto& n : s.unique_items) items += (items.empty() ? "" : ", ") + n;
  return (s.unique_items.size() == 1 ? "rule unique: another record holds its value of "
                                     : "rule unique: another record holds its value of one of ") +
         items;
}

}  // namespace

asio::awaitable<ImportResult> ExchangeService::import(const Caller& caller,
                                                      const ImportRequest& request,
                                                      ByteSource& body) {
  const Principal& me = caller.principal;
  const std::string& code = request.resource_code;
  auto s = schema(me, code);
  if (!me.of_agency(s->provider_code)) {
    throw ApiError(ErrorCode::forbidden,
                   "only the provider's systems and operators import records");
  }
  if (s->status == "retired") {
    throw ApiError(ErrorCode::conflict, "the resource is retired; it takes no more records");
  }
  const bool csv = request.format == ImportFormat::csv;
  const bool atomic = request.atomic;
  // A place among the imports running on this node (per agency and in all), before a byte of
  // the body is read: more wait for their turn with 429 and Retry-After.
  auto slot = services_.import_slots.try_acquire(me.agency_code);
  if (!slot) {
    throw ApiError(ErrorCode::rate_limited,
                   "too many imports are running (limits.imports_per_agency, imports_per_node); "
                   "retry later")
        .with_header("Retry-After", "10");
  }

  ImportResult result;
  std::int64_t line_no = 0;
  std::int64_t& accepted = result.accepted;
  std::int64_t& rejected = result.rejected;
  auto reject = [&](const std::string& message) {
    ++rejected;
    if (result.errors.size() < kMaxErrors) result.errors.emplace_back(line_no, message);
  };
  // Rows the store refused (a unique value another record holds): counted as rejected, not
  // accepted, with their lines.
  auto refuse_written = [&](std::int64_t line) {
    --accepted;
    ++rejected;
    if (result.errors.size() < kMaxErrors) result.errors.emplace_back(line, unique_refusal(*s));
  };
  // A resource with unique items: the store decides for each row (refused or flagged), and the
  // rows it wrote come back to be compared with those sent.
  const bool checked = !s->unique_items.empty();
  auto compare = [&](const std::vector<std::pair<std::string, std::int64_t>>& sent,
                     const std::vector<std::pair<std::string, bool>>& written) {
    std::unordered_set<std::string_view> keys;
    for (const auto& [key, flagged] : written) {
      keys.insert(key);
      if (flagged) ++result.flagged;
    }
    std::size_t refused = 0;
    for (const auto& [key, line] : sent) {
      if (!keys.contains(key)) {
        refuse_written(line);
        ++refused;
      }
    }
    return refused;
  };
  std::vector<const Item*> columns;  // CSV: the item of each column
  std::vector<std::string> fields;

  // The batch being filled, one row per key (a key given twice in a batch keeps its last line,
  // as two writes in a row would).
  std::unordered_map<std::string, std::size_t> batch_index;
  std::vector<Row> batch;
  // An atomic import keeps its rows on disk until the body has all arrived and every line is
  // good; a non-atomic one writes each full batch at once, in a statement of its own. Either
  // way a connection is taken only to write, never while waiting for the client.
  std::optional<Spool> spool;
  if (atomic) {
    spool.emplace(services_.config.exchange.spool_dir.empty()
                      ? services_.config.data_dir / "spool"
                      : std::filesystem::path(services_.config.exchange.spool_dir));
  }
  // A non-atomic batch is written while the next one is parsed: the statement goes out on a
  // connection of its own, and the next flush first waits for it.
  struct InFlight {
    explicit InFlight(asio::any_io_executor ex)
        : timer(ex, asio::steady_timer::time_point::max()) {}
    asio::steady_timer timer;
    std::exception_ptr error;
    bool done = false;
    std::vector<std::pair<std::string, std::int64_t>> sent;  // checked: key and line
    std::vector<std::pair<std::string, bool>> written;       // checked: the rows written, flagged
    bool insert_first = false;    // tried as a plain INSERT of new keys first
    bool conflicted = false;      // ... and a key was stored already
    bool upserted = false;        // written by the upsert
    std::int64_t stored = 0;      // ... and of its rows, those whose key was stored before
    bool claim_plain = true;      // unique claims taken by kClaimNew first
    bool claims_clashed = false;  // ... and one was held already
    bool claims_clean = false;    // taken by kClaimBatch, and none was held
  };
  // Batches go as inserts of new keys (COPY) until one meets a stored key; from then on as
  // upserts, until an upserted batch finds none of its keys stored (a reload of stored keys pays
  // one failed statement; stored keys followed by new ones, two).
  bool insert_first = true;
  // Unique claims go by kClaimNew until one is held already, then by kClaimBatch until a batch
  // finds none held (one failed statement each time values start to clash).
  bool claims_plain = true;
  const auto executor = co_await asio::this_coro::executor;
  std::shared_ptr<InFlight> inflight;
  Worker* worker = caller.worker;
  bool written_async = false;  // a batch committed without waiting for its WAL flush
  // Makes every batch written so far durable (see kDurable): before any answer.
  auto make_durable = [&]() -> asio::awaitable<void> {
    if (!written_async) co_return;
    const auto params = pg::Params().add(code);
    co_await worker->db().exec(kDurable, params);
    written_async = false;
  };
  auto settle = [&]() -> asio::awaitable<void> {
    if (!inflight) co_return;
    auto f = std::move(inflight);
    inflight.reset();
    if (!f->done) co_await f->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (f->error) std::rethrow_exception(f->error);
    if (f->conflicted) insert_first = false;
    // A batch of new keys only, written by the upsert: the stored keys are behind (a reload
    // followed by additions), and the next batch goes as an insert again.
    if (f->upserted && f->stored == 0) insert_first = true;
    if (f->claims_clashed) claims_plain = false;
    if (f->claims_clean) claims_plain = true;
    if (checked) compare(f->sent, f->written);
  };
  auto flush = [&]() -> asio::awaitable<void> {
    if (batch.empty()) co_return;
    if (spool) {
      for (const auto& row : batch) spool->add(row);
      spool->end_batch();
      batch.clear();
      batch_index.clear();
      co_return;
    }
    auto f = std::make_shared<InFlight>(executor);
    for (const auto& row : batch) {
      if (checked) {
        f->sent.emplace_back(row.key, row.line);
      } else if (row.broken) {
        ++result.flagged;
      }
    }
    std::vector<Row> rows = std::move(batch);
    batch.clear();
    batch_index.clear();
    co_await settle();
    f->insert_first = insert_first;
    f->claim_plain = claims_plain;
    inflight = f;
    written_async = true;
    asio::co_spawn(
        executor,
        [worker, f, checked, code, unique_names = s->unique_names, flag_mode = s->quality_flag,
         stats = &import_stats_, rows = std::move(rows)]() -> asio::awaitable<void> {
          // The batch's statement after the setting, in one pipeline: one transaction, committed
          // at its end without waiting for the WAL flush. A failed statement rolls it all back.
          auto write = [&](const pg::Query& query) -> asio::awaitable<void> {
            const pg::Params params = batch_params(code, rows, unique_names);
            auto lease = co_await worker->db().acquire();
            const auto steps = pg::batch(pg::step(kAsyncCommit), pg::step(query, params));
            auto results = co_await lease->pipeline(steps);
            const pg::Result& answer = results.back();
            if (checked) f->written = written_rows(answer);
            if (&query == &kInsertChecked) ++stats->inserted;
            if (&query == &kBatch || &query == &kBatchChecked) {
              ++stats->upserted;
              f->upserted = true;
              const int column = checked ? 2 : 0;
              for (int i = 0; i < answer.rows(); ++i) f->stored += answer.get_bool(i, column);
            }
          };
          // The batch's rows copied in the lease's open transaction, which then commits; a row
          // refused (a stored key: 23505) rolls it back, and the error goes on.
          auto copy_and_commit = [&](pg::Lease& lease, std::string_view sql,
                                     const std::string& text) -> asio::awaitable<void> {
            std::exception_ptr refused;
            try {
              co_await lease->copy_in(sql, text);
            } catch (const pg::PgError&) {
              refused = std::current_exception();
            }
            if (refused) {
              const auto rollback = pg::batch(pg::step(kRollback));
              co_await lease->pipeline(rollback);
              std::rethrow_exception(refused);
            }
            const auto commit = pg::batch(pg::step(kCommit));
            co_await lease->pipeline(commit);
            ++stats->copied;
          };
          // New keys without unique items: COPY in a transaction of its own (kTakeSeqs).
          auto copy = [&]() -> asio::awaitable<void> {
            auto lease = co_await worker->db().acquire();
            const pg::Params take =
                pg::Params().add(code).add(static_cast<std::int64_t>(rows.size()));
            const auto steps =
                pg::batch(pg::step(kBegin), pg::step(kAsyncCommit), pg::step(kTakeSeqs, take));
            const auto taken = co_await lease->pipeline(steps);
            const std::string text = copy_rows(code, rows, taken.back().get_int(0, 0));
            co_await copy_and_commit(lease, kCopyRecords, text);
          };
          // New keys with unique items: claimed set-wise, then COPY (kClaimBatch). False when the
          // batch must go row by row instead (two of its lines contend for one value).
          auto copy_claimed = [&]() -> asio::awaitable<bool> {
            auto lease = co_await worker->db().acquire();
            std::string keys = "{", values = "{";
            for (const auto& r : rows) {
              append_element(keys, r.key);
              append_element(values, r.unique_values);
            }
            keys += "}";
            values += "}";
            const pg::Params lock = pg::Params().add(code).add(std::int64_t{0});
            const pg::Params claim = pg::Params().add(code).add(keys).add(values).add(unique_names);
            pg::Result claims;
            for (bool plain = f->claim_plain;;) {
              const auto steps =
                  pg::batch(pg::step(kBegin), pg::step(kAsyncCommit), pg::step(kTakeSeqs, lock),
                            pg::step(plain ? kClaimNew : kClaimBatch, claim));
              std::exception_ptr held_already;
              try {
                auto answers = co_await lease->pipeline(steps);
                claims = std::move(answers.back());
              } catch (const pg::PgError& e) {
                if (!plain || !e.is_unique_violation()) throw;
                held_already = std::current_exception();
              }
              if (!held_already) break;
              const auto rollback = pg::batch(pg::step(kRollback));
              co_await lease->pipeline(rollback);
              plain = false;
              f->claims_clashed = true;
            }
            std::vector<std::string> held(rows.size(), "{");
            std::vector<std::vector<std::string>> clashes(rows.size());
            bool own = false;     // a line's own key holds a value: its record is stored
            bool before = false;  // a value an earlier line of the batch took
            for (int i = 0; i < claims.rows(); ++i) {
              const auto n = static_cast<std::size_t>(claims.get_int(i, 0) - 1);
              const auto state = claims.get_int(i, 3);
              if (n >= rows.size()) throw std::runtime_error("a claim for no line of the batch");
              if (state == 0) {
                append_element(held[n], claims.get(i, 2));
              } else if (state == 1) {
                clashes[n].emplace_back(claims.get(i, 1));
              } else if (state == 2) {
                own = true;
              } else {
                before = true;
              }
            }
            f->claims_clean = !f->claims_clashed && !f->claim_plain && !own && !before &&
                              std::all_of(clashes.begin(), clashes.end(),
                                          [](const auto& c) { return c.empty(); });
            if (own || before) {
              const auto rollback = pg::batch(pg::step(kRollback));
              co_await lease->pipeline(rollback);
              if (own) {
                f->conflicted = true;  // a stored key: the upsert, which would meet it anyway
                ++stats->met_stored;
              }
              co_return false;
            }
            // Lines whose value another record holds: refused (their claims given back), or in
            // quality_mode flag stored with a mark, holding only the claims they took.
            std::vector<Row> kept;
            kept.reserve(rows.size());
            std::string given_back = "{";
            for (std::size_t n = 0; n < rows.size(); ++n) {
              held[n] += "}";
              if (!clashes[n].empty() && !flag_mode) {
                if (held[n].size() > 2) given_back.append(held[n], 1, held[n].size() - 2) += ',';
                continue;
              }
              Row row = rows[n];
              for (const auto& item : clashes[n]) mark_broken(row.broken, item + ".unique");
              row.claims = std::move(held[n]);
              kept.push_back(std::move(row));
            }
            if (given_back.back() == ',') given_back.back() = '}';
            if (kept.empty()) {  // every line refused: nothing to copy, nothing to keep
              const auto rollback = pg::batch(pg::step(kRollback));
              co_await lease->pipeline(rollback);
              ++stats->copied;
              co_return true;
            }
            const pg::Params back = pg::Params().add(code).add(given_back);
            const pg::Params take =
                pg::Params().add(code).add(static_cast<std::int64_t>(kept.size()));
            const auto more = given_back.size() > 1
                                  ? pg::batch(pg::step(kGiveBack, back), pg::step(kTakeSeqs, take))
                                  : pg::batch(pg::step(kTakeSeqs, take));
            const auto taken = co_await lease->pipeline(more);
            const std::string text =
                copy_rows(code, kept, taken.back().get_int(0, 0), /*claimed=*/true);
            co_await copy_and_commit(lease, kCopyClaimed, text);
            for (const auto& row : kept) f->written.emplace_back(row.key, row.broken.has_value());
            co_return true;
          };
          if (f->insert_first) {
            try {
              if (checked) {
                const bool copied = co_await copy_claimed();
                if (!copied && !f->conflicted) co_await write(kInsertChecked);
              } else {
                co_await copy();
              }
            } catch (const pg::PgError& e) {
              if (!e.is_unique_violation()) throw;
              f->conflicted = true;  // nothing of the statement stays: written again below
              ++stats->met_stored;
            }
            if (!f->conflicted) co_return;
          }
          co_await write(checked ? kBatchChecked : kBatch);
        },
        [f](std::exception_ptr e) {
          f->error = e;
          f->done = true;
          f->timer.cancel();
        });
    co_await asio::post(executor, asio::use_awaitable);
  };

  // A line held over to the next batch (a key given again, with unique items).
  std::optional<Row> held_over;
  auto start_next = [&]() -> asio::awaitable<void> {
    if (!held_over) co_return;
    co_await flush();
    batch_index.emplace(held_over->key, 0);
    batch.push_back(std::move(*held_over));
    held_over.reset();
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
        auto v = csv_cell_value(*columns[c], fields[c], why);
        if (!why.empty()) {
          reject(why);
          return false;
        }
        if (v) data[columns[c]->name] = std::move(*v);
      }
    } else {
      std::string why;
      auto parsed = ndjson_record(line, why);
      if (!parsed) {
        reject(why);
        return false;
      }
      data = std::move(*parsed);
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
    // quality_mode flag: a broken rule marks the row instead of rejecting the line.
    auto broken = s->quality_flag ? take_broken_rules(problems) : std::nullopt;
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
      // Nothing will be stored: the rest is only checked, not kept.
      batch.clear();
      batch_index.clear();
      return false;
    }
    Row row{key, json_text(data), std::move(broken), line_no, std::nullopt, std::nullopt};
    if (checked && !atomic) {
      json values = json::object();
      for (const auto& item : s->unique_items) {
        if (auto it = data.find(item); it != data.end()) values[item] = *it;
      }
      row.unique_values = json_text(values);
    }
    if (auto it = batch_index.find(key); it != batch_index.end() && checked) {
      // With unique items the lines' order decides who holds a value: a key given again goes
      // in the next batch, after this one, instead of taking its earlier line's place.
      held_over = std::move(row);
    } else if (it != batch_index.end()) {
      // The earlier line of this key is superseded: its flags and line with it.
      batch[it->second] = std::move(row);
    } else {
      batch_index.emplace(std::move(key), batch.size());
      batch.push_back(std::move(row));
    }
    return true;
  };

  // On any failure (a bad header, a body too slow or broken, a database error) nothing more is
  // written: an atomic import stored nothing; a non-atomic one keeps the batches it finished. A
  // batch still in flight is waited for first.
  std::exception_ptr failure;
  try {
    std::string pending;
    std::vector<char> chunk(256 * 1024);
    while (true) {
      const std::size_t n = co_await body.read(chunk.data(), chunk.size());
      if (n > 0) pending.append(chunk.data(), n);
      std::size_t start = 0;
      for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
        take_line(std::string_view(pending).substr(start, nl - start));
        co_await start_next();
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
    co_await start_next();
    if (csv && line_no == 0) {
      throw ApiError(ErrorCode::validation_failed, "a CSV import starts with a header row",
                     {{"line 1", "missing"}}, 422);
    }
    // An atomic import with a bad line stores nothing: 422 with every error it listed.
    auto refuse_atomic = [&result, &rejected]() {
      std::sort(result.errors.begin(), result.errors.end());
      std::vector<FieldError> fe;
      for (const auto& [line, message] : result.errors) {
        fe.push_back({"line " + std::to_string(line), message});
      }
      return ApiError(ErrorCode::validation_failed,
                      std::to_string(rejected) + " line(s) are bad; nothing was stored (atomic)",
                      std::move(fe), 422);
    };
    if (atomic && rejected > 0) throw refuse_atomic();
    co_await flush();
    co_await settle();
    co_await make_durable();
    if (spool && spool->rows() > 0) {
      // The whole body is here and good: one transaction, fed from local disk.
      auto lease = co_await worker->db().acquire();
      const auto begin = pg::batch(pg::step(kBegin));
      co_await lease->pipeline(begin);
      spool->rewind();
      std::vector<Row> rows;
      std::size_t refused = 0;
      while (spool->next(rows)) {
        const pg::Params params = batch_params(code, rows, s->unique_names);
        const auto answer = co_await lease->exec(checked ? kBatchChecked : kBatchAtomic, params);
        const auto written =
            checked ? written_rows(answer) : std::vector<std::pair<std::string, bool>>();
        std::vector<std::pair<std::string, std::int64_t>> sent;
        for (auto& row : rows) {
          if (checked) {
            sent.emplace_back(std::move(row.key), row.line);
          } else if (row.broken) {
            ++result.flagged;
          }
        }
        if (checked) refused += compare(sent, written);
      }
      if (refused > 0) {
        // A line the store refused (a unique value another record holds): nothing is stored.
        const auto rollback = pg::batch(pg::step(kRollback));
        co_await lease->pipeline(rollback);
        throw refuse_atomic();
      }
      // On a failure above the lease goes back with its transaction open, and the pool does not
      // lend a connection like that again: nothing of the import is stored.
      const auto commit = pg::batch(pg::step(kCommit));
      co_await lease->pipeline(commit);
    }
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    // The batches it finished stay (non-atomic): durable before the answer too.
    try {
      co_await settle();
    } catch (...) {
    }
    try {
      co_await make_durable();
    } catch (...) {
    }
    std::rethrow_exception(failure);
  }
  // The store's refusals arrive after later lines' errors: lines in order.
  std::sort(result.errors.begin(), result.errors.end());
  co_return result;
}

}  // namespace hub::exchange
