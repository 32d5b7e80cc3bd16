#include "hub/ledger/entry.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "hub/core/text.hpp"

namespace hub::ledger {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

std::string format_time_micros(std::int64_t unix_micros) {
  std::int64_t seconds = unix_micros / 1000000;
  std::int64_t micros = unix_micros % 1000000;
  if (micros < 0) {
    micros += 1000000;
    --seconds;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(micros));
  return buf;
}

std::string make_leaf(const EntryDraft& d, std::int64_t index, std::string_view time) {
  ordered_json j;
  j["index"] = index;
  j["time"] = time;
  j["request_id"] = d.request_id;
  j["operation"] = d.operation;
  j["consumer_code"] = d.consumer_code;
  j["principal_id"] = d.principal_id;
  j["provider_code"] = d.provider_code ? json(*d.provider_code) : json(nullptr);
  j["resource_code"] = d.resource_code;
  j["grant_id"] = d.grant_id ? json(*d.grant_id) : json(nullptr);
  j["purpose"] = d.purpose;
  j["items"] = d.items;
  j["record_count"] = d.record_count;
  j["status"] = d.status;
  j["response_sha256"] = d.response_sha256;
  // Strings arrive checked (UTF-8); replace keeps a stray byte from ever throwing here.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Entry make_entry(EntryDraft draft, std::int64_t index, std::string time) {
  Entry e;
  e.leaf = make_leaf(draft, index, time);
  e.leaf_hash = leaf_hash(e.leaf);
  e.draft = std::move(draft);
  e.index = index;
  e.time = std::move(time);
  return e;
}

json leaf_fields(std::string_view leaf) { return json::parse(leaf); }

std::optional<Hash> check_exported_entry(const json& entry, std::int64_t expected_index,
                                         std::string& problem) {
  if (!entry.is_object() || !entry.contains("leaf") || !entry["leaf"].is_string() ||
      !entry.contains("leaf_hash") || !entry["leaf_hash"].is_string()) {
    problem = "not a ledger entry (leaf and leaf_hash are required)";
    return std::nullopt;
  }
  auto leaf = base64_decode(entry["leaf"].get<std::string>());
  if (!leaf) {
    problem = "leaf is not base64";
    return std::nullopt;
  }
  json fields = json::parse(*leaf, nullptr, false);
  if (fields.is_discarded() || !fields.is_object()) {
    problem = "leaf is not a JSON object";
    return std::nullopt;
  }
  if (!fields.contains("index") || !fields["index"].is_number_integer()) {
    problem = "leaf has no index";
    return std::nullopt;
  }
  if (fields["index"].get<std::int64_t>() != expected_index) {
    problem = "leaf index is " + std::to_string(fields["index"].get<std::int64_t>()) + " where " +
              std::to_string(expected_index) + " was expected (an entry removed, added or moved)";
    return std::nullopt;
  }
  json rest = entry;
  rest.erase("leaf");
  rest.erase("leaf_hash");
  if (rest != fields) {
    for (const auto& [name, value] : fields.items()) {
      if (!rest.contains(name) || rest[name] != value) {
        problem = "field '" + name + "' differs from the leaf";
        return std::nullopt;
      }
    }
    problem = "the entry has fields the leaf does not";
    return std::nullopt;
  }
  const Hash h = leaf_hash(*leaf);
  if (to_hex(h) != entry["leaf_hash"].get<std::string>()) {
    problem = "leaf_hash is not SHA-256(0x00 || leaf): the leaf was changed after it was hashed";
    return std::nullopt;
  }
  return h;
}

}  // namespace hub::ledger
