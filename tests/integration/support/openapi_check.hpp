#pragma once

#include <boost/beast/http/verb.hpp>
#include <string>
#include <vector>

#include "hub/client/https_client.hpp"

namespace hub::test {

// Holds an answer to the hub's own OpenAPI document (schemas/openapi.json, as served at
// /openapi.json): the status is one the operation documents (or a path no route has is 404, a
// known path with another method 405), the content type is one it documents for that status,
// and a JSON body is valid against its schema (valijson, JSON Schema draft 7 over the
// document's components). Returns what is wrong, nothing when all is well.
std::vector<std::string> openapi_problems(boost::beast::http::verb verb, const std::string& target,
                                          const client::ClientResponse& response);

// The observer every test client gets (TestHub::client_options): a problem is a test failure
// that names the request.
client::ResponseObserver openapi_observer();

}  // namespace hub::test
