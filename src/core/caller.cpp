#include "hub/core/caller.hpp"

#include <stdexcept>

#include "hub/core/worker.hpp"

namespace hub {

pg::Pool& Caller::db() const {
  if (worker == nullptr) throw std::logic_error("a call without a worker has no database");
  return worker->db();
}

}  // namespace hub
