#pragma once
// Clock: the seam through which all time enters Vigil (one of the three seams tests may fake,
// with Transport and FrameSource). Three readings:
//  - monotonic_ns: never goes backwards within one boot and keeps counting while the machine
//    sleeps (Linux CLOCK_BOOTTIME), so the exam timer and the journal measure real elapsed time
//    whatever the candidate does to the wall clock;
//  - wall_ms: Unix time in milliseconds, as the operating system says (the candidate can change it);
//  - boot_id: changes at every boot, so a monotonic reading is only compared with one from the
//    same boot.
#include <cstdint>
#include <string>

namespace vigil::time {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::uint64_t monotonic_ns() const = 0;
  virtual std::int64_t wall_ms() const = 0;
  virtual std::string boot_id() const = 0;
};

// The operating system's clocks. Linux: CLOCK_BOOTTIME, CLOCK_REALTIME and
// /proc/sys/kernel/random/boot_id (clock_posix.cpp). Windows: QueryInterruptTimePrecise (counts
// sleep and hibernation), GetSystemTimePreciseAsFileTime and the kernel's boot counter
// (clock_windows.cpp). macOS: docs/PLATFORMS.md.
class SystemClock final : public Clock {
 public:
  SystemClock();
  std::uint64_t monotonic_ns() const override;
  std::int64_t wall_ms() const override;
  std::string boot_id() const override { return boot_id_; }

 private:
  static std::string read_boot_id();  // once per process: it cannot change while we run
  std::string boot_id_;
};

const Clock& system_clock();

// A clock tests and scripted demos move by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t wall_ms = 1'790'000'000'000, std::string boot = "boot-1")
      : wall_ms_(wall_ms), boot_id_(std::move(boot)) {}
  std::uint64_t monotonic_ns() const override { return mono_ns_; }
  std::int64_t wall_ms() const override { return wall_ms_; }
  std::string boot_id() const override { return boot_id_; }

  // Both clocks move together, as real time passing.
  void advance_ms(std::int64_t ms) {
    mono_ns_ += static_cast<std::uint64_t>(ms) * 1'000'000u;
    wall_ms_ += ms;
  }
  // Only the wall clock moves (the candidate changed the system time).
  void set_wall_ms(std::int64_t ms) { wall_ms_ = ms; }
  // A reboot: new boot id, monotonic restarts near zero, wall time continues.
  void reboot(std::string new_boot_id, std::int64_t downtime_ms = 0) {
    boot_id_ = std::move(new_boot_id);
    mono_ns_ = 0;
    wall_ms_ += downtime_ms;
  }
  void set_monotonic_ns(std::uint64_t ns) { mono_ns_ = ns; }

 private:
  std::uint64_t mono_ns_ = 1'000'000'000;
  std::int64_t wall_ms_;
  std::string boot_id_;
};

}  // namespace vigil::time
