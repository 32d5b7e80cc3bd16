// hubctl resources: apply and export the catalog through /api/v1/resources; documents are
// checked with the catalog's own validate_resource before anything is sent.
#include <fstream>
#include <ostream>
#include <sstream>

#include "command.hpp"
#include "hub/catalog/resource.hpp"
#include "hub/core/text.hpp"

namespace hub::cli {

// Creates or updates each resource of `docs` so the hub's catalog matches it. Idempotent: a
// second run changes nothing. With dry_run, only says what it would do.
ApplyCounts apply_resources(Api& api, const nlohmann::json& docs, bool dry_run, std::ostream& out,
                            std::ostream& err) {
  ApplyCounts counts;
  const auto list = docs.is_array() ? docs : nlohmann::json::array({docs});
  for (const auto& raw : list) {
    nlohmann::json body = raw;
    std::string code = body.value("code", "");
    const std::string status = body.value("status", "");
    body.erase("code");
    body.erase("status");
    if (body.value("kind", "") == "licence") body["kind"] = "dataset";
    std::vector<FieldError> errors;
    // Everything but the hub's own configuration (which upstream hosts it allows): the hub
    // checks that when the document arrives.
    auto wanted = catalog::validate_resource(body, errors, catalog::ServiceRules::offline());
    const std::string label = raw.value("name", "?");
    if (!wanted) {
      ++counts.failed;
      err << label << ": invalid:";
      for (const auto& e : errors) err << "\n  " << e.field << ": " << e.message;
      err << "\n";
      continue;
    }
    nlohmann::json current;
    if (code.empty()) {
      // The provider's entry of the same name, if there is one.
      for (const auto& r :
           api.all("/api/v1/resources?provider=" + (*wanted)["provider_code"].get<std::string>())) {
        if (r["name"] == (*wanted)["name"]) {
          current = r;
          code = r["code"];
          break;
        }
      }
    } else {
      auto r = api.raw(verb::get, "/api/v1/resources/" + code);
      if (r.status != 200) {
        ++counts.failed;
        err << code << ": " << Api::describe(r) << "\n";
        continue;
      }
      current = nlohmann::json::parse(r.body);
    }
    try {
      if (current.is_null()) {
        out << (dry_run ? "would create " : "create ") << label << "\n";
        if (!dry_run) {
          current = api.call(verb::post, "/api/v1/resources", *wanted);
          code = current["code"];
        }
        ++counts.created;
      } else {
        auto changed = catalog::changed_fields(current, *wanted);
        if (changed.empty()) {
          ++counts.unchanged;
        } else {
          std::string fields;
          for (const auto& f : changed) fields += (fields.empty() ? "" : ", ") + f;
          out << (dry_run ? "would update " : "update ") << code << " " << label << " (" << fields
              << ")\n";
          if (!dry_run) current = api.call(verb::put, "/api/v1/resources/" + code, *wanted);
          ++counts.updated;
        }
      }
      const std::string now = current.is_null() ? "draft" : current.value("status", "draft");
      if (!status.empty() && status != now) {
        const char* action = status == "published" ? "publish"
                             : status == "retired" ? "retire"
                                                   : nullptr;
        if (!action) throw std::runtime_error("status must be draft, published or retired");
        out << (dry_run ? "would " : "") << action << " " << (code.empty() ? label : code) << "\n";
        if (!dry_run) api.call(verb::post, "/api/v1/resources/" + code + "/" + action);
      }
    } catch (const std::exception& e) {
      ++counts.failed;
      err << label << ": " << e.what() << "\n";
    }
  }
  return counts;
}

int cmd_resources(const Options& o, std::ostream& out, std::ostream& err) {
  const std::string action = o.rest.size() > 1 ? o.rest[1] : "";
  Api api(o);
  if (action == "apply") {
    const std::string file = o.flag("f", false).empty() ? o.flag("file") : o.flag("f");
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot read " + file);
    auto docs = nlohmann::json::parse(in, nullptr, false);
    if (docs.is_discarded()) throw std::runtime_error(file + " is not valid JSON");
    auto counts = apply_resources(api, docs, o.switches.contains("dry-run"), out, err);
    out << (o.switches.contains("dry-run") ? "dry run: " : "") << counts.created << " created, "
        << counts.updated << " updated, " << counts.unchanged << " unchanged, " << counts.failed
        << " failed\n";
    return counts.failed == 0 ? 0 : 1;
  }
  if (action == "import") {
    // Registration by spreadsheet: the workbook (or CSV) as the hub takes it, every error by
    // sheet, row and field.
    const std::string file = o.rest.size() > 2 ? o.rest[2] : "";
    if (file.empty()) throw std::runtime_error("usage: hubctl resources import FILE [--dry-run]");
    const bool dry_run = o.switches.contains("dry-run");
    std::string bytes = read_file(file);
    const bool csv = file.ends_with(".csv") || file.ends_with(".CSV");
    auto r = api.send(
        verb::post,
        std::string("/api/v1/resources/imports?dry_run=") + (dry_run ? "true" : "false"),
        std::move(bytes),
        csv ? "text/csv" : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    if (r.status != 200 && r.status != 422) throw std::runtime_error(Api::describe(r));
    const auto body = nlohmann::json::parse(r.body, nullptr, false);
    if (body.is_discarded()) throw std::runtime_error(Api::describe(r));
    for (const auto& res : body.value("resources", nlohmann::json::array())) {
      const std::string action_taken = res.value("action", "");
      if (action_taken == "unchanged") continue;
      out << (dry_run || r.status != 200 ? "would " : "") << action_taken << " "
          << (res["code"].is_string() ? res["code"].get<std::string>() + " " : std::string())
          << res.value("name", "") << " (" << res.value("sheet", "") << " row "
          << res.value("row", 0) << ")\n";
    }
    for (const auto& e : body.value("errors", nlohmann::json::array())) {
      err << (e.value("sheet", "").empty() ? file : e.value("sheet", ""));
      if (e.value("row", 0) > 0) err << " row " << e.value("row", 0);
      if (!e.value("field", "").empty()) err << " " << e.value("field", "");
      err << ": " << e.value("message", "") << "\n";
    }
    out << (dry_run ? "dry run: " : "") << body.value("created", 0) << " created, "
        << body.value("updated", 0) << " updated, " << body.value("unchanged", 0) << " unchanged, "
        << body.value("errors", nlohmann::json::array()).size() << " errors"
        << (r.status == 200 ? "" : ": nothing was stored") << "\n";
    return r.status == 200 ? 0 : 1;
  }
  if (action == "template") {
    auto r = api.send(verb::get, "/api/v1/resources/template.xlsx", "", "application/json");
    if (r.status != 200) throw std::runtime_error(Api::describe(r));
    const std::string file = o.flag("o", false).empty() ? "resource-template.xlsx" : o.flag("o");
    std::ofstream(file, std::ios::binary) << r.body;
    out << "the registration template written to " << file << "\n";
    return 0;
  }
  if (action == "export") {
    auto all = api.all(with_flags("/api/v1/resources", o, {{"provider", "provider"}}));
    const std::string format = o.flag("format", false).empty() ? "json" : o.flag("format");
    std::ostringstream text;
    if (format == "json") {
      nlohmann::json docs = nlohmann::json::array();
      for (const auto& r : all) {
        nlohmann::json doc = {{"code", r["code"]}, {"status", r["status"]}};
        for (const auto& f : catalog::resource_fields()) {
          if (r.contains(f)) doc[f] = r[f];
        }
        // Re-appliable: a licence resource is kept by its code (as a dataset document).
        if (doc.value("kind", "") == "licence") doc["kind"] = "dataset";
        docs.push_back(doc);
      }
      text << docs.dump(2) << "\n";
    } else if (format == "csv") {
      // UTF-8 with a BOM so spreadsheet programs read the Chinese names.
      text << "\xEF\xBB\xBF"
              "code,name,provider_code,category,share_type,status,version,"
              "update_cycle,share_methods,legal_basis,item_count,items,kind,operations\r\n";
      // A member that is absent or not text (a service has no update_cycle) is an empty cell.
      auto field = [](const nlohmann::json& r, const char* name) {
        auto it = r.find(name);
        return csv_cell(it != r.end() && it->is_string() ? it->get<std::string>() : "");
      };
      // The names in an array member (of strings, or of objects by `key`), ';'-separated.
      auto names = [](const nlohmann::json& r, const char* name, const char* key) {
        std::string joined;
        auto it = r.find(name);
        if (it == r.end() || !it->is_array()) return joined;
        for (const auto& v : *it) {
          const nlohmann::json* s = &v;
          if (key) s = v.is_object() && v.contains(key) ? &v[key] : nullptr;
          if (s && s->is_string()) joined += (joined.empty() ? "" : ";") + s->get<std::string>();
        }
        return joined;
      };
      for (const auto& r : all) {
        // A service's items are its response items (over its operations).
        const std::string kind = r.value("kind", "dataset");
        nlohmann::json listed = nlohmann::json::object();
        listed["items"] = kind == "service" ? catalog::service_response_items(r)
                                            : r.value("items", nlohmann::json::array());
        const std::string items = names(listed, "items", "name");
        text << field(r, "code") << ',' << field(r, "name") << ',' << field(r, "provider_code")
             << ',' << field(r, "category") << ',' << field(r, "share_type") << ','
             << field(r, "status") << ',' << r.value("version", std::int64_t{0}) << ','
             << field(r, "update_cycle") << ',' << csv_cell(names(r, "share_methods", nullptr))
             << ',' << field(r, "legal_basis") << ',' << r.value("item_count", std::int64_t{0})
             << ',' << csv_cell(items) << ',' << csv_cell(kind) << ','
             << csv_cell(names(r, "operations", "id")) << "\r\n";
      }
    } else {
      throw std::runtime_error("--format must be json or csv");
    }
    if (auto file = o.flag("o", false); !file.empty()) {
      std::ofstream(file, std::ios::binary) << text.str();
      out << all.size() << " resources written to " << file << "\n";
    } else {
      out << text.str();
    }
    return 0;
  }
  err << "usage: hubctl resources apply -f FILE [--dry-run] | resources import FILE [--dry-run] "
         "| resources template [-o FILE] | resources export [--format json|csv]\n";
  return 2;
}

}  // namespace hub::cli
