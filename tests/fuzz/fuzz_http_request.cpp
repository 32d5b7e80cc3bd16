// The HTTP request parser and header handling: bytes as a client sends them, through Beast's
// parser with the hub's limits, the framing rules, the query parameters and the purpose headers
// (src/net/server.cpp does the same, with a socket in between).
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>

#include "hub/core/error.hpp"
#include "hub/http/message.hpp"
#include "hub/http/purpose.hpp"
#include "hub/sharing/purpose.hpp"

namespace bhttp = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = parser.put(boost::asio::buffer(data, size), ec);
  // The body of a complete header, as the server would read it next.
  if (!ec && parser.is_header_done() && !parser.is_done() && used < size) {
    parser.put(boost::asio::buffer(data + used, size - used), ec);
  }
  if (!parser.is_header_done()) return 0;
  const auto& message = parser.get();
  if (auto refused = hub::http::check_header_fields(message)) {
    // A refusal is always a problem+json answer of a 4xx or 5xx status.
    if (static_cast<unsigned>(refused->status) < 400) __builtin_trap();
    return 0;
  }
  hub::http::Request request;
  request.message.base() = message.base();
  const std::string target(message.target());
  const auto qmark = target.find('?');
  if (qmark != std::string::npos) request.query = std::string_view(target).substr(qmark + 1);
  for (const char* name : {"filter", "limit", "cursor", "status", "atomic", "version"}) {
    try {
      (void)request.query_param(name);
      (void)request.query_choice(name, {"draft", "published", "retired"});
    } catch (const hub::ApiError& e) {
      if (e.status() != 400) __builtin_trap();
    }
  }
  (void)hub::http::parse_query(request.query);
  try {
    const std::string purpose = hub::sharing::checked_purpose(hub::http::purpose_of(request)).text;
    if (purpose.empty()) __builtin_trap();
  } catch (const hub::ApiError& e) {
    if (e.status() != 400) __builtin_trap();
  }
  return 0;
}
