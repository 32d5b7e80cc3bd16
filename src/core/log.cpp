#include "hub/core/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace hub {

std::shared_ptr<spdlog::logger> init_logging(const LogConfig& config) {
  spdlog::drop("hub");
  spdlog::drop("access");
  auto main = spdlog::stderr_logger_mt("hub");
  main->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  main->set_level(spdlog::level::from_str(config.level));
  spdlog::set_default_logger(main);

  if (!config.access_log) return nullptr;
  std::shared_ptr<spdlog::logger> access;
  if (config.access_log_file.empty()) {
    access = spdlog::stdout_logger_mt("access");
  } else {
    // Buffered by stdio and flushed every second, so the log costs no write per request.
    access = spdlog::basic_logger_mt("access", config.access_log_file);
  }
  access->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ",%v})", spdlog::pattern_time_type::utc);
  access->set_level(spdlog::level::info);
  spdlog::flush_every(std::chrono::seconds(1));
  return access;
}

}  // namespace hub
