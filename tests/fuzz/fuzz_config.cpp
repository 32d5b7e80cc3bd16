// The configuration file: any text is refused with a ConfigError naming a key, or gives a
// configuration that passed every check.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hub/core/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto config = hub::load_config_text(text, {});
    (void)config.listen_host();
    (void)config.listen_port();
  } catch (const hub::ConfigError&) {
  }
  return 0;
}
