#include "hub/api/catalog_api.hpp"

#include <charconv>
#include <limits>
#include <optional>

#include "hub/api/caller.hpp"
#include "hub/api/json_body.hpp"
#include "hub/api/pagination.hpp"
#include "hub/catalog/code_lists.hpp"
#include "hub/catalog/resource.hpp"
#include "hub/catalog/spreadsheet.hpp"
#include "upload_answer.hpp"

namespace hub::api {

namespace {

using boost::asio::awaitable;
using http::Access;
using http::Request;
using http::Response;
using http::Status;
using http::Verb;
using nlohmann::json;

json checked_document(const json& body, const catalog::ServiceRules& rules) {
  std::vector<FieldError> errors;
  auto doc = catalog::validate_resource(body, errors, rules);
  if (!doc) throw ApiError(ErrorCode::validation_failed, "the resource has errors", errors, 422);
  return *doc;
}

const auto kWriters = {Role::hub_admin, Role::agency_cdo, Role::agency_data_officer};

// The body of a registration import's answer: the counts, each resource's action and every error
// by sheet, row and field.
json registration_json(const catalog::RegistrationOutcome& out) {
  json errors = json::array();
  for (const auto& e : out.errors) {
    errors.push_back(
        {{"sheet", e.sheet}, {"row", e.row}, {"field", e.field}, {"message", e.message}});
  }
  return {{"created", out.created},
          {"updated", out.updated},
          {"unchanged", out.unchanged},
          {"resources", out.resources},
          {"errors", std::move(errors)}};
}

// The workbook's format from its Content-Type (an .xlsx sent as application/octet-stream is
// told by its zip signature).
catalog::SheetFormat sheet_format(const Request& req) {
  const std::string type(req.header("Content-Type"));
  const std::string& body = req.message.body();
  if (type.starts_with("text/csv")) return catalog::SheetFormat::csv;
  if (type.starts_with("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") ||
      (type.starts_with("application/octet-stream") && body.starts_with("PK\x03\x04"))) {
    return catalog::SheetFormat::xlsx;
  }
  throw ApiError(ErrorCode::validation_failed,
                 "a registration workbook is .xlsx "
                 "(application/vnd.openxmlformats-officedocument.spreadsheetml.sheet) or text/csv",
                 {{"Content-Type", "an .xlsx workbook or text/csv"}}, 422);
}

// Any agency officer (and the hub's staff) may take the template; a workbook is imported by
// those who register resources.
const auto kTemplateReaders = {Role::hub_admin, Role::coordinator, Role::agency_cdo,
                               Role::agency_data_officer};
constexpr std::uint64_t kWorkbookLimit = 20u << 20;

}  // namespace

namespace {
// A positive decimal integer, however large (capped at INT_MAX, which no version reaches).
std::optional<int> positive_number(std::string_view text) {
  if (text.empty() || text.size() > 64 || text[0] == '0') return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  long long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range || v > std::numeric_limits<int>::max()) {
    return std::numeric_limits<int>::max();
  }
  return static_cast<int>(v);
}
}  // namespace

void register_catalog_routes(http::Router& router, catalog::CatalogService& service,
                             const CursorCodec& cursors) {
  router.add(Verb::post, "/api/v1/resources", Access::roles(kWriters),
             [&service](Request& req) -> awaitable<Response> {
               const json document = checked_document(parse_json(req), service.service_rules());
               // A service document says so (kind "service"); anything else is a dataset.
               const std::string kind = catalog::kind_of(document);
               const Caller caller = caller_of(req);
               auto out = co_await service.create(caller, document, kind);
               co_return Response::json(Status::created, json_text(out));
             });

  router.add(Verb::get, "/api/v1/resources", Access::principal(),
             [&service, &cursors](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto page = page_request(req, cursors, "resources");
               catalog::SearchFilter filter;
               if (page.after) filter.after = page.after_id();
               if (auto q = req.query_filter("q")) filter.q = catalog::lower_ascii(*q);
               filter.provider = req.query_filter("provider");
               filter.share_type =
                   req.query_choice("share_type", {"unconditional", "conditional", "none"});
               filter.status = req.query_choice("status", {"draft", "published", "retired"});
               filter.category = req.query_choice("category", {"basic", "theme", "department"});
               filter.kind = req.query_choice("kind", {"dataset", "licence", "service"});
               filter.limit = page.limit;
               auto found = co_await service.search(caller, filter);
               // The documents are serialised once, when they change: the page is their
               // concatenation.
               std::string body = "{\"items\":[";
               for (std::size_t i = 0; i < found.documents.size(); ++i) {
                 if (i) body += ',';
                 body += found.documents[i];
               }
               body += "],\"next_cursor\":";
               body += found.next ? json(cursors.encode("resources", json(*found.next))).dump()
                                  : std::string("null");
               body += '}';
               co_return Response::json(Status::ok, std::move(body));
             });

  // Before /api/v1/resources/{code}: the first route that matches a path takes it.
  router.add(Verb::get, "/api/v1/resources/template.xlsx", Access::roles(kTemplateReaders),
             [&service](Request&) -> awaitable<Response> {
               std::string book = co_await service.registration_template();
               Response res = Response::text(
                   Status::ok, std::move(book),
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
               res.headers.emplace_back("Content-Disposition",
                                        "attachment; filename=\"resource-template.xlsx\"");
               co_return res;
             });

  router.add(
      Verb::post, "/api/v1/resources/imports", Access::roles(kWriters),
      [&service](Request& req) -> awaitable<Response> {
        const auto dry = req.query_param("dry_run");
        if (dry && *dry != "true" && *dry != "false")
          bad_query_param("dry_run", "is true or false");
        const bool dry_run = dry.value_or("false") == "true";
        const catalog::SheetFormat format = sheet_format(req);
        const Caller caller = caller_of(req);
        const std::string& bytes = req.message.body();
        auto out = co_await service.import_registration(caller, bytes, format, dry_run);
        json body = registration_json(out);
        body["dry_run"] = dry_run;
        co_return upload_answer(body, out.errors.size(), "workbook");
      },
      {.body_limit = kWorkbookLimit, .data_request = false, .operation = {}, .stream_body = false});

  router.add(Verb::get, "/api/v1/resources/{code}", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const Caller caller = caller_of(req);
               auto out = co_await service.get(caller, code);
               co_return Response::json(Status::ok, json_text(out));
             });

  router.add(Verb::put, "/api/v1/resources/{code}", Access::roles(kWriters),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const json document = checked_document(parse_json(req), service.service_rules());
               const Caller caller = caller_of(req);
               auto out = co_await service.update(caller, code, document);
               co_return Response::json(Status::ok, json_text(out));
             });

  for (const auto& [action, status] :
       {std::pair<const char*, const char*>{"publish", "published"}, {"retire", "retired"}}) {
    router.add(Verb::post, std::string("/api/v1/resources/{code}/") + action,
               Access::roles(kWriters),
               [&service, to = std::string(status)](Request& req) -> awaitable<Response> {
                 const std::string code(req.param("code"));
                 const Caller caller = caller_of(req);
                 auto out = co_await service.transition(caller, code, to);
                 co_return Response::json(Status::ok, json_text(out));
               });
  }

  router.add(Verb::get, "/api/v1/resources/{code}/versions", Access::principal(),
             [&service, &cursors](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const Caller caller = caller_of(req);
               const auto page = page_request(req, cursors, "resource_versions");
               auto out = co_await service.versions(caller, code, page);
               co_return Response::json(Status::ok, list_body(out, cursors, "resource_versions"));
             });

  router.add(Verb::get, "/api/v1/resources/{code}/versions/{version}", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               auto n = positive_number(req.param("version"));
               if (!n) throw ApiError(ErrorCode::not_found, "no such version");
               const int version = *n;
               const Caller caller = caller_of(req);
               auto out = co_await service.version(caller, code, version);
               co_return Response::json(Status::ok, json_text(out));
             });

  router.add(Verb::get, "/api/v1/resources/{code}/schema", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               int version = 0;
               if (auto v = req.query_param("version")) {
                 // Any positive integer is a version number; one that does not exist (however
                 // large) is 404 like any other.
                 auto n = positive_number(*v);
                 if (!n) {
                   throw ApiError(ErrorCode::validation_failed,
                                  "version must be a positive integer",
                                  {{"version", "must be a positive integer"}}, 400);
                 }
                 version = *n;
               }
               const Caller caller = caller_of(req);
               auto out = co_await service.schema(caller, code, version);
               out.schema["$id"] =
                   "/api/v1/resources/" + code + "/schema?version=" + std::to_string(out.version);
               auto r = Response::json(Status::ok, json_text(out.schema));
               r.content_type = "application/schema+json";
               co_return r;
             });

  // The code lists an item's code_list rule may name (API.md Part 2), and one list's codes (for
  // a form's drop-down; `prefix` keeps those that start with it, e.g. 4401 for 广州市's).
  router.add(
      Verb::get, "/api/v1/code-lists", Access::principal(), [](Request&) -> awaitable<Response> {
        json items = json::array();
        for (const auto& list : catalog::code_lists()) {
          items.push_back({{"name", list.name},
                           {"title", list.title},
                           {"source", list.source},
                           {"count", list.codes.size()}});
        }
        co_return Response::json(
            Status::ok, json_text(json{{"items", std::move(items)}, {"next_cursor", nullptr}}));
      });
  router.add(Verb::get, "/api/v1/code-lists/{name}", Access::principal(),
             [](Request& req) -> awaitable<Response> {
               const auto* list = catalog::find_code_list(req.param("name"));
               if (!list) throw ApiError(ErrorCode::not_found, "no such code list");
               const std::string prefix(req.query_param("prefix").value_or(""));
               if (prefix.size() > 20) {
                 throw ApiError(ErrorCode::validation_failed, "prefix is too long",
                                {{"prefix", "must be at most 20 characters"}}, 400);
               }
               json codes = json::array();
               for (const auto& [code, name] : list->codes) {
                 if (code.starts_with(prefix)) codes.push_back({{"code", code}, {"name", name}});
               }
               co_return Response::json(Status::ok, json_text(json{{"name", list->name},
                                                                   {"title", list->title},
                                                                   {"source", list->source},
                                                                   {"count", codes.size()},
                                                                   {"codes", std::move(codes)}}));
             });

  // A licence resource (电子证照) from the GB/T 36903 template in one call: the caller gives the
  // licence type and the catalogue fields; the items are the template's.
  router.add(Verb::post, "/api/v1/licence-resources", Access::roles(kWriters),
             [&service](Request& req) -> awaitable<Response> {
               JsonBody body(req);
               auto provider = body.string("provider_code", true, 18);
               auto type_name = body.line("type_name", true, 100);
               auto type_code = body.string("type_code", true, 50);
               auto name = body.line("name", false, 200);
               auto summary = body.string("summary", false, 2000);
               auto share_type = body.string("share_type", false, 20);
               auto conditions = body.string("share_conditions", false, 2000);
               auto legal = body.string("legal_basis", false, 1000);
               auto cycle = body.string("update_cycle", false, 20);
               auto class_code = body.string("class_code", false, 20);
               auto release = body.string("release_date", false, 10);
               body.finish();
               json doc = {
                   {"name", name.value_or(*type_name)},
                   {"summary", summary.value_or(*type_name + "电子证照（GB/T 36903 证照信息）")},
                   {"provider_code", *provider},
                   {"category", "basic"},
                   {"format", "电子证照"},
                   {"key", "licence_id"},
                   {"items", catalog::licence_items()},
                   {"share_type", share_type.value_or("conditional")},
                   {"share_methods", {"api"}},
                   {"update_cycle", cycle.value_or("realtime")},
               };
               if (conditions) doc["share_conditions"] = *conditions;
               if (legal) doc["legal_basis"] = *legal;
               if (class_code) doc["class_code"] = *class_code;
               if (release) doc["release_date"] = *release;
               json document = checked_document(doc, service.service_rules());
               document["licence"] = {{"type_name", *type_name}, {"type_code", *type_code}};
               const std::string kind = "licence";
               const Caller caller = caller_of(req);
               auto out = co_await service.create(caller, document, kind);
               co_return Response::json(Status::created, json_text(out));
             });
}

}  // namespace hub::api
