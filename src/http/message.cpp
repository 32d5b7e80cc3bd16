#include "hub/http/message.hpp"

#include <boost/beast/core/string.hpp>

#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/http/problem.hpp"

namespace hub::http {

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      int hi = hex_digit(in[i + 1]);
      int lo = hex_digit(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  // What a client percent-encodes is UTF-8 text (RFC 3986): other bytes are no value at all, so
  // that no route hands the database a byte sequence it refuses (a 500).
  for (std::size_t i = 0; i < out.size();) {
    const std::size_t n = utf8_sequence_length(out, i);
    if (n == 0) return std::nullopt;
    i += n;
  }
  return out;
}

namespace {

// Splits a query string into its pairs, decoded; `take` gets each (name and value, or nullopt
// when either is not percent-decodable) and returns false to stop. Empty pairs are skipped.
template <typename Take>
bool for_each_pair(std::string_view query, Take take) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!take(std::move(name), std::move(value))) return false;
  }
  return true;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  for_each_pair(query, [&](std::optional<std::string> name, std::optional<std::string> value) {
    if (name && value) out.emplace_back(std::move(*name), std::move(*value));
    return true;
  });
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_query_strict(
    std::string_view query, std::size_t max_pairs) {
  std::vector<std::pair<std::string, std::string>> out;
  const bool whole =
      for_each_pair(query, [&](std::optional<std::string> name, std::optional<std::string> value) {
        if (!name || !value || name->empty() || out.size() == max_pairs) return false;
        out.emplace_back(std::move(*name), std::move(*value));
        return true;
      });
  if (!whole) return std::nullopt;
  return out;
}

std::string_view Request::param(std::string_view name) const {
  for (const auto& [k, v] : path_params) {
    if (k == name) return v;
  }
  return {};
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  // A parameter given twice, or not percent-decodable, is refused rather than guessed at: two
  // parts of a system (a proxy, the hub) must never read one request two ways.
  std::optional<std::string> found;
  std::string_view rest = query;
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    if (!key || *key != name) continue;
    auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!value) bad_query_param(std::string(name), "is not percent-encoded UTF-8");
    if (found) bad_query_param(std::string(name), "is given more than once");
    found = std::move(*value);
  }
  return found;
}

std::optional<std::string> Request::query_filter(std::string_view name) const {
  auto v = query_param(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

std::optional<std::string> Request::query_choice(
    std::string_view name, std::initializer_list<std::string_view> allowed) const {
  auto v = query_filter(name);
  if (!v) return v;
  for (auto a : allowed) {
    if (*v == a) return v;
  }
  std::string list;
  for (auto a : allowed) {
    if (!list.empty()) list += ", ";
    list += a;
  }
  bad_query_param(std::string(name), "must be one of " + list);
}

std::string_view Request::header(std::string_view name) const {
  auto it = message.find(name);
  if (it == message.end()) return {};
  return it->value();
}

Response Response::json(Status status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::text(Status status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

std::optional<Response> check_header_fields(const beast_http::fields& fields) {
  // Transfer-Encoding: the hub reads chunked bodies and nothing else. Any other coding, or a
  // list of them, would be read one way here and another way by a proxy in front (request
  // smuggling), so it is refused and the connection closed (RFC 9112 §6.1, §6.3).
  std::size_t transfer_encodings = 0;
  for (const auto& f : fields) {
    if (f.name() == beast_http::field::transfer_encoding) ++transfer_encodings;
  }
  if (transfer_encodings > 0) {
    std::string_view value = fields[beast_http::field::transfer_encoding];
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (transfer_encodings != 1 || !boost::beast::iequals(value, "chunked")) {
      return problem(ErrorCode::not_implemented,
                     "Transfer-Encoding other than chunked is not accepted");
    }
    if (fields.count(beast_http::field::content_length) > 0) {
      return problem(ErrorCode::bad_request,
                     "a request has Content-Length or Transfer-Encoding, not both");
    }
  }
  // One credential, one purpose: a second header of these is ambiguous, so refused.
  for (const char* name :
       {"Authorization", "X-Purpose", "X-Purpose-Code", "X-Subject-Authorization"}) {
    if (fields.count(name) > 1) {
      return problem(ErrorCode::validation_failed,
                     std::string("the request has more than one ") + name + " header", {}, 400);
    }
  }
  return std::nullopt;
}

}  // namespace hub::http
