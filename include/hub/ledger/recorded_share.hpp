#pragma once

#include <spdlog/spdlog.h>

#include <boost/asio/awaitable.hpp>
#include <exception>
#include <optional>
#include <string>

#include "hub/core/caller.hpp"
#include "hub/core/error.hpp"
#include "hub/sharing/purpose.hpp"

namespace hub::ledger {

// The rule of every share, whoever performs it (the exchange store's data requests, the services
// gateway's calls): the purpose is checked first, then the operation runs; its answer, or its
// refusal, is handed to the sink, which renders it and returns the SHA-256 of the bytes the caller
// will get; then the entry is recorded (`record(status, digest)`, which waits until it is
// durable) before this returns. An answer whose entry could not be made durable is never sent:
// 503. A refusal is recorded too (with the purpose as sent when it was one), then rethrown; it is
// answered even when its entry could not be written, since it shares nothing.
//
// `perform()` returns an awaitable<Answer>; `sink` has deliver(const Answer&) and
// refuse(const ApiError&); `record(int status, const std::string& digest)` returns an
// awaitable<void>. Named lambdas of the caller (GCC 12: no temporaries inside co_await).
template <typename Answer, typename Sink, typename Perform, typename Record>
boost::asio::awaitable<void> share_recorded(const Caller& caller, sharing::CheckedPurpose& purpose,
                                            Sink& sink, Perform& perform, Record& record) {
  std::optional<Answer> answer;
  std::optional<ApiError> refusal;
  try {
    purpose = sharing::checked_purpose(caller.purpose);
    answer = co_await perform();
  } catch (const ApiError& e) {
    refusal = e;
  } catch (const DbUnavailable& e) {
    spdlog::warn("request {}: database unavailable: {}", caller.request_id, e.what());
    refusal = ApiError(ErrorCode::unavailable, "the database is unavailable; retry later");
  } catch (const std::exception& e) {
    spdlog::error("request {}: {}", caller.request_id, e.what());
    refusal =
        ApiError(ErrorCode::internal, "internal error; quote the request id to the operators");
  }
  if (refusal) {
    if (purpose.text.empty()) purpose = sharing::recorded_purpose(caller.purpose);
    const std::string digest = sink.refuse(*refusal);
    const int status = static_cast<int>(refusal->status());
    try {
      co_await record(status, digest);
    } catch (const std::exception& e) {
      spdlog::error("request {}: ledger entry of a refusal not written: {}", caller.request_id,
                    e.what());
    }
    throw *refusal;
  }
  const std::string digest = sink.deliver(*answer);
  const int ok = 200;
  bool recorded = false;
  try {
    co_await record(ok, digest);
    recorded = true;
  } catch (const std::exception& e) {
    spdlog::error("request {}: ledger entry not written: {}", caller.request_id, e.what());
  }
  if (!recorded) {
    throw ApiError(ErrorCode::unavailable,
                   "the ledger could not record this share; nothing was shared, retry later");
  }
}

}  // namespace hub::ledger
