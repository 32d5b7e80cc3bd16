#include "hub/exchange/privacy.hpp"

#include <openssl/rand.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace hub::exchange {

double laplace_noise(double scale) {
  std::uint64_t bits = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&bits), sizeof bits) != 1) {
    throw std::runtime_error("no randomness for the Laplace mechanism");
  }
  // u uniform in (-1/2, 1/2), never an end: 53 random bits, offset by half a step.
  const double u = (static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53 - 0.5;
  return -scale * std::copysign(1.0, u) * std::log1p(-2.0 * std::abs(u));
}

}  // namespace hub::exchange
