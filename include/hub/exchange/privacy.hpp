#pragma once

#include <cstdint>

namespace hub::exchange {

// The noise of differentially private aggregates (docs/privacy.md), from OpenSSL's CSPRNG.

// A draw from the discrete Laplace distribution (the two-sided geometric) on the integers:
// P(k) ∝ exp(−|k| / scale), mean 0, variance 2q / (1 − q)² with q = exp(−1/scale). Added to an
// integer statistic of sensitivity Δ with scale Δ/ε it gives ε-differential privacy, and the
// result is an integer: no low-order bits of a floating-point sample to read the true value
// from (Mironov 2012's attack on continuous Laplace noise). Sampled as the difference of two
// geometric draws, each the floor of an exponential one (inversion, 53 random bits).
std::int64_t discrete_laplace(double scale);

// The variance of discrete_laplace(scale): what the tests and docs/privacy.md's error bars use.
double discrete_laplace_variance(double scale);

// A sum released under ε: the true sum (already clamped per record to bounds whose larger
// magnitude is `sensitivity`) rounded to a grid of sensitivity / 10⁶, plus discrete Laplace
// noise on that grid for sensitivity plus one grid step (what rounding can add). The answer is
// a multiple of the grid step.
double private_sum(double true_sum, double sensitivity, double epsilon);

}  // namespace hub::exchange
