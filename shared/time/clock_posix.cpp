// POSIX (Linux; macOS until its own readings exist) half of shared/time/clock.hpp.
#include <chrono>
#include <fstream>

#if defined(__linux__)
#include <time.h>
#endif

#include "shared/time/clock.hpp"

namespace vigil::time {

std::string SystemClock::read_boot_id() {
#if defined(__linux__)
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  if (in && std::getline(in, id) && !id.empty()) return id;
#endif
  // No kernel boot id: fall back to the process start time, which changes at least as often.
  return "unknown-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

std::uint64_t SystemClock::monotonic_ns() const {
#if defined(__linux__)
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
#else
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
#endif
}

std::int64_t SystemClock::wall_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace vigil::time
