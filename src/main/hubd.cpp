// hubd: the Hub server. Everything but argument handling lives in hub_core (hub/app/app.hpp).
#include <cstring>
#include <iostream>

#include "hub/app/app.hpp"

namespace {
void usage() {
  std::cout << "usage: hubd [--config FILE]\n"
               "  Starts the Hub server. Settings come from FILE (JSON, see\n"
               "  config/hub.example.json) and the HUB_* environment variables, which win.\n"
               "  --version   print the version\n";
}
}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path config_file;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_file = argv[++i];
    } else if (std::strcmp(argv[i], "--version") == 0) {
      std::cout << "hubd " << HUB_VERSION << "\n";
      return 0;
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      usage();
      return 0;
    } else {
      std::cerr << "hubd: unknown argument '" << argv[i] << "'\n";
      usage();
      return 2;
    }
  }
  hub::Config config;
  try {
    config = hub::load_config(config_file, hub::process_env());
  } catch (const hub::ConfigError& e) {
    std::cerr << "hubd: " << e.what() << "\n";
    return 2;
  }
  try {
    hub::App app(std::move(config));
    app.start();
    return app.run_until_signal();
  } catch (const hub::ConfigError& e) {
    std::cerr << "hubd: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "hubd: cannot start: " << e.what() << "\n";
    return 1;
  }
}
