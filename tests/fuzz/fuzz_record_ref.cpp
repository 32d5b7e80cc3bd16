// Record refs a client sends back (objections): anything that is not a ref this hub made for
// this consumer and resource is no ref; a ref made is read back as its key.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "hub/exchange/refs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static hub::exchange::RecordRefs& refs = *[] {
    auto* r = new hub::exchange::RecordRefs;  // lives for the whole run
    r->set_key(std::string(hub::exchange::RecordRefs::kKeyBytes, 'k'));
    return r;
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)refs.key_of("11440100XYDWCM5T1B", "R-00001", text);
  if (size > 0 && size <= 512) {
    const std::string key(text);
    const auto ref = refs.ref("11440100XYDWCM5T1B", "R-00001", key);
    auto back = refs.key_of("11440100XYDWCM5T1B", "R-00001", ref);
    if (!back || *back != key) __builtin_trap();
    if (refs.key_of("114401000UUY8XPWXH", "R-00001", ref)) __builtin_trap();
  }
  return 0;
}
