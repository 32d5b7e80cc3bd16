#pragma once
// How a resource row is read, shared by the catalog service and the in-memory index (private to
// src/catalog).

#include <nlohmann/json.hpp>

#include "hub/store/pg.hpp"

// The columns resource_json() reads, in its order.
#define HUB_RESOURCE_COLUMNS                                                                    \
  "r.code, r.status, r.version, r.document::text, r.item_count, r.record_count, "               \
  HUB_SQL_TS_OPT("r.last_updated_at") ", " HUB_SQL_TS("r.created_at") ", " HUB_SQL_TS("r.updated_at") ", r.kind"

namespace hub::catalog {

// A resource as the API answers it: its document plus the row's own fields.
inline nlohmann::json resource_json(const pg::Result& r, int row) {
  nlohmann::json out = nlohmann::json::parse(r.get(row, 3));
  out["code"] = r.get(row, 0);
  out["status"] = r.get(row, 1);
  out["version"] = r.get_int(row, 2);
  out["item_count"] = r.get_int(row, 4);
  out["record_count"] = r.get_int(row, 5);
  out["last_updated_at"] = r.is_null(row, 6) ? nlohmann::json(nullptr) : nlohmann::json(r.get(row, 6));
  out["created_at"] = r.get(row, 7);
  out["updated_at"] = r.get(row, 8);
  out["kind"] = r.get(row, 9);
  return out;
}

}  // namespace hub::catalog
