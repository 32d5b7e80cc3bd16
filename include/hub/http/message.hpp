#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include "hub/core/byte_source.hpp"
#include "hub/core/principal.hpp"

namespace hub {
class Worker;
}

namespace hub::http {

namespace beast_http = boost::beast::http;
using Verb = beast_http::verb;
using Status = beast_http::status;
using BeastRequest = beast_http::request<beast_http::string_body>;

// A request body read as it arrives (routes with RouteOptions::stream_body): bulk imports of
// gigabytes are never held in memory. A body over the route's limit throws 413, a broken one
// 400, one slower than the minimum rate 408.
using BodyReader = ByteSource;

// What a handler sees of a request: the parsed message plus what the server learnt around it.
struct Request {
  BeastRequest message;
  std::string_view path;   // without the query string
  std::string_view query;  // raw, without '?'
  std::vector<std::pair<std::string, std::string>> path_params;
  std::string request_id;
  std::string remote_address;
  bool remote_is_loopback = false;
  std::optional<std::string> peer_cert_sha256;  // hex, set when a verified client cert was shown
  std::optional<Principal> principal;           // set by authentication
  std::size_t route_index = 0;
  Worker* worker = nullptr;
  BodyReader* body_reader = nullptr;  // streamed routes only; else the body is message.body()

  std::string_view param(std::string_view name) const;
  // The decoded value of a query parameter, or nullopt when absent.
  std::optional<std::string> query_param(std::string_view name) const;
  // The same, with an empty value counted as absent (a filter left blank filters nothing).
  std::optional<std::string> query_filter(std::string_view name) const;
  // A filter that takes one of `allowed` (an enumeration): nullopt when absent or empty, 400
  // validation_failed naming the values otherwise, so a typo never reads as "nothing matches".
  std::optional<std::string> query_choice(std::string_view name,
                                          std::initializer_list<std::string_view> allowed) const;
  std::string_view header(std::string_view name) const;
};

struct Response {
  Status status = Status::ok;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static Response json(Status status, std::string body);
  static Response text(Status status, std::string body, std::string content_type);
};

// Percent-decoding for query strings ('+' is a space there). Returns nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);

// The rules of a request's header the server checks before routing it: a Transfer-Encoding
// other than a single chunked (501, or 400 with a Content-Length too), a second Authorization,
// X-Purpose or X-Purpose-Code (400). The problem to answer before closing, else nullopt.
std::optional<Response> check_header_fields(const beast_http::fields& fields);

// Splits "a=1&b=2" into decoded pairs; undecodable pairs are skipped.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);
// The same in the order sent, refusing rather than skipping: nullopt when a pair is not
// percent-decodable or has no name, or when there are more than `max_pairs`.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query_strict(
    std::string_view query, std::size_t max_pairs);

}  // namespace hub::http
