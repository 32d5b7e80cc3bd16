#pragma once

namespace hub::exchange {

// A draw from the Laplace distribution of mean 0 and this scale (b: the noise a statistic of
// sensitivity Δ gets for ε is b = Δ/ε), from OpenSSL's CSPRNG, by the inverse of its CDF.
double laplace_noise(double scale);

}  // namespace hub::exchange
