#include "hub/http/purpose.hpp"

namespace hub::http {

std::optional<Purpose> purpose_of(const Request& request) {
  const auto raw = request.header("X-Purpose");
  if (raw.empty()) return std::nullopt;
  Purpose p;
  // A non-ASCII purpose travels as percent-encoded UTF-8 (API.md); a bad escape is no purpose.
  if (auto decoded = percent_decode(raw, false)) {
    p.text = std::move(*decoded);
  } else {
    p.text = std::string(raw);
    p.decodable = false;
  }
  if (const auto code = request.header("X-Purpose-Code"); !code.empty()) p.code = std::string(code);
  return p;
}

}  // namespace hub::http
