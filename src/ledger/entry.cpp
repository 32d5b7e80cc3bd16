#include "hub/ledger/entry.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "hub/core/text.hpp"
#include "hub/ledger/subjects.hpp"

namespace hub::ledger {

using json = nlohmann::json;

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
  // Written by hand (it runs for every share, on the appender's one thread); the same bytes as
  // compact JSON with the fields in API.md's order. Strings are escaped as JSON and any invalid
  // UTF-8 becomes U+FFFD, so the leaf always parses.
  std::string out;
  out.reserve(320 + d.purpose.size() + d.items.size() * 24);
  auto field = [&out](std::string_view name) {
    out += out.empty() ? "{\"" : ",\"";
    out += name;
    out += "\":";
  };
  auto string_or_null = [&out](const std::optional<std::string>& v) {
    if (v) {
      append_json_string(out, *v);
    } else {
      out += "null";
    }
  };
  field("index");
  out += std::to_string(index);
  field("time");
  append_json_string(out, time);
  field("request_id");
  append_json_string(out, d.request_id);
  field("operation");
  append_json_string(out, d.operation);
  field("consumer_code");
  append_json_string(out, d.consumer_code);
  field("principal_id");
  append_json_string(out, d.principal_id);
  field("provider_code");
  string_or_null(d.provider_code);
  field("resource_code");
  append_json_string(out, d.resource_code);
  field("grant_id");
  string_or_null(d.grant_id);
  field("purpose");
  append_json_string(out, d.purpose);
  field("purpose_code");
  string_or_null(d.purpose_code);
  field("items");
  out += '[';
  for (std::size_t i = 0; i < d.items.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, d.items[i]);
  }
  out += ']';
  field("record_count");
  out += std::to_string(d.record_count);
  field("epsilon_spent");
  if (d.epsilon_spent && std::isfinite(*d.epsilon_spent)) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d.epsilon_spent);
    out.append(buf, ec == std::errc{} ? end : buf);
  } else {
    out += "null";
  }
  if (d.authorization_id) {
    field("authorization_id");
    append_json_string(out, *d.authorization_id);
  }
  if (d.operation == "call") {
    field("service_operation");
    string_or_null(d.service_operation);
    field("upstream_status");
    out += d.upstream_status ? std::to_string(*d.upstream_status) : "null";
    field("upstream_ms");
    out += d.upstream_ms ? std::to_string(*d.upstream_ms) : "null";
  }
  if (!d.subjects.empty()) {
    field("subjects_sha256");
    append_json_string(out, subjects_sha256(d.subjects));
  }
  field("status");
  out += std::to_string(d.status);
  field("response_sha256");
  append_json_string(out, d.response_sha256);
  out += '}';
  return out;
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
  // Where the entry stands in the signed log, which the audit checks against the checkpoint it
  // is given rather than this hint.
  rest.erase("checkpoint");
  // The subjects travel beside the leaf, which commits to them: a hash removed from or added to
  // the entry no longer gives its subjects_sha256.
  std::string subjects;
  if (auto it = rest.find("subjects"); it != rest.end()) {
    if (!it->is_array()) {
      problem = "subjects is not a list of hashes";
      return std::nullopt;
    }
    for (const auto& h : *it) {
      auto bytes = h.is_string() ? hub::from_hex(h.get<std::string>()) : std::nullopt;
      if (!bytes || bytes->size() != SubjectKeys::kHashBytes) {
        problem = "subjects holds something that is not a 32-byte hash in hex";
        return std::nullopt;
      }
      subjects += *bytes;
    }
    rest.erase(it);
  }
  const auto committed = fields.find("subjects_sha256");
  if (committed == fields.end()
          ? !subjects.empty()
          : !committed->is_string() || committed->get<std::string>() != subjects_sha256(subjects)) {
    problem =
        "subjects are not the ones the leaf commits to (subjects_sha256): a subject was "
        "removed or added";
    return std::nullopt;
  }
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
