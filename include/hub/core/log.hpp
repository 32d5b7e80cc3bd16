#pragma once

#include <memory>
#include <string>

#include "hub/core/config.hpp"

namespace spdlog {
class logger;
}

namespace hub {

// Sets the default logger (text lines on standard error) and returns the access logger (one
// JSON object a line on standard output or in log.access_log_file), or nullptr when disabled.
std::shared_ptr<spdlog::logger> init_logging(const LogConfig& config);

}  // namespace hub
