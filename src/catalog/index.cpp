#include "hub/catalog/index.hpp"

#include "hub/store/pg.hpp"
#include "rows.hpp"

namespace hub::catalog {

using nlohmann::json;

namespace {
constexpr const char* kAll = "SELECT " HUB_RESOURCE_COLUMNS " FROM resources r";
}  // namespace

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

CatalogIndex::CatalogIndex() : current_(std::make_shared<const Map>()) {}

IndexEntry CatalogIndex::entry_of(const json& resource) {
  IndexEntry e;
  e.provider_code = resource["provider_code"];
  e.status = resource["status"];
  e.kind = resource.value("kind", "dataset");
  e.share_type = resource["share_type"];
  e.category = resource["category"];
  e.search_text = lower_ascii(resource["name"].get<std::string>() + " " +
                              resource["summary"].get<std::string>());
  e.json = resource.dump(-1, ' ', false, json::error_handler_t::replace);
  return e;
}

std::vector<std::string> CatalogIndex::licence_codes() const {
  std::vector<std::string> out;
  for (const auto& [code, e] : *current_.load()) {
    if (e.kind == "licence" && e.status == "published") out.push_back(code);
  }
  return out;
}

std::shared_ptr<const IndexEntry> CatalogIndex::find(std::string_view code) const {
  auto snap = current_.load();
  auto it = snap->find(code);
  if (it == snap->end()) return nullptr;
  return std::shared_ptr<const IndexEntry>(snap, &it->second);
}

void CatalogIndex::put(const std::string& code, std::optional<IndexEntry> entry) {
  std::lock_guard lock(write_mutex_);
  puts_.record(code, entry);
  auto next = std::make_shared<Map>(*current_.load());
  if (entry) {
    (*next)[code] = std::move(*entry);
  } else {
    next->erase(code);
  }
  current_.store(std::move(next));
}

std::vector<std::string> CatalogIndex::search(const Principal& caller, const SearchFilter& f,
                                              std::string& last_code) const {
  auto snap = current_.load();
  const bool all_drafts = caller.hub_level();
  std::vector<std::string> out;
  auto it = f.after ? snap->upper_bound(*f.after) : snap->begin();
  for (; it != snap->end() && out.size() < f.limit; ++it) {
    const IndexEntry& e = it->second;
    if (e.status == "draft" && !all_drafts && !caller.of_agency(e.provider_code)) continue;
    if (f.provider && e.provider_code != *f.provider) continue;
    if (f.share_type && e.share_type != *f.share_type) continue;
    if (f.status && e.status != *f.status) continue;
    if (f.category && e.category != *f.category) continue;
    if (f.kind && e.kind != *f.kind) continue;
    if (f.q && e.search_text.find(*f.q) == std::string::npos) continue;
    out.push_back(e.json);
    last_code = it->first;
  }
  return out;
}

void CatalogIndex::load_all(PGconn* conn) {
  {
    std::lock_guard lock(write_mutex_);
    puts_.begin();
  }
  auto r = pg::exec_blocking(conn, kAll, pg::Params());
  auto next = std::make_shared<Map>();
  for (int i = 0; i < r.rows(); ++i)
    (*next)[std::string(r.get(i, 0))] = entry_of(resource_json(r, i));
  std::lock_guard lock(write_mutex_);
  puts_.finish([&](const std::string& code, const std::optional<IndexEntry>& e) {
    if (e) {
      (*next)[code] = *e;
    } else {
      next->erase(code);
    }
  });
  current_.store(std::move(next));
  loaded_.store(true);
}

bool CatalogIndex::handle(PGconn* conn, const std::string& payload) {
  if (!payload.starts_with("resource:")) return false;
  const std::string code = payload.substr(9);
  auto r =
      pg::exec_blocking(conn, std::string(kAll) + " WHERE r.code = $1", pg::Params().add(code));
  put(code, r.rows() ? std::optional(entry_of(resource_json(r, 0))) : std::nullopt);
  return true;
}

}  // namespace hub::catalog
