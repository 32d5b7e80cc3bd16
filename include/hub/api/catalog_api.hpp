#pragma once

#include "hub/catalog/service.hpp"
#include "hub/http/router.hpp"

namespace hub::api {

// /api/v1/resources (catalog) and /api/v1/licence-resources (the licence template).
void register_catalog_routes(http::Router& router, catalog::CatalogService& service,
                             const CursorCodec& cursors);

}  // namespace hub::api
