#include "hub/api/exchange_api.hpp"

#include <variant>

#include "hub/api/caller.hpp"
#include "hub/api/json_body.hpp"
#include "hub/api/pagination.hpp"
#include "hub/api/recorded_answer.hpp"
#include "hub/core/json.hpp"
#include "hub/core/text.hpp"
#include "hub/http/problem.hpp"

namespace hub::api {

using boost::asio::awaitable;
using http::Access;
using http::Request;
using http::Response;
using http::Status;
using http::Verb;
using nlohmann::json;

namespace {

json record_json(const exchange::RecordView& r) {
  json out = {
      {"ref", r.ref}, {"version", r.version}, {"updated_at", r.updated_at}, {"data", r.data}};
  if (r.key) out["key"] = *r.key;
  if (r.resource_code) out["resource_code"] = *r.resource_code;
  return out;
}

// Renders what the exchange store delivers as API.md's JSON, straight into the body it will send,
// and tells the store the SHA-256 of those bytes (the ledger entry's response_sha256). A list's
// next position becomes a cursor of `list`.
class JsonShareSink final : public exchange::ShareSink, public RecordedAnswer {
 public:
  JsonShareSink(const CursorCodec& cursors, std::string list)
      : cursors_(cursors), list_(std::move(list)) {}

  std::string deliver(const exchange::ShareAnswer& answer) override {
    out_ = &begin();
    std::visit([this](const auto& a) { render(a); }, answer);
    return digest();
  }
  std::string refuse(const ApiError& error) override { return RecordedAnswer::refuse(error); }
  void recorded(std::int64_t index) override { RecordedAnswer::recorded(index); }

 private:
  void render(const exchange::RecordView& r) { write_json(*out_, record_json(r)); }
  void render(const exchange::RecordPage& p) {
    *out_ = "{\"items\":[";
    for (std::size_t i = 0; i < p.items.size(); ++i) {
      if (i) *out_ += ',';
      write_json(*out_, record_json(p.items[i]));
    }
    *out_ += "],\"next_cursor\":";
    write_json(*out_, p.next ? json(cursors_.encode(list_, json(*p.next))) : json(nullptr));
    *out_ += '}';
  }
  void render(const exchange::ChangePage& p) {
    *out_ = "{\"items\":[";
    for (std::size_t i = 0; i < p.items.size(); ++i) {
      const auto& c = p.items[i];
      json change = {{"seq", c.seq},
                     {"op", c.deleted ? "delete" : "upsert"},
                     {"ref", c.ref},
                     {"version", c.version}};
      if (c.key) change["key"] = *c.key;
      if (c.data) change["data"] = *c.data;
      if (i) *out_ += ',';
      write_json(*out_, change);
    }
    // A feed always gives a cursor: where to ask from next time, full page or not.
    *out_ += "],\"next_cursor\":";
    write_json(*out_, json(cursors_.encode(list_, json(p.next))));
    *out_ += '}';
  }
  void render(const exchange::VerifyResult& v) {
    write_json(*out_, json{{"found", v.found}, {"match", v.match}});
  }
  void render(const exchange::AggregateResult& a) {
    json groups = json::array();
    for (const auto& g : a.groups) {
      json group = {{"key", g.key}, {"count", g.count}};
      for (const auto& [name, value] : g.metrics) {
        group[name] = value ? json(*value) : json(nullptr);
      }
      groups.push_back(std::move(group));
    }
    json out = {{"groups", std::move(groups)}, {"suppressed_groups", a.suppressed_groups}};
    if (a.privacy) {
      out["privacy"] = {{"mechanism", a.privacy->mechanism},
                        {"epsilon_spent", a.privacy->epsilon_spent},
                        {"epsilon_remaining", a.privacy->epsilon_remaining}};
    }
    write_json(*out_, out);
  }

  void render(const exchange::ComputeResult& r) {
    json outputs = json::object();
    for (const auto& [name, value] : r.outputs) outputs[name] = value;
    write_json(*out_, json{{"outputs", std::move(outputs)}});
  }

  const CursorCodec& cursors_;
  std::string list_;
  std::string* out_ = nullptr;  // the answer's body while it is rendered
};

// Runs a data request: `parse_and_call` turns the HTTP request into the store's typed request and
// calls the store, which delivers and records. A request refused before it reached the store (a
// body that is not JSON, a bad cursor) is recorded through the store too: every data request of
// an authenticated caller is a ledger entry.
template <typename F>
awaitable<Response> data_request(exchange::ExchangeService& service, const Request& req,
                                 const char* operation, JsonShareSink& sink, F parse_and_call) {
  const Caller caller = caller_of(req);
  std::optional<ApiError> refusal;
  try {
    co_await parse_and_call(caller);
  } catch (const ApiError& e) {
    refusal = e;
  }
  if (refusal) {
    if (!sink.touched()) {
      const std::string code(req.param("code"));
      try {
        co_await service.refused(caller, operation, code, *refusal, sink);
      } catch (const ApiError&) {
      }
    }
    throw sink.annotate(*refusal);
  }
  co_return sink.response();
}

PageRequest page_of(const Request& req, const CursorCodec& cursors, const std::string& list) {
  return page_request(req, cursors, list);
}

std::vector<std::string> list_param(const Request& req, const char* name) {
  auto v = req.query_filter(name);
  return v ? split_csv(*v) : std::vector<std::string>{};
}

}  // namespace

void register_exchange_routes(http::Router& router, exchange::ExchangeService& service,
                              const CursorCodec& cursors, std::uint64_t import_body_limit) {
  const auto pushers = Access::roles({Role::agency_system, Role::agency_operator});
  router.add(Verb::put, "/api/v1/resources/{code}/records/{key}", pushers,
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const std::string key(req.param("key"));
               nlohmann::json data = body_object(req, true);
               const Caller caller = caller_of(req);
               auto w = co_await service.put(caller, code, key, std::move(data));
               json out = {{"key", w.key}, {"version", w.version}};
               if (!w.flagged.empty()) out["flagged"] = w.flagged;
               co_return Response::json(w.created ? Status::created : Status::ok, json_text(out));
             });
  router.add(Verb::delete_, "/api/v1/resources/{code}/records/{key}", pushers,
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const std::string key(req.param("key"));
               const Caller caller = caller_of(req);
               co_await service.remove(caller, code, key);
               Response r;
               r.status = Status::no_content;
               co_return r;
             });
  router.add(Verb::get, "/api/v1/resources/{code}/records/{key}", Access::principal(),
             [&service, &cursors](Request& req) -> awaitable<Response> {
               JsonShareSink sink(cursors, "");
               auto call = [&](const Caller& caller) -> awaitable<void> {
                 const exchange::ReadRequest r{std::string(req.param("code")),
                                               std::string(req.param("key"))};
                 co_await service.read(caller, r, sink);
               };
               co_return co_await data_request(service, req, "read", sink, call);
             },
             {.data_request = true, .operation = "read"});
  router.add(Verb::post, "/api/v1/resources/{code}/verify", Access::principal(),
             [&service, &cursors](Request& req) -> awaitable<Response> {
               JsonShareSink sink(cursors, "");
               auto call = [&](const Caller& caller) -> awaitable<void> {
                 const json body = body_object(req, true);
                 exchange::VerifyRequest r;
                 r.resource_code = std::string(req.param("code"));
                 std::vector<FieldError> errors;
                 if (!body.contains("key") || !body["key"].is_string()) {
                   errors.push_back({"key", "is required (a string)"});
                 }
                 if (!body.contains("claims") || !body["claims"].is_object()) {
                   errors.push_back({"claims", "is an object of 1 to 100 item: value pairs"});
                 }
                 for (const auto& [name, value] : body.items()) {
                   if (name != "key" && name != "claims") {
                     errors.push_back({name, "is not a field of a verify"});
                   }
                 }
                 if (!errors.empty()) {
                   throw ApiError(ErrorCode::validation_failed,
                                  "a verify is {key, claims:{item:value}}", std::move(errors), 422);
                 }
                 r.key = body["key"].get<std::string>();
                 r.claims = body["claims"];
                 co_await service.verify(caller, r, sink);
               };
               co_return co_await data_request(service, req, "verify", sink, call);
             },
             {.data_request = true, .operation = "verify"});
  router.add(Verb::get, "/api/v1/resources/{code}/records", Access::principal(),
             [&service, &cursors](Request& req) -> awaitable<Response> {
               const std::string list = "records:" + std::string(req.param("code"));
               JsonShareSink sink(cursors, list);
               auto call = [&](const Caller& caller) -> awaitable<void> {
                 exchange::QueryRequest r;
                 r.resource_code = std::string(req.param("code"));
                 r.filter = req.query_filter("filter");
                 r.fields = list_param(req, "fields");
                 r.page = page_of(req, cursors, list);
                 co_await service.query(caller, r, sink);
               };
               co_return co_await data_request(service, req, "query", sink, call);
             },
             {.data_request = true, .operation = "query"});
  router.add(Verb::get, "/api/v1/resources/{code}/changes", Access::principal(),
             [&service, &cursors](Request& req) -> awaitable<Response> {
               const std::string list = "changes:" + std::string(req.param("code"));
               JsonShareSink sink(cursors, list);
               auto call = [&](const Caller& caller) -> awaitable<void> {
                 exchange::ChangesRequest r;
                 r.resource_code = std::string(req.param("code"));
                 r.page = page_of(req, cursors, list);
                 co_await service.changes(caller, r, sink);
               };
               co_return co_await data_request(service, req, "changes", sink, call);
             },
             {.data_request = true, .operation = "changes"});
  router.add(Verb::post, "/api/v1/resources/{code}/aggregate", Access::principal(),
             [&service, &cursors](Request& req) -> awaitable<Response> {
               JsonShareSink sink(cursors, "");
               auto call = [&](const Caller& caller) -> awaitable<void> {
                 const json body = body_object(req, true);
                 exchange::AggregateRequest r;
                 r.resource_code = std::string(req.param("code"));
                 std::vector<FieldError> errors;
                 for (const auto& [name, value] : body.items()) {
                   if (name != "group_by" && name != "filter" && name != "metrics") {
                     errors.push_back({name, "is not a field of an aggregate"});
                   }
                 }
                 if (body.contains("group_by")) {
                   if (!body["group_by"].is_array()) {
                     errors.push_back({"group_by", "is a list of at most 5 items"});
                   } else {
                     for (const auto& g : body["group_by"]) {
                       if (!g.is_string()) {
                         errors.push_back({"group_by", "names items of this resource"});
                       } else {
                         r.group_by.push_back(g.get<std::string>());
                       }
                     }
                   }
                 }
                 if (!body.contains("metrics") || !body["metrics"].is_array()) {
                   errors.push_back({"metrics", "is a list of 1 to 10 {op, item?}"});
                 } else {
                   for (const auto& m : body["metrics"]) {
                     exchange::Metric metric;
                     if (m.is_object() && m.contains("op") && m["op"].is_string()) {
                       metric.op = m["op"].get<std::string>();
                     }
                     if (m.is_object() && m.contains("item") && m["item"].is_string()) {
                       metric.item = m["item"].get<std::string>();
                     }
                     r.metrics.push_back(std::move(metric));
                   }
                 }
                 if (body.contains("filter") && !body["filter"].is_null()) {
                   if (!body["filter"].is_string()) {
                     errors.push_back({"filter", "is a filter string"});
                   } else {
                     r.filter = body["filter"].get<std::string>();
                   }
                 }
                 if (!errors.empty()) {
                   throw ApiError(ErrorCode::validation_failed,
                                  "an aggregate is {group_by, filter?, metrics}", std::move(errors),
                                  422);
                 }
                 co_await service.aggregate(caller, r, sink);
               };
               co_return co_await data_request(service, req, "aggregate", sink, call);
             },
             {.data_request = true, .operation = "aggregate"});
  router.add(Verb::post, "/api/v1/resources/{code}/imports", pushers,
             [&service](Request& req) -> awaitable<Response> {
               exchange::ImportRequest r;
               r.resource_code = std::string(req.param("code"));
               const auto content_type = std::string(req.header("Content-Type"));
               if (content_type.starts_with("text/csv")) {
                 r.format = exchange::ImportFormat::csv;
               } else if (!content_type.starts_with("application/x-ndjson")) {
                 throw ApiError(ErrorCode::validation_failed,
                                "an import is application/x-ndjson or text/csv (with a header row)",
                                {{"Content-Type", "application/x-ndjson or text/csv"}}, 422);
               }
               const auto atomic = req.query_param("atomic");
               if (atomic && *atomic != "true" && *atomic != "false") {
                 bad_query_param("atomic", "is true or false");
               }
               r.atomic = atomic.value_or("false") == "true";
               const Caller caller = caller_of(req);
               // The body as it arrives (a streamed route): never held in memory.
               http::BodyReader& body = *req.body_reader;
               auto result = co_await service.import(caller, r, body);
               json errors = json::array();
               for (const auto& [line, message] : result.errors) {
                 errors.push_back({{"line", line}, {"message", message}});
               }
               co_return Response::json(Status::ok, json_text({{"accepted", result.accepted},
                                                               {"rejected", result.rejected},
                                                               {"flagged", result.flagged},
                                                               {"errors", std::move(errors)}}));
             },
             {.body_limit = import_body_limit,
              .data_request = false,
              .operation = {},
              .stream_body = true});
  router.add(Verb::get, "/api/v1/licences", Access::principal(),
             [&service, &cursors](Request& req) -> awaitable<Response> {
               JsonShareSink sink(cursors, "licences");
               auto call = [&](const Caller& caller) -> awaitable<void> {
                 exchange::LicenceRequest r;
                 r.holder_code = req.query_param("holder_code").value_or("");
                 r.holder_type = req.query_filter("holder_type");
                 r.type_code = req.query_filter("type_code");
                 co_await service.licences(caller, r, sink);
               };
               co_return co_await data_request(service, req, "licence_lookup", sink, call);
             },
             {.data_request = true, .operation = "licence_lookup"});
}

}  // namespace hub::api
