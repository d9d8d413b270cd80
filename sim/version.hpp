// The version and git commit this build came from (written into every run file).
#pragma once

#include <string_view>

namespace tradesim::sim {
std::string_view version();
std::string_view git_commit();
}  // namespace tradesim::sim
