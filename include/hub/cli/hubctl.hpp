#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace hub::cli {

// hubctl's whole behaviour, so that the executable is a one-line main and tests can call it.
// args excludes the program name. Returns the process exit code.
int hubctl_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace hub::cli
