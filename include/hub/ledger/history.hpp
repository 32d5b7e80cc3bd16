#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <vector>

#include "hub/ledger/entry.hpp"

namespace hub::ledger {

struct TimedDraft {
  EntryDraft draft;
  std::int64_t unix_micros = 0;
};

// Appends entries with times of their own to an empty ledger, in time order, under the head's
// row lock as the appender does, making the month partitions they need. For the demo's month of
// history (hubctl demo): the ledger's rule that time never goes backwards holds, because the
// history comes first and ends before now. The sealer then signs the entries and rolls them up
// like any others. Returns false, writing nothing, when the ledger already has entries.
bool append_history(PGconn* conn, std::vector<TimedDraft> entries);

}  // namespace hub::ledger
