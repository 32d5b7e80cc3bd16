#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/ledger/note.hpp"

namespace hub::ledger {

struct AuditResult {
  std::uint64_t entries = 0;          // lines read from the export
  std::uint64_t checkpoint_size = 0;  // tree size of the checkpoint checked against
  std::vector<std::string> problems;  // empty: everything checked out
  bool ok() const { return problems.empty(); }
};

// What `hubctl ledger verify` does, with nothing but the export, the checkpoint and the key:
// checks the checkpoint's signature; recomputes every entry's leaf hash and checks its fields and
// its index (a removed, inserted or reordered entry shows as an index out of place); recomputes
// the root over the first tree-size entries and compares it with the signed one; and, given an
// earlier checkpoint, that the export's tree at that size has the earlier root (else the log
// forked: the hub showed two histories). Problems name the entry index where there is one.
AuditResult audit_export(std::istream& export_ndjson, std::string_view checkpoint_note,
                         const Verifier& key, std::optional<std::string_view> earlier_note = {});

}  // namespace hub::ledger
