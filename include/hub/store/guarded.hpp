#pragma once

#include <boost/asio/awaitable.hpp>
#include <vector>

#include "hub/store/pg.hpp"

namespace hub::pg {

// A workflow's state change and what follows from it (a grant, an event) commit together or not
// at all: runs `change` (a guarded UPDATE ... RETURNING, which changes no row when another
// officer changed the object first) in an explicit transaction; when it changed a row, runs
// `then` and commits, else rolls back. Returns the UPDATE's result (no rows: it lost the race).
boost::asio::awaitable<Result> guarded(Lease& lease, const Connection::Step& change,
                                       const std::vector<Connection::Step>& then);

}  // namespace hub::pg
