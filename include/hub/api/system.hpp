#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "hub/core/config.hpp"
#include "hub/http/router.hpp"

namespace hub::api {

struct SystemState {
  std::atomic<bool> migrated{false};
  std::atomic<bool> stopping{false};
};

// /healthz, /readyz, /metrics, /openapi.json.
// render_metrics writes the Prometheus text (the metrics exist only once all routes are known).
// directory_loaded tells whether authentication can answer yet.
void register_system_routes(http::Router& router, SystemState& state,
                            std::function<std::string()> render_metrics,
                            std::function<bool()> directory_loaded);

// The OpenAPI document compiled into the binary (schemas/openapi.json).
std::string_view openapi_document();

}  // namespace hub::api
