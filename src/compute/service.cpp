// Reviewed joint computations: registration, review, and runs (docs/computations.md).
#include "hub/compute/service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "hub/core/error.hpp"
#include "hub/core/json.hpp"
#include "hub/core/text.hpp"
#include "hub/exchange/schema.hpp"
#include "hub/exchange/service.hpp"
#include "hub/ledger/recorded_share.hpp"
#include "hub/sharing/purpose.hpp"
#include "hub/store/pg.hpp"

namespace hub::compute {

namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

constexpr std::size_t kMaxInputs = 8;
constexpr std::size_t kMaxItemsPerInput = 32;

#define HUB_COMPUTATION_COLUMNS \
  "c.code, c.version, c.name, c.description, c.subject, c.owner_code, c.status, c.inputs::text, " \
  "c.outputs::text, c.program, " HUB_SQL_TS("c.created_at") ", " HUB_SQL_TS("c.updated_at")      \
  ", c.created_by, " HUB_SQL_TS_OPT("c.activated_at") ", "                                        \
  "(SELECT coalesce(jsonb_agg(jsonb_build_object('provider_code', v.provider_code, "             \
  "'decision', v.decision, 'opinion', v.opinion, 'decided_by', v.decided_by, 'decided_at', "     \
  "to_char(v.decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) "               \
  "ORDER BY v.provider_code), '[]'::jsonb)::text FROM computation_reviews v "                     \
  "WHERE v.code = c.code AND v.version = c.version)"

// Who sees a computation: hub-level ($2), its owner and its inputs' providers ($3), an agency
// holding a grant on it (through a new version's review too), anyone once it is active.
#define HUB_COMPUTATION_VISIBLE                                                             \
  "($2 OR c.status = 'active' OR c.owner_code = $3 OR EXISTS (SELECT 1 FROM "               \
  "computation_reviews v WHERE v.code = c.code AND v.version = c.version AND "              \
  "v.provider_code = $3) OR EXISTS (SELECT 1 FROM grants g WHERE g.resource_code = c.code " \
  "AND g.consumer_code = $3 AND g.revoked_at IS NULL))"

constexpr pg::Query kGet{"compute_get", "SELECT " HUB_COMPUTATION_COLUMNS
                                        " FROM computations c WHERE c.code = $1 "
                                        "AND " HUB_COMPUTATION_VISIBLE};
constexpr pg::Query kList{"compute_list",
                          "SELECT " HUB_COMPUTATION_COLUMNS
                          " FROM computations c WHERE c.code > $1 AND " HUB_COMPUTATION_VISIBLE
                          " AND ($4::text IS NULL OR c.status = $4) ORDER BY c.code LIMIT $5"};
constexpr pg::Query kRegistrar{
    "compute_registrar",
    "SELECT can_register_computations AND disabled_at IS NULL FROM agencies WHERE code = $1"};
// The inputs' resources: provider, status, kind, share type and document.
constexpr pg::Query kInputResources{
    "compute_input_resources",
    "SELECT code, provider_code, status, kind, share_type, document::text FROM resources "
    "WHERE code = ANY (string_to_array($1, ','))"};
// The catalog row a computation is applied for by (kind 'computation', draft until active), its
// version row, the computation, and a pending review per provider: one statement.
constexpr pg::Query kCreate{
    "compute_create",
    "WITH seq AS (SELECT hub_next_resource_code($1) AS code),"
    " r AS ("
    "  INSERT INTO resources (code, provider_code, name, summary, category, share_type, kind,"
    "                         document, item_count)"
    "  SELECT seq.code, $1, $2, $3, 'computation', 'conditional', 'computation',"
    "         $4::jsonb || jsonb_build_object('code', seq.code), $5::int FROM seq"
    "  RETURNING code),"
    " rv AS (INSERT INTO resource_versions (code, version, document, schema, created_by)"
    "        SELECT r.code, 1, $4::jsonb, '{}'::jsonb, $10 FROM r),"
    " c AS (INSERT INTO computations (code, owner_code, version, status, name, description,"
    "       subject, inputs, outputs, program, created_by)"
    "       SELECT r.code, $1, 1, 'review', $2, $3, $6, $7::jsonb, $8::jsonb, $9, $10 FROM r"
    "       RETURNING code),"
    " cv AS (INSERT INTO computation_versions (code, version, document, created_by)"
    "        SELECT c.code, 1, $11::jsonb, $10 FROM c),"
    " rev AS (INSERT INTO computation_reviews (code, version, provider_code)"
    "         SELECT c.code, 1, p FROM c, unnest(string_to_array($12, ',')) AS p),"
    " l AS (INSERT INTO admin_log (actor_id, action, object_type, object_id, agency_code, detail)"
    "       SELECT $10, 'create', 'computation', c.code, $1, jsonb_build_object('name', $2)"
    "       FROM c)"
    " SELECT c.code, pg_notify('hub_directory', 'resource:' || c.code) FROM c"};
constexpr pg::Query kLock{"compute_lock",
                          "SELECT version, owner_code, status FROM computations "
                          "WHERE code = $1 FOR UPDATE"};
constexpr pg::Query kRevise{
    "compute_revise",
    "WITH c AS ("
    "  UPDATE computations SET version = version + 1, status = 'review', name = $2,"
    "    description = $3, subject = $4, inputs = $5::jsonb, outputs = $6::jsonb, program = $7,"
    "    updated_at = now(), activated_at = NULL"
    "  WHERE code = $1 AND version = $8 RETURNING code, version, owner_code),"
    " r AS (UPDATE resources SET status = 'draft', version = c.version, name = $2, summary = $3,"
    "       document = $9::jsonb || jsonb_build_object('code', c.code), item_count = $10::int,"
    "       updated_at = now() FROM c WHERE resources.code = c.code RETURNING resources.code),"
    " rv AS (INSERT INTO resource_versions (code, version, document, schema, created_by)"
    "        SELECT c.code, c.version, $9::jsonb, '{}'::jsonb, $11 FROM c),"
    " cv AS (INSERT INTO computation_versions (code, version, document, created_by)"
    "        SELECT c.code, c.version, $12::jsonb, $11 FROM c),"
    " rev AS (INSERT INTO computation_reviews (code, version, provider_code)"
    "         SELECT c.code, c.version, p FROM c, unnest(string_to_array($13, ',')) AS p),"
    " l AS (INSERT INTO admin_log (actor_id, action, object_type, object_id, agency_code, detail)"
    "       SELECT $11, 'change', 'computation', c.code, c.owner_code,"
    "              jsonb_build_object('version', c.version) FROM c)"
    " SELECT c.code, pg_notify('hub_directory', 'resource:' || c.code) FROM c, r"};
constexpr pg::Query kDecide{
    "compute_decide",
    "UPDATE computation_reviews SET decision = $4, opinion = $5, decided_by = $6,"
    " decided_at = now() WHERE code = $1 AND version = $2 AND provider_code = $3"
    " AND decision = 'pending' RETURNING 1"};
// After a decision: rejected when one provider rejected, active when all approved; the catalog
// row follows (published while active, so that it can be applied for).
constexpr pg::Query kSettle{
    "compute_settle",
    "WITH s AS (SELECT CASE WHEN bool_or(decision = 'rejected') THEN 'rejected'"
    "   WHEN bool_and(decision = 'approved') THEN 'active' ELSE 'review' END AS status"
    "   FROM computation_reviews WHERE code = $1 AND version = $2),"
    " c AS (UPDATE computations SET status = s.status, updated_at = now(),"
    "   activated_at = CASE WHEN s.status = 'active' THEN now() ELSE NULL END"
    "   FROM s WHERE code = $1 AND version = $2 RETURNING computations.status),"
    " r AS (UPDATE resources SET status = CASE WHEN c.status = 'active' THEN 'published'"
    "   ELSE 'draft' END, published_at = CASE WHEN c.status = 'active' THEN now()"
    "   ELSE published_at END, updated_at = now() FROM c WHERE resources.code = $1"
    "   RETURNING 1),"
    " l AS (INSERT INTO admin_log (actor_id, action, object_type, object_id, agency_code, detail)"
    "   SELECT $3, 'review', 'computation', $1, $4, jsonb_build_object('version', $2::int,"
    "   'decision', $5::text, 'status', c.status) FROM c"
    // Only the transaction that decided logs it (its decision's time is its own now()).
    "   WHERE EXISTS (SELECT 1 FROM computation_reviews v WHERE v.code = $1 AND v.version = $2"
    "   AND v.provider_code = $4 AND v.decided_at = now()))"
    " SELECT c.status, pg_notify('hub_directory', 'resource:' || $1) FROM c, r"};
// A run: the computation as it stands (status, version, program).
constexpr pg::Query kRunComputation{"compute_run_computation",
                                    "SELECT status, version, owner_code, inputs::text, "
                                    "outputs::text, program, " HUB_COMPUTATION_VISIBLE
                                    " FROM computations c WHERE code = $1"};
// A run's input records: one statement for all inputs.
constexpr pg::Query kRunInputs{
    "compute_run_inputs",
    "SELECT resource_code, data::text FROM records WHERE key = $1 "
    "AND resource_code = ANY (string_to_array($2, ',')) AND NOT deleted"};

bool identifier(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  if (!(s[0] >= 'a' && s[0] <= 'z')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

json inputs_json(const std::vector<InputSpec>& inputs) {
  json out = json::array();
  for (const auto& i : inputs) {
    out.push_back({{"name", i.name},
                   {"resource_code", i.resource_code},
                   {"provider_code", i.provider_code},
                   {"items", i.items}});
  }
  return out;
}

json outputs_json(const std::vector<OutputSpec>& outputs) {
  json out = json::array();
  for (const auto& o : outputs) {
    out.push_back({{"name", o.name}, {"type", o.type}, {"title", o.title}});
  }
  return out;
}

std::vector<InputSpec> inputs_of(const json& j) {
  std::vector<InputSpec> out;
  for (const auto& i : j) {
    out.push_back({i.at("name"), i.at("resource_code"), i.at("provider_code"),
                   i.at("items").get<std::vector<std::string>>()});
  }
  return out;
}

std::vector<OutputSpec> outputs_of(const json& j) {
  std::vector<OutputSpec> out;
  for (const auto& o : j) out.push_back({o.at("name"), o.at("type"), o.at("title")});
  return out;
}

// What a version stores: its inputs and outputs as JSON, the whole version's document, and the
// providers (comma-separated) that review it.
struct Stored {
  json inputs, outputs, version;
  std::string providers;
};

Stored stored_of(const ComputationRequest& r) {
  Stored s;
  s.inputs = inputs_json(r.inputs);
  s.outputs = outputs_json(r.outputs);
  s.version = {{"name", r.name},     {"description", r.description}, {"subject", r.subject},
               {"inputs", s.inputs}, {"outputs", s.outputs},         {"program", r.program}};
  std::set<std::string> providers;
  for (const auto& in : r.inputs) providers.insert(in.provider_code);
  s.providers = join_csv(std::vector<std::string>(providers.begin(), providers.end()));
  return s;
}

// The catalog document of a computation's row: its outputs are the items a grant names.
json catalog_document(const ComputationRequest& r, const std::string& owner) {
  json items = json::array();
  for (const auto& o : r.outputs) {
    const std::string type = o.type == "integer"   ? "integer"
                             : o.type == "number"  ? "number"
                             : o.type == "boolean" ? "boolean"
                                                   : "string";
    items.push_back({{"name", o.name},
                     {"title", o.title},
                     {"type", type},
                     {"required", false},
                     {"sensitivity", "internal"},
                     {"mask", nullptr}});
  }
  json inputs = json::array();
  for (const auto& i : r.inputs) inputs.push_back(i.resource_code);
  // The catalogue fields every resource has, so that a catalog listing shows it like any other.
  return {
      {"name", r.name},
      {"summary", r.description.empty() ? r.name : r.description},
      {"provider_code", owner},
      {"category", "computation"},
      {"format", "联合计算"},
      {"share_type", "conditional"},
      {"share_conditions", "经各输入数据提供部门审核的联合计算，只输出计算结果（数据可用不可见）"},
      {"legal_basis", nullptr},
      {"related_codes", inputs},
      {"class_code", nullptr},
      {"release_date", nullptr},
      {"kind", "computation"},
      {"items", items}};
}

// A stored record's item as the program sees it.
Value value_of(const json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return v.get<std::string>();
  return std::monostate{};
}

json json_of(const Value& v, const std::string& type) {
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  if (const auto* d = std::get_if<double>(&v)) {
    if (type == "integer" && std::isfinite(*d) && std::fabs(*d) < 9.0e15) {
      return static_cast<std::int64_t>(*d);
    }
    return *d;
  }
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return nullptr;
}

constexpr RoleSet kOfficers = role_bit(Role::agency_cdo) | role_bit(Role::agency_data_officer);

[[noreturn]] void not_found() { throw ApiError(ErrorCode::not_found, "computation not found"); }

}  // namespace

// A computation's program compiled once per version, with what a run needs of it.
struct ComputeService::Loaded {
  int version = 0;
  std::vector<InputSpec> inputs;
  std::vector<OutputSpec> outputs;
  std::shared_ptr<const Program> program;
  std::string input_codes;  // comma-separated, for the run's one statement
};

// What a run's ledger entries record, as the run learns it.
struct ComputeService::Run {
  std::string code;
  std::optional<std::string> owner_code;
  std::optional<std::string> grant_id;
  std::optional<std::string> authorization_id;
  sharing::CheckedPurpose purpose;
  std::vector<std::string> delivered;  // outputs answered
  std::optional<std::string> subject;  // the subject key, once checked
  struct InputRead {
    std::string provider_code, resource_code;
    std::vector<std::string> items;
    bool found = false;
  };
  std::vector<InputRead> reads;  // filled when the inputs were read
};

ComputeService::ComputeService(Services& services, catalog::CatalogIndex& catalog,
                               sharing::GrantDirectory& grants, sharing::ConsentService& consents,
                               ledger::Appender& ledger, RunLimits limits)
    : services_(services),
      catalog_(catalog),
      grants_(grants),
      consents_(consents),
      ledger_(ledger),
      limits_(limits) {}

// --- registration and review --------------------------------------------------------------------

namespace {

// An input's or output's name: an identifier of the program, once among its kind.
void check_name(const std::string& name, const std::string& at, std::set<std::string>& seen,
                std::vector<FieldError>& errors) {
  if (!identifier(name)) {
    errors.push_back({at + ".name", "1 to 32 of [a-z0-9_], starting with a letter"});
  } else if (!seen.insert(name).second) {
    errors.push_back({at + ".name", "is given twice"});
  }
}

}  // namespace

asio::awaitable<Program> ComputeService::check(const Caller& caller, ComputationRequest& request) {
  std::vector<FieldError> errors;
  if (request.name.empty() || request.name.size() > 200) {
    errors.push_back({"name", "must be 1 to 200 bytes"});
  }
  if (request.description.size() > 4000) {
    errors.push_back({"description", "must be at most 4000 bytes"});
  }
  if (request.subject != "enterprise" && request.subject != "person") {
    errors.push_back({"subject", "must be enterprise or person"});
  }
  if (request.inputs.empty() || request.inputs.size() > kMaxInputs) {
    errors.push_back({"inputs", "must be 1 to " + std::to_string(kMaxInputs) + " inputs"});
  }
  if (request.outputs.empty() || request.outputs.size() > 64) {
    errors.push_back({"outputs", "must be 1 to 64 outputs"});
  }
  std::set<std::string> names, codes;
  for (std::size_t i = 0; i < request.inputs.size(); ++i) {
    const auto& in = request.inputs[i];
    const std::string at = "inputs[" + std::to_string(i) + "]";
    check_name(in.name, at, names, errors);
    if (!codes.insert(in.resource_code).second) {
      errors.push_back({at + ".resource_code", "each input reads another resource"});
    }
    if (in.items.empty() || in.items.size() > kMaxItemsPerInput) {
      errors.push_back(
          {at + ".items", "must name 1 to " + std::to_string(kMaxItemsPerInput) + " items"});
    }
  }
  std::set<std::string> output_names;
  for (std::size_t i = 0; i < request.outputs.size(); ++i) {
    const auto& out = request.outputs[i];
    const std::string at = "outputs[" + std::to_string(i) + "]";
    check_name(out.name, at, output_names, errors);
    if (out.type != "number" && out.type != "integer" && out.type != "string" &&
        out.type != "boolean") {
      errors.push_back({at + ".type", "must be number, integer, string or boolean"});
    }
    if (out.title.empty() || out.title.size() > 300) {
      errors.push_back({at + ".title", "must be 1 to 300 bytes"});
    }
  }
  if (!errors.empty()) {
    throw ApiError(ErrorCode::validation_failed, "the computation has errors", errors, 422);
  }
  // Each input: a published dataset that may be shared, and items it has.
  std::vector<std::string> code_list;
  for (const auto& in : request.inputs) code_list.push_back(in.resource_code);
  const pg::Params p = pg::Params().add(join_csv(code_list));
  const pg::Result r = co_await caller.db().exec(kInputResources, p);
  std::map<std::string, int> row_of;
  for (int i = 0; i < r.rows(); ++i) row_of[std::string(r.get(i, 0))] = i;
  std::vector<InputDecl> decls;
  for (std::size_t i = 0; i < request.inputs.size(); ++i) {
    auto& in = request.inputs[i];
    const std::string at = "inputs[" + std::to_string(i) + "]";
    auto row = row_of.find(in.resource_code);
    if (row == row_of.end() ||
        (r.get(row->second, 2) == "draft" && !caller.principal.of_agency(r.get(row->second, 1)) &&
         !caller.principal.hub_level())) {
      errors.push_back({at + ".resource_code", "no such resource"});
      continue;
    }
    const int k = row->second;
    if (r.get(k, 2) != "published" || r.get(k, 3) != "dataset") {
      errors.push_back({at + ".resource_code", "must be a published dataset"});
      continue;
    }
    if (r.get(k, 4) == "none") {
      errors.push_back({at + ".resource_code", "is not shared (不予共享)"});
      continue;
    }
    in.provider_code = r.get(k, 1);
    const json document = json::parse(r.get(k, 5));
    InputDecl decl;
    decl.name = in.name;
    for (const auto& item_name : in.items) {
      bool found = false;
      for (const auto& item : document.value("items", json::array())) {
        if (item.value("name", "") == item_name) {
          decl.items.push_back(exchange::item_of(item));
          found = true;
          break;
        }
      }
      if (!found) errors.push_back({at + ".items", "'" + item_name + "' is not an item of it"});
    }
    decls.push_back(std::move(decl));
  }
  if (!errors.empty()) {
    throw ApiError(ErrorCode::validation_failed, "the computation has errors", errors, 422);
  }
  std::vector<OutputDecl> outs;
  for (const auto& o : request.outputs) outs.push_back({o.name, o.type});
  Program program = Program::compile(request.program, decls, outs);
  // The review's checker: an output that would hand over an input value exactly is refused here,
  // before any provider is asked.
  for (const auto& f : program.reveals()) {
    errors.push_back({"program", "output " + f.output + ": " + f.message});
  }
  // Every declared input item is read by the program, or the providers would approve reading
  // more than it uses.
  for (const auto& in : request.inputs) {
    for (const auto& item : in.items) {
      if (!program.reads().contains(in.name + "." + item)) {
        errors.push_back({"inputs", in.name + "." + item + " is declared but never read"});
      }
    }
  }
  if (!errors.empty()) {
    throw ApiError(ErrorCode::validation_failed,
                   "the computation would reveal its inputs, or declares what it does not read",
                   errors, 422);
  }
  co_return program;
}

asio::awaitable<Computation> ComputeService::create(const Caller& caller,
                                                    const ComputationRequest& request) {
  const Principal& me = caller.principal;
  std::string owner;
  if (me.has(Role::hub_admin)) {
    owner = request.owner_code.value_or(me.agency_code);
    if (owner.empty()) {
      throw ApiError(ErrorCode::validation_failed, "the computation has errors",
                     {{"owner_code", "hub_admin without an agency names the owning agency"}}, 422);
    }
  } else if (me.has(Role::agency_cdo)) {
    owner = me.agency_code;
    const pg::Params a = pg::Params().add(owner);
    const pg::Result r = co_await caller.db().exec(kRegistrar, a);
    if (r.rows() == 0 || !r.get_bool(0, 0)) {
      throw ApiError(ErrorCode::forbidden,
                     "your agency does not register computations (can_register_computations is "
                     "set by hub_admin)");
    }
    if (request.owner_code && *request.owner_code != owner) {
      throw ApiError(ErrorCode::validation_failed, "the computation has errors",
                     {{"owner_code", "a CDO registers computations for its own agency"}}, 422);
    }
  } else {
    throw ApiError(ErrorCode::forbidden,
                   "computations are registered by hub_admin or a registering agency's CDO");
  }
  ComputationRequest req = request;
  (void)co_await check(caller, req);
  const Stored stored = stored_of(req);
  const pg::Params p = pg::Params()
                           .add(owner)
                           .add(req.name)
                           .add(req.description)
                           .add(json_text(catalog_document(req, owner)))
                           .add(static_cast<std::int64_t>(req.outputs.size()))
                           .add(req.subject)
                           .add(json_text(stored.inputs))
                           .add(json_text(stored.outputs))
                           .add(req.program)
                           .add(me.id)
                           .add(json_text(stored.version))
                           .add(stored.providers);
  pg::Result r;
  try {
    r = co_await caller.db().exec(kCreate, p);
  } catch (const pg::PgError& e) {
    if (e.sqlstate() == "23503") {
      throw ApiError(ErrorCode::validation_failed, "the computation has errors",
                     {{"owner_code", "no agency has this code"}}, 422);
    }
    throw;
  }
  const std::string code(r.get(0, 0));
  co_return co_await load(caller, code);
}

asio::awaitable<Computation> ComputeService::revise(const Caller& caller, const std::string& code,
                                                    const ComputationRequest& request) {
  const Computation current = co_await load(caller, code);
  const Principal& me = caller.principal;
  if (!me.has(Role::hub_admin) && !(me.has(Role::agency_cdo) && me.of_agency(current.owner_code))) {
    throw ApiError(ErrorCode::forbidden, "the owner's CDO or hub_admin changes a computation");
  }
  ComputationRequest req = request;
  (void)co_await check(caller, req);
  const Stored stored = stored_of(req);
  const pg::Params p = pg::Params()
                           .add(code)
                           .add(req.name)
                           .add(req.description)
                           .add(req.subject)
                           .add(json_text(stored.inputs))
                           .add(json_text(stored.outputs))
                           .add(req.program)
                           .add(current.version)
                           .add(json_text(catalog_document(req, current.owner_code)))
                           .add(static_cast<std::int64_t>(req.outputs.size()))
                           .add(me.id)
                           .add(json_text(stored.version))
                           .add(stored.providers);
  const pg::Result r = co_await caller.db().exec(kRevise, p);
  if (r.rows() == 0) {
    throw ApiError(ErrorCode::conflict, "the computation changed meanwhile; read it again");
  }
  co_return co_await load(caller, code);
}

Computation ComputeService::computation_of(const pg::Result& r, int row) {
  Computation c;
  c.code = r.get(row, 0);
  c.version = static_cast<int>(r.get_int(row, 1));
  c.name = r.get(row, 2);
  c.description = r.get(row, 3);
  c.subject = r.get(row, 4);
  c.owner_code = r.get(row, 5);
  c.status = r.get(row, 6);
  c.inputs = inputs_of(json::parse(r.get(row, 7)));
  c.outputs = outputs_of(json::parse(r.get(row, 8)));
  c.program = r.get(row, 9);
  c.created_at = r.get(row, 10);
  c.updated_at = r.get(row, 11);
  c.created_by = r.get_text(row, 12);
  c.activated_at = r.get_text(row, 13);
  for (const auto& v : json::parse(r.get(row, 14))) {
    Review rv;
    rv.provider_code = v.at("provider_code");
    rv.decision = v.at("decision");
    if (v["opinion"].is_string()) rv.opinion = v["opinion"];
    if (v["decided_by"].is_string()) rv.decided_by = v["decided_by"];
    if (v["decided_at"].is_string()) rv.decided_at = v["decided_at"];
    c.reviews.push_back(std::move(rv));
  }
  const auto loaded = compiled(c.code, c.version, std::string(r.get(row, 7)),
                               std::string(r.get(row, 8)), c.program);
  c.dependence = loaded->program->dependence();
  return c;
}

asio::awaitable<Computation> ComputeService::load(const Caller& caller, const std::string& code) {
  const Principal& me = caller.principal;
  const pg::Params p = pg::Params().add(code).add(me.hub_level()).add(me.agency_code);
  const pg::Result r = co_await caller.db().exec(kGet, p);
  if (r.rows() == 0) not_found();
  co_return computation_of(r, 0);
}

asio::awaitable<Computation> ComputeService::get(const Caller& caller, const std::string& code) {
  co_return co_await load(caller, code);
}

asio::awaitable<ListPage<Computation>> ComputeService::list(
    const Caller& caller, const std::optional<std::string>& status, const PageRequest& page) {
  const Principal& me = caller.principal;
  const pg::Params p = pg::Params()
                           .add(page.after_id())
                           .add(me.hub_level())
                           .add(me.agency_code)
                           .add(status)
                           .add(static_cast<std::int64_t>(page.limit));
  const pg::Result r = co_await caller.db().exec(kList, p);
  co_return ListPage<Computation>::of_rows(
      r.rows(), page.limit, [&](int i) { return computation_of(r, i); },
      [](const Computation& c) { return c.code; });
}

asio::awaitable<Computation> ComputeService::review(const Caller& caller, const std::string& code,
                                                    bool approve,
                                                    const std::optional<std::string>& opinion) {
  const Computation c = co_await load(caller, code);
  const Principal& me = caller.principal;
  const auto mine = std::find_if(c.reviews.begin(), c.reviews.end(),
                                 [&](const Review& r) { return me.of_agency(r.provider_code); });
  if (mine == c.reviews.end() || !me.has_any(kOfficers)) {
    throw ApiError(ErrorCode::forbidden,
                   "each input's provider (its CDO or data officer) reviews a computation");
  }
  if (c.status != "review" || mine->decision != "pending") {
    throw ApiError(ErrorCode::conflict, "your agency has decided on this version already (" +
                                            mine->decision + "); the computation is " + c.status);
  }
  if (!approve && (!opinion || opinion->empty())) {
    throw ApiError(ErrorCode::validation_failed, "a rejection says why",
                   {{"opinion", "is required to reject"}}, 422);
  }
  const std::string decision = approve ? "approved" : "rejected";
  auto steps = pg::batch(
      pg::step(kLock, pg::Params().add(code)),
      pg::step(kDecide, pg::Params()
                            .add(code)
                            .add(c.version)
                            .add(me.agency_code)
                            .add(decision)
                            .add(opinion)
                            .add(me.id)),
      pg::step(kSettle,
               pg::Params().add(code).add(c.version).add(me.id).add(me.agency_code).add(decision)));
  auto lease = co_await caller.db().acquire();
  const auto results = co_await lease->pipeline(steps);
  if (results[0].rows() == 0 || results[0].get_int(0, 0) != c.version || results[1].rows() == 0) {
    throw ApiError(ErrorCode::conflict, "the computation changed meanwhile; read it again");
  }
  co_return co_await load(caller, code);
}

std::shared_ptr<const ComputeService::Loaded> ComputeService::compiled(const std::string& code,
                                                                       int version,
                                                                       const std::string& inputs,
                                                                       const std::string& outputs,
                                                                       const std::string& program) {
  {
    std::lock_guard lock(cache_mutex_);
    auto it = cache_.find(code);
    if (it != cache_.end() && it->second->version == version) return it->second;
  }
  auto loaded = std::make_shared<Loaded>();
  loaded->version = version;
  loaded->inputs = inputs_of(json::parse(inputs));
  loaded->outputs = outputs_of(json::parse(outputs));
  // The item types as they were checked at registration: compile against the inputs' current
  // catalog documents, falling back to strings for an item a later version removed (it reads
  // null then).
  std::vector<InputDecl> decls;
  std::vector<std::string> codes;
  for (const auto& in : loaded->inputs) {
    InputDecl d;
    d.name = in.name;
    std::shared_ptr<const exchange::RecordSchema> schema;
    if (auto entry = catalog_.find(in.resource_code)) {
      schema = exchange::RecordSchema::from_resource(json::parse(entry->json));
    }
    for (const auto& item_name : in.items) {
      const exchange::Item* item = schema ? schema->item(item_name) : nullptr;
      exchange::Item it = item ? *item : exchange::Item{};
      it.name = item_name;
      d.items.push_back(it);
    }
    decls.push_back(std::move(d));
    codes.push_back(in.resource_code);
  }
  loaded->input_codes = join_csv(codes);
  std::vector<OutputDecl> outs;
  for (const auto& o : loaded->outputs) outs.push_back({o.name, o.type});
  loaded->program = std::make_shared<const Program>(Program::compile(program, decls, outs));
  std::lock_guard lock(cache_mutex_);
  if (cache_.size() > 10000) cache_.clear();
  cache_[code] = loaded;
  return loaded;
}

// --- runs ---------------------------------------------------------------------------------------

bool ComputeService::admit(const std::string& grant_id, const std::string& subject,
                           int& retry_after) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(rate_mutex_);
  if (rates_.size() > 200000) {
    for (auto it = rates_.begin(); it != rates_.end();) {
      it = now - it->second.start > std::chrono::hours(1) ? rates_.erase(it) : std::next(it);
    }
  }
  auto take = [&](const std::string& key, std::chrono::seconds window, unsigned limit) {
    auto& w = rates_[key];
    if (w.count == 0 || now - w.start >= window) {
      w.start = now;
      w.count = 0;
    }
    if (w.count >= limit) {
      retry_after = static_cast<int>(
          std::chrono::duration_cast<std::chrono::seconds>(w.start + window - now).count() + 1);
      return false;
    }
    ++w.count;
    return true;
  };
  return take("g|" + grant_id, std::chrono::seconds(60), limits_.per_grant_per_minute) &&
         take("s|" + grant_id + "|" + subject, std::chrono::seconds(3600),
              limits_.per_subject_per_hour);
}

asio::awaitable<exchange::ShareAnswer> ComputeService::perform(const Caller& caller,
                                                               const std::string& code,
                                                               const RunRequest& request,
                                                               Run& run) {
  const Principal& me = caller.principal;
  // One round trip for what the database must say: the computation's state and whether the
  // caller may see it, the subject's authorisation (external members), and the inputs' records
  // by the subject key, read with the input codes of the version compiled last (the statement is
  // read again in the rare case that the computation changed since).
  std::shared_ptr<const Loaded> last;
  {
    std::lock_guard lock(cache_mutex_);
    auto it = cache_.find(code);
    if (it != cache_.end()) last = it->second;
  }
  bool key_ok = true;
  try {
    exchange::check_key(request.subject_key);
  } catch (const ApiError&) {
    key_ok = false;  // refused below, where a key is first needed
  }
  std::vector<pg::Connection::Step> steps;
  steps.push_back(
      pg::step(kRunComputation, pg::Params().add(code).add(me.hub_level()).add(me.agency_code)));
  std::optional<std::size_t> consent_at, inputs_at;
  if (me.external && key_ok) {
    if (auto step = consents_.check_step(caller, request.subject_key, code, true)) {
      consent_at = steps.size();
      steps.push_back(std::move(*step));
    }
  }
  if (last && key_ok) {
    inputs_at = steps.size();
    steps.push_back(
        pg::step(kRunInputs, pg::Params().add(request.subject_key).add(last->input_codes)));
  }
  std::vector<pg::Result> fetched;
  {
    auto lease = co_await caller.db().acquire();
    fetched = co_await lease->pipeline(steps);
  }
  const pg::Result& c = fetched[0];
  if (c.rows() == 0 || !c.get_bool(0, 6)) not_found();
  run.owner_code = std::string(c.get(0, 2));
  const auto loaded = compiled(code, static_cast<int>(c.get_int(0, 1)), std::string(c.get(0, 3)),
                               std::string(c.get(0, 4)), std::string(c.get(0, 5)));
  if (c.get(0, 0) != "active") {
    throw ApiError(ErrorCode::conflict,
                   "the computation is not active: its providers have not approved this version");
  }
  const sharing::Decision d =
      grants_.authorize(me, code, sharing::Operation::compute, {}, run.purpose.code);
  if (!d.allowed) {
    throw ApiError(d.purpose_mismatch ? ErrorCode::purpose_mismatch : ErrorCode::no_grant,
                   d.purpose_mismatch ? d.reason
                                      : std::string("no live grant of your agency covers this "
                                                    "computation"));
  }
  run.grant_id = d.grant_id;
  exchange::check_key(request.subject_key);
  run.subject = request.subject_key;
  if (me.external) {
    run.authorization_id = sharing::ConsentService::checked(
        consent_at ? std::optional(std::move(fetched[*consent_at])) : std::nullopt);
  }
  int retry_after = 0;
  if (!admit(d.grant_id, request.subject_key, retry_after)) {
    ApiError e(ErrorCode::rate_limited,
               "too many runs under this grant (per subject and hour, or per minute)");
    e.with_header("Retry-After", std::to_string(retry_after));
    throw e;
  }
  // Each input's provider must still share it.
  for (const auto& in : loaded->inputs) {
    auto entry = catalog_.find(in.resource_code);
    if (!entry || entry->status != "published") {
      throw ApiError(ErrorCode::conflict, "an input of the computation (" + in.resource_code +
                                              ") is no longer published");
    }
  }
  pg::Result records;
  if (inputs_at && last->input_codes == loaded->input_codes) {
    records = std::move(fetched[*inputs_at]);
  } else {
    const pg::Params q = pg::Params().add(request.subject_key).add(loaded->input_codes);
    records = co_await caller.db().exec(kRunInputs, q);
  }
  std::map<std::string, json> data_of;
  for (int i = 0; i < records.rows(); ++i) {
    JsonError error;
    JsonLimits limits;
    auto v = parse_json(records.get(i, 1), error, limits);
    if (v) data_of[std::string(records.get(i, 0))] = std::move(*v);
  }
  std::map<std::string, Value> items;
  for (const auto& in : loaded->inputs) {
    auto it = data_of.find(in.resource_code);
    run.reads.push_back({in.provider_code, in.resource_code, in.items, it != data_of.end()});
    if (it == data_of.end()) continue;
    for (const auto& name : in.items) {
      auto v = it->second.find(name);
      if (v != it->second.end()) items[in.name + "." + name] = value_of(*v);
    }
  }
  const auto results = loaded->program->run(items);
  exchange::ComputeResult out;
  for (const auto& o : loaded->outputs) {
    if (!d.covers(o.name)) continue;  // a grant may hold fewer outputs than declared
    auto v = results.find(o.name);
    out.outputs.emplace_back(o.name,
                             v == results.end() ? json(nullptr) : json_of(v->second, o.type));
    run.delivered.push_back(o.name);
  }
  co_return exchange::ShareAnswer(std::move(out));
}

asio::awaitable<void> ComputeService::run(const Caller& caller, const std::string& code,
                                          const RunRequest& request, exchange::ShareSink& sink) {
  Run run;
  run.code = code;
  auto operation = [&]() { return perform(caller, code, request, run); };
  auto record = [&](int status, const std::string& digest) -> asio::awaitable<void> {
    std::vector<ledger::EntryDraft> drafts;
    const std::string subjects =
        run.subject ? services_.subjects.hashes({*run.subject}) : std::string();
    auto base = [&]() {
      ledger::EntryDraft e;
      e.request_id = caller.request_id;
      e.consumer_code = caller.principal.agency_code;
      e.principal_id = caller.principal.id;
      e.grant_id = run.grant_id;
      e.purpose = run.purpose.text;
      e.purpose_code = run.purpose.code;
      e.authorization_id = run.authorization_id;
      e.status = status;
      e.response_sha256 = digest;
      e.subjects = subjects;
      return e;
    };
    // Each input read, for its provider: what was read about whom, under which grant.
    for (const auto& read : run.reads) {
      ledger::EntryDraft e = base();
      e.operation = "compute_input";
      e.provider_code = read.provider_code;
      e.resource_code = read.resource_code;
      e.items = read.items;
      e.record_count = read.found ? 1 : 0;
      drafts.push_back(std::move(e));
    }
    ledger::EntryDraft e = base();
    e.operation = "compute";
    e.provider_code = run.owner_code;
    e.resource_code = code;
    e.items = run.delivered;
    e.record_count = status == 200 ? 1 : 0;
    drafts.push_back(std::move(e));
    const auto entries = co_await ledger_.append_all(std::move(drafts));
    sink.recorded(entries.back().index);
  };
  co_await ledger::share_recorded<exchange::ShareAnswer>(caller, run.purpose, sink, operation,
                                                         record);
}

}  // namespace hub::compute
