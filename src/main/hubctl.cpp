// hubctl: the Hub's administration CLI. The commands live in hub_core (hub/cli/hubctl.hpp).
#include <iostream>

#include "hub/cli/hubctl.hpp"

int main(int argc, char** argv) {
  return hub::cli::hubctl_main(std::vector<std::string>(argv + 1, argv + argc), std::cout,
                               std::cerr);
}
