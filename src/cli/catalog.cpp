// hubctl resources: apply and export the catalog through /api/v1/resources; documents are
// checked with the catalog's own validate_resource before anything is sent.
#include <fstream>
#include <ostream>
#include <sstream>

#include "command.hpp"
#include "hub/catalog/resource.hpp"
#include "hub/core/text.hpp"

namespace hub::cli {

// What of a resource document differs from the hub's current version (catalog fields only).
std::vector<std::string> changed_fields(const nlohmann::json& current,
                                        const nlohmann::json& wanted) {
  std::vector<std::string> changed;
  for (const auto& field : catalog::resource_fields()) {
    const auto a = current.contains(field) ? current[field] : nlohmann::json();
    const auto b = wanted.contains(field) ? wanted[field] : nlohmann::json();
    if (a != b) changed.push_back(field);
  }
  return changed;
}

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
    std::vector<FieldError> errors;
    auto wanted = catalog::validate_resource(body, errors);
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
        auto changed = changed_fields(current, *wanted);
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
        docs.push_back(doc);
      }
      text << docs.dump(2) << "\n";
    } else if (format == "csv") {
      // UTF-8 with a BOM so spreadsheet programs read the Chinese names.
      text << "\xEF\xBB\xBF"
              "code,name,provider_code,category,share_type,status,version,"
              "update_cycle,share_methods,legal_basis,item_count,items\r\n";
      auto field = [](const nlohmann::json& v) { return csv_cell(v.get<std::string>()); };
      for (const auto& r : all) {
        std::string methods, items;
        for (const auto& m : r["share_methods"])
          methods += (methods.empty() ? "" : ";") + m.get<std::string>();
        for (const auto& i : r["items"])
          items += (items.empty() ? "" : ";") + i["name"].get<std::string>();
        text << field(r["code"]) << ',' << field(r["name"]) << ',' << field(r["provider_code"])
             << ',' << field(r["category"]) << ',' << field(r["share_type"]) << ','
             << field(r["status"]) << ',' << r["version"].get<std::int64_t>() << ','
             << field(r["update_cycle"]) << ',' << csv_cell(methods) << ','
             << csv_cell(r["legal_basis"].is_null() ? "" : r["legal_basis"].get<std::string>())
             << ',' << r["item_count"].get<std::int64_t>() << ',' << csv_cell(items) << "\r\n";
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
  err << "usage: hubctl resources apply -f FILE [--dry-run] | resources export [--format "
         "json|csv]\n";
  return 2;
}

}  // namespace hub::cli
