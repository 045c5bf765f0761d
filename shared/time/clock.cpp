#include "shared/time/clock.hpp"

// The same on every OS; the readings themselves are in clock_posix.cpp and clock_windows.cpp.
namespace vigil::time {

SystemClock::SystemClock() : boot_id_(read_boot_id()) {}

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace vigil::time
