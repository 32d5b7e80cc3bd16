#include "hub/exchange/privacy.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace hub::exchange {

namespace {

// Uniform in (0, 1), never an end: 53 random bits, offset by half a step.
double uniform_open() {
  std::uint64_t bits = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&bits), sizeof bits) != 1) {
    throw std::runtime_error("no randomness for the privacy mechanism");
  }
  return (static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53;
}

// Geometric on {0, 1, ...} with P(k) = (1 − q) q^k, q = exp(−1/scale): the floor of an
// exponential draw of mean `scale`.
double geometric(double scale) { return std::floor(-scale * std::log(uniform_open())); }

constexpr double kGrid = 1e6;  // grid steps per unit of sensitivity, for sums

}  // namespace

std::int64_t discrete_laplace(double scale) {
  if (!(scale > 0) || !std::isfinite(scale)) throw std::invalid_argument("bad noise scale");
  const double k = geometric(scale) - geometric(scale);
  // Beyond ±2^62 only for scales no budget gives (a draw of 40 times the scale is e^-40 rare).
  constexpr double kLimit = 0x1.0p62;
  return static_cast<std::int64_t>(std::clamp(k, -kLimit, kLimit));
}

double discrete_laplace_variance(double scale) {
  const double q = std::exp(-1.0 / scale);
  return 2.0 * q / ((1.0 - q) * (1.0 - q));
}

double private_sum(double true_sum, double sensitivity, double epsilon) {
  // Bounds of [0, 0]: every clamped value is 0, and so is every sum.
  if (!(sensitivity > 0)) return 0.0;
  const double step = sensitivity / kGrid;
  const double on_grid = std::round(true_sum / step);
  // Rounding moves a sum by at most half a step each way: a record changes the rounded sum by
  // at most sensitivity + one step.
  const double noisy = on_grid + static_cast<double>(discrete_laplace((kGrid + 1.0) / epsilon));
  return noisy * step;
}

}  // namespace hub::exchange
