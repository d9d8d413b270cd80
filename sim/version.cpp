// Values injected by CMake at configure time.
#include "sim/version.hpp"

namespace tradesim::sim {
std::string_view version() {
  return TRADESIM_VERSION;
}
std::string_view git_commit() {
  return TRADESIM_GIT_COMMIT;
}
}  // namespace tradesim::sim
