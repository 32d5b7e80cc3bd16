#include "hub/ledger/audit.hpp"

#include <nlohmann/json.hpp>

#include "hub/core/text.hpp"
#include "hub/ledger/entry.hpp"
#include "hub/ledger/tiles.hpp"

namespace hub::ledger {

namespace {
constexpr std::size_t kMaxProblems = 100;

void add(AuditResult& r, std::string problem) {
  if (r.problems.size() < kMaxProblems) r.problems.push_back(std::move(problem));
}
}  // namespace

AuditResult audit_export(std::istream& in, std::string_view checkpoint_note, const Verifier& key,
                         std::optional<std::string_view> earlier_note) {
  AuditResult r;
  std::string why;
  auto checkpoint = parse_checkpoint(checkpoint_note, why);
  if (!checkpoint) {
    add(r, "the checkpoint is not a signed checkpoint: " + why);
    return r;
  }
  r.checkpoint_size = checkpoint->size;
  if (!verify_checkpoint(*checkpoint, key)) {
    add(r, "the checkpoint's signature does not verify with the key " + key.name + "+" +
               key_id_hex(key.id()));
  }
  std::optional<Checkpoint> earlier;
  if (earlier_note) {
    earlier = parse_checkpoint(*earlier_note, why);
    if (!earlier) {
      add(r, "the earlier checkpoint is not a signed checkpoint: " + why);
    } else {
      if (!verify_checkpoint(*earlier, key)) {
        add(r, "the earlier checkpoint's signature does not verify with the key");
      }
      if (earlier->origin != checkpoint->origin) {
        add(r, "the earlier checkpoint is of another log (" + earlier->origin + ")");
      }
      if (earlier->size > checkpoint->size) {
        add(r, "the earlier checkpoint (size " + std::to_string(earlier->size) +
                   ") is larger than the checkpoint (size " + std::to_string(checkpoint->size) +
                   "): the log shrank");
      }
    }
  }

  // Streams the export: the tree's right edge is all that is kept, so a log of any size is
  // checked in constant memory.
  TreeEdge edge;
  auto check_root = [&](const Checkpoint& c, const char* which) {
    if (edge.size() != c.size) return;
    if (edge.root() != c.root) {
      add(r, std::string("the root of entries 0..") + std::to_string(c.size) +
                 " does not match the " + which + " checkpoint's: an entry before index " +
                 std::to_string(c.size) + " was changed" +
                 (std::string_view(which) == "earlier" ? ", or the log forked" : ""));
    }
  };
  if (earlier) check_root(*earlier, "earlier");
  check_root(*checkpoint, "signed");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line == "\r") continue;
    const std::int64_t index = static_cast<std::int64_t>(r.entries);
    Hash h{};
    auto entry = nlohmann::json::parse(line, nullptr, false);
    if (entry.is_discarded()) {
      add(r, "index " + std::to_string(index) + ": the line is not JSON");
    } else if (auto checked = check_exported_entry(entry, index, why)) {
      h = *checked;
    } else {
      add(r, "index " + std::to_string(index) + ": " + why);
      // Go on with the hash of whatever leaf there is, so the roots say the same.
      if (entry.is_object() && entry.contains("leaf") && entry["leaf"].is_string()) {
        if (auto leaf = base64_decode(entry["leaf"].get<std::string>())) h = leaf_hash(*leaf);
      }
    }
    edge.append(h);
    if ((edge.size() & 0xff) == 0) (void)edge.take_writes();
    ++r.entries;
    if (earlier) check_root(*earlier, "earlier");
    check_root(*checkpoint, "signed");
  }
  if (r.entries < checkpoint->size) {
    add(r, "index " + std::to_string(r.entries) + ": the export ends at " +
               std::to_string(r.entries) + " entries but the checkpoint covers " +
               std::to_string(checkpoint->size) + " (entries removed at the end)");
  }
  return r;
}

}  // namespace hub::ledger
