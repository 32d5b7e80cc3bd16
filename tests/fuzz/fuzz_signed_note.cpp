// The signed-note (C2SP tlog-checkpoint) parser, as an auditor's tool reads a checkpoint from
// anywhere, and verification against a key.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "hub/ledger/note.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view note(reinterpret_cast<const char*>(data), size);
  std::string problem;
  auto checkpoint = hub::ledger::parse_checkpoint(note, problem);
  if (!checkpoint) {
    if (problem.empty()) __builtin_trap();
  } else {
    static const auto key = hub::ledger::SigningKey::generate();
    static const auto verifier =
        *hub::ledger::parse_vkey(hub::ledger::make_vkey("hub.local/ledger", key.public_key()));
    (void)hub::ledger::verify_checkpoint(*checkpoint, verifier);
  }
  (void)hub::ledger::parse_vkey(note);
  return 0;
}
