#include "hub/api/recorded_answer.hpp"

#include <openssl/sha.h>

#include "hub/core/text.hpp"
#include "hub/http/problem.hpp"

namespace hub::api {

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string RecordedAnswer::refuse(const ApiError& error) {
  begin() = http::problem(error).body;
  return digest();
}

http::Response RecordedAnswer::response() {
  http::Response r = http::Response::json(http::Status::ok, std::move(body_));
  if (index_) r.headers.emplace_back("X-Ledger-Index", std::to_string(*index_));
  return r;
}

ApiError RecordedAnswer::annotate(ApiError error) const {
  if (index_) error.with_header("X-Ledger-Index", std::to_string(*index_));
  return error;
}

}  // namespace hub::api
