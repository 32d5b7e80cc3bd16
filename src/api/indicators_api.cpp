#include "hub/api/indicators_api.hpp"

#include <cmath>

#include "hub/api/caller.hpp"
#include "hub/api/json_body.hpp"
#include "hub/api/pagination.hpp"
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

constexpr const char* kXlsxType =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
constexpr std::uint64_t kUploadLimit = 4u << 20;  // a month's values of every indicator, and more

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json indicator_json(const indicators::Indicator& i) {
  return {{"code", i.code},
          {"name", i.name},
          {"unit", i.unit},
          {"frequency", i.frequency},
          {"reporter_code", i.reporter_code},
          {"due_rule", {{"working_day_of_next_period", i.due_working_day}}},
          {"theme", i.theme},
          {"start_period", i.start_period},
          {"min", optional_number(i.min)},
          {"max", optional_number(i.max)},
          {"max_change_ratio", optional_number(i.max_change_ratio)},
          {"dimensions", i.dimensions},
          {"status", i.status},
          {"last_period", nullable(i.last_period)},
          {"next_period", nullable(i.next_period)},
          {"next_due_at", nullable(i.next_due_at)},
          {"overdue", i.overdue},
          {"created_at", i.created_at},
          {"created_by", i.created_by},
          {"updated_at", i.updated_at}};
}

json value_json(const indicators::ValueVersion& v) {
  return {{"indicator_code", v.indicator_code},
          {"period", v.period},
          {"version", v.version},
          {"value", v.value},
          {"dimensions", v.dimensions ? json(*v.dimensions) : json(nullptr)},
          {"note", nullable(v.note)},
          {"reported_by", v.reported_by},
          {"reported_at", v.reported_at},
          {"ledger_index", v.ledger_index ? json(*v.ledger_index) : json(nullptr)},
          {"due_at", v.due_at},
          {"on_time", v.on_time}};
}

// A number field: absent (nullopt), null (an engaged nullopt when `nullable`), or a finite number.
std::optional<std::optional<double>> number_field(JsonBody& body, std::string_view field,
                                                  bool nullable_field) {
  const json* raw = body.raw(field);  // JsonBody reads null as absent: see `cleared`
  if (!raw) return std::nullopt;
  if (raw->is_null() && nullable_field) {
    // Engaged, holding nothing (a plain optional<double>{} would convert to a disengaged one).
    return std::optional<std::optional<double>>(std::in_place, std::nullopt);
  }
  if (!raw->is_number() || !indicators::storable(raw->get<double>())) {
    body.error(std::string(field), nullable_field ? "is a number or null" : "is a number");
    return std::nullopt;
  }
  return std::optional<std::optional<double>>(std::in_place, raw->get<double>());
}

std::optional<int> due_rule_of(JsonBody& body, bool required) {
  const json* raw = body.raw("due_rule");
  if (!raw) {
    if (required) body.error("due_rule", "is required: {\"working_day_of_next_period\": n}");
    return std::nullopt;
  }
  if (!raw->is_object() || raw->size() != 1 || !raw->contains("working_day_of_next_period") ||
      !(*raw)["working_day_of_next_period"].is_number_integer()) {
    body.error("due_rule", "is {\"working_day_of_next_period\": n}, n from 1 to 60");
    return std::nullopt;
  }
  const auto n = (*raw)["working_day_of_next_period"].get<std::int64_t>();
  if (n < 1 || n > 60) {
    body.error("due_rule", "working_day_of_next_period is 1 to 60");
    return std::nullopt;
  }
  return static_cast<int>(n);
}

indicators::Indicator indicator_of(const json& raw) {
  JsonBody body{json(raw)};
  indicators::Indicator i;
  auto code = body.line("code", true, 64);
  auto name = body.line("name", true, 200);
  auto unit = body.line("unit", true, 50);
  auto frequency = body.line("frequency", true, 16);
  auto reporter = body.line("reporter_code", true, 18);
  auto due = due_rule_of(body, true);
  auto theme = body.line("theme", true, 100);
  auto start = body.line("start_period", true, 7);
  auto min = number_field(body, "min", true);
  auto max = number_field(body, "max", true);
  auto ratio = number_field(body, "max_change_ratio", true);
  auto dims = body.strings("dimensions", false, 2, 16);
  for (auto [field, value] : {std::pair{"name", &name}, {"unit", &unit}, {"theme", &theme}}) {
    if (*value && (*value)->empty()) body.error(field, "must not be empty");
  }
  body.finish();
  i.code = *code;
  i.name = *name;
  i.unit = *unit;
  i.frequency = *frequency;
  i.reporter_code = *reporter;
  i.due_working_day = *due;
  i.theme = *theme;
  i.start_period = *start;
  if (min) i.min = *min;
  if (max) i.max = *max;
  if (ratio) i.max_change_ratio = *ratio;
  if (dims) i.dimensions = *dims;
  return i;
}

indicators::IndicatorChange change_of(const json& raw) {
  JsonBody body{json(raw)};
  indicators::IndicatorChange c;
  c.name = body.line("name", false, 200);
  c.unit = body.line("unit", false, 50);
  c.theme = body.line("theme", false, 100);
  c.status = body.line("status", false, 16);
  c.due_working_day = due_rule_of(body, false);
  // A bound sent as null is cleared (JsonBody reads null as absent, so it is looked up here).
  const auto cleared = [&raw](const char* field) {
    return raw.contains(field) && raw[field].is_null();
  };
  const std::optional<std::optional<double>> clear(std::in_place, std::nullopt);
  for (auto [field, target] :
       {std::pair{"min", &c.min}, {"max", &c.max}, {"max_change_ratio", &c.max_change_ratio}}) {
    const auto number = number_field(body, field, true);  // marks it read
    *target = cleared(field) ? clear : number;
  }
  for (auto [field, value] : {std::pair{"name", &c.name}, {"unit", &c.unit}, {"theme", &c.theme}}) {
    if (*value && (*value)->empty()) body.error(field, "must not be empty");
  }
  body.finish();
  return c;
}

indicators::ValueReport report_of(const json& raw) {
  JsonBody body{json(raw)};
  indicators::ValueReport r;
  auto value = number_field(body, "value", false);
  if (!body.has("value")) body.error("value", "is required (a number)");
  r.note = body.string("note", false, 2000);
  if (r.note && r.note->empty()) r.note.reset();
  if (const json* dims = body.raw("dimensions"); dims && !dims->is_null()) {
    bool ok = dims->is_object() && dims->size() <= indicators::known_dimensions().size();
    indicators::Breakdown breakdown;
    if (ok) {
      for (const auto& [name, members] : dims->items()) {
        if (!members.is_object() || members.size() > indicators::kMaxDimensionMembers) {
          ok = false;
          break;
        }
        for (const auto& [member, number] : members.items()) {
          // A member is a district's or an industry's code (the domain allows 64 characters).
          if (!number.is_number() || member.empty() || member.size() > 256) {
            ok = false;
            break;
          }
          breakdown[name][member] = number.get<double>();
        }
      }
    }
    if (ok) {
      r.dimensions = std::move(breakdown);
    } else {
      body.error("dimensions",
                 "is an object of dimension → {member: number} (at most 500 members each, a "
                 "member 1 to 64 characters)");
    }
  }
  body.finish();
  if (value && *value) r.value = **value;
  return r;
}

}  // namespace

void register_indicator_routes(http::Router& router, indicators::IndicatorService& service,
                               const CursorCodec& cursors) {
  const auto coordinators = Access::roles({Role::coordinator, Role::hub_admin});
  router.add(Verb::post, "/api/v1/indicators", coordinators,
             [&service](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto indicator = indicator_of(body_object(req));
               auto out = co_await service.create(caller, indicator);
               co_return Response::json(Status::created, json_text(indicator_json(out)));
             });
  router.add(Verb::get, "/api/v1/indicators", Access::principal(),
             [&service, &cursors](Request& req) -> awaitable<Response> {
               const Caller caller = caller_of(req);
               const auto page = page_request(req, cursors, "indicators");
               indicators::IndicatorFilter filter;
               filter.theme = req.query_filter("theme");
               filter.reporter = req.query_filter("reporter");
               filter.status = req.query_filter("status");
               if (filter.status && *filter.status != "active" && *filter.status != "retired") {
                 throw ApiError(ErrorCode::validation_failed, "status is active or retired",
                                {{"status", "must be active or retired"}}, 400);
               }
               auto out = co_await service.list(caller, filter, page);
               co_return Response::json(Status::ok,
                                        list_body(out, indicator_json, cursors, "indicators"));
             });
  router.add(Verb::get, "/api/v1/indicators/{code}", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const Caller caller = caller_of(req);
               auto out = co_await service.get(caller, code);
               co_return Response::json(Status::ok, json_text(indicator_json(out)));
             });
  router.add(Verb::patch, "/api/v1/indicators/{code}", coordinators,
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const Caller caller = caller_of(req);
               const auto change = change_of(body_object(req));
               auto out = co_await service.change(caller, code, change);
               co_return Response::json(Status::ok, json_text(indicator_json(out)));
             });
  router.add(Verb::put, "/api/v1/indicators/{code}/values/{period}",
             Access::roles({Role::agency_cdo, Role::agency_data_officer, Role::agency_system}),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const std::string period(req.param("period"));
               const Caller caller = caller_of(req);
               const auto report = report_of(body_object(req));
               auto out = co_await service.report(caller, code, period, report);
               json body = value_json(out.value);
               body["created"] = out.created;
               body["new_version"] = out.new_version;
               co_return Response::json(
                   out.created && out.new_version ? Status::created : Status::ok, json_text(body));
             });
  // Many values from a spreadsheet, line by line (API.md Part 2): 200 with what each line came
  // to, or 422 when the file itself cannot be read (nothing reported).
  router.add(
      Verb::post, "/api/v1/indicators/values",
      Access::roles({Role::agency_cdo, Role::agency_data_officer, Role::agency_system}),
      [&service](Request& req) -> awaitable<Response> {
        const std::string type(req.header("Content-Type"));
        const bool xlsx = type.starts_with(kXlsxType);
        if (!xlsx && !type.starts_with("text/csv")) {
          throw ApiError(ErrorCode::validation_failed,
                         "indicator values are uploaded as text/csv or an .xlsx workbook "
                         "(indicator_code,period,value,note)",
                         {{"Content-Type", "text/csv or " + std::string(kXlsxType)}}, 422);
        }
        const Caller caller = caller_of(req);
        const std::string& bytes = req.message.body();
        auto out = co_await service.report_upload(caller, bytes, xlsx);
        json errors = json::array();
        for (const auto& e : out.errors) {
          errors.push_back({{"line", e.line}, {"field", e.field}, {"message", e.message}});
        }
        const json body = {
            {"accepted", out.accepted}, {"rejected", out.rejected}, {"errors", errors}};
        const bool unread = out.accepted == 0 && out.rejected == 0 && !out.errors.empty();
        co_return unread ? upload_answer(body, out.errors.size(), "upload")
                         : Response::json(Status::ok, json_text(body));
      },
      {.body_limit = kUploadLimit, .data_request = false, .operation = {}, .stream_body = false});
  router.add(Verb::get, "/api/v1/indicators/{code}/values", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const Caller caller = caller_of(req);
               const auto from = req.query_filter("from");
               const auto to = req.query_filter("to");
               auto out = co_await service.series(caller, code, from, to);
               json items = json::array();
               for (const auto& v : out) items.push_back(value_json(v));
               co_return Response::json(Status::ok, json_text(json{{"items", items}}));
             });
  router.add(Verb::get, "/api/v1/indicators/{code}/values/{period}/history", Access::principal(),
             [&service](Request& req) -> awaitable<Response> {
               const std::string code(req.param("code"));
               const std::string period(req.param("period"));
               const Caller caller = caller_of(req);
               auto out = co_await service.history(caller, code, period);
               json items = json::array();
               for (const auto& v : out) items.push_back(value_json(v));
               co_return Response::json(Status::ok, json_text(json{{"items", items}}));
             });
}

}  // namespace hub::api
