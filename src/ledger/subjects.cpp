#include "hub/ledger/subjects.hpp"

#include <algorithm>
#include <stdexcept>

#include "hub/core/error.hpp"
#include "hub/core/text.hpp"
#include "hub/ledger/merkle.hpp"
#include "hub/members/credentials.hpp"

namespace hub::ledger {

void SubjectKeys::set_key(std::string key) {
  if (key.size() != kKeyBytes) throw std::invalid_argument("the subject key must be 32 bytes");
  key_.store(std::make_shared<const std::string>(std::move(key)));
}

std::string SubjectKeys::hash(std::string_view record_key) const {
  auto k = key_.load();
  if (!k) throw DbUnavailable("subject key not loaded yet");
  return members::hmac_sha256(*k, record_key);
}

std::string SubjectKeys::hashes(const std::vector<std::string>& record_keys) const {
  std::vector<std::string> all;
  all.reserve(record_keys.size());
  for (const auto& key : record_keys) all.push_back(hash(key));
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::string out;
  out.reserve(all.size() * kHashBytes);
  for (const auto& h : all) out += h;
  return out;
}

std::vector<std::string> subjects_hex(std::string_view concatenated) {
  std::vector<std::string> out;
  out.reserve(concatenated.size() / SubjectKeys::kHashBytes);
  for (std::size_t at = 0; at + SubjectKeys::kHashBytes <= concatenated.size();
       at += SubjectKeys::kHashBytes) {
    out.push_back(hub::to_hex(concatenated.substr(at, SubjectKeys::kHashBytes)));
  }
  return out;
}

std::string subjects_sha256(std::string_view concatenated) { return to_hex(sha256(concatenated)); }

}  // namespace hub::ledger
