#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hub/core/error.hpp"
#include "hub/http/message.hpp"

namespace hub::api {

// SHA-256 of bytes, as lower-case hex.
std::string sha256_hex(std::string_view bytes);

// The body of a data request's answer on its way out (a read, a call): rendered once by the
// transport's sink, hashed for the ledger entry the domain writes, sent only after the domain
// returned — with the entry's index as X-Ledger-Index, whether it is the answer or a refusal.
class RecordedAnswer {
 public:
  // The body to render the answer into (emptied); then digest() for the entry.
  std::string& begin() {
    body_.clear();
    touched_ = true;
    return body_;
  }
  std::string digest() const { return sha256_hex(body_); }
  // The refusal as dispatch will answer it (problem+json), and its digest.
  std::string refuse(const ApiError& error);
  void recorded(std::int64_t index) { index_ = index; }

  // Whether the domain has rendered anything (else a refusal before it must still be recorded).
  bool touched() const { return touched_; }
  // The answer, with the index of its ledger entry.
  http::Response response();
  // A refusal, as dispatch will answer it, with the index of its entry.
  ApiError annotate(ApiError error) const;

 private:
  std::string body_;
  bool touched_ = false;
  std::optional<std::int64_t> index_;
};

}  // namespace hub::api
