// Windows half of shared/time/clock.hpp.
#include <windows.h>

#include <string>

#include "shared/time/clock.hpp"

namespace vigil::time {

namespace {

using QueryInterruptTimePreciseFn = VOID(WINAPI*)(PULONGLONG);

// QueryInterruptTimePrecise (Windows 10+) is not declared by Debian's MinGW-w64 headers, and its
// import library points at an API set that not every Windows (or Wine) resolves, so it is looked
// up in kernelbase.dll, where Windows 10/11 export it, then in the API set itself.
QueryInterruptTimePreciseFn find_interrupt_time() {
  for (const wchar_t* dll : {L"kernelbase.dll", L"api-ms-win-core-realtime-l1-1-1.dll"}) {
    HMODULE m = GetModuleHandleW(dll);
    if (m == nullptr) m = LoadLibraryW(dll);
    if (m != nullptr) {
      if (FARPROC p = GetProcAddress(m, "QueryInterruptTimePrecise"); p != nullptr)
        return reinterpret_cast<QueryInterruptTimePreciseFn>(reinterpret_cast<void (*)()>(p));
    }
  }
  return nullptr;
}

// Interrupt time: 100 ns units since boot, counting sleep and hibernation (unlike the "unbiased"
// interrupt time, which stops while the machine sleeps, and QueryPerformanceCounter, which may).
// Without QueryInterruptTimePrecise, GetTickCount64 counts the same time in milliseconds.
std::uint64_t interrupt_time_ns() {
  static const QueryInterruptTimePreciseFn precise = find_interrupt_time();
  if (precise != nullptr) {
    ULONGLONG t = 0;
    precise(&t);
    return static_cast<std::uint64_t>(t) * 100u;
  }
  return static_cast<std::uint64_t>(GetTickCount64()) * 1'000'000u;
}

std::int64_t wall_ms_now() {
  FILETIME ft{};
  GetSystemTimePreciseAsFileTime(&ft);
  const std::uint64_t ticks = (static_cast<std::uint64_t>(ft.dwHighDateTime) << 32) | ft.dwLowDateTime;
  constexpr std::uint64_t k_unix_epoch_in_filetime = 116'444'736'000'000'000u;  // 1970-01-01 in 100 ns since 1601
  return static_cast<std::int64_t>(ticks / 10'000u) - static_cast<std::int64_t>(k_unix_epoch_in_filetime / 10'000u);
}

}  // namespace

// Windows has no documented boot id. The kernel keeps a boot counter, BootId under
// PrefetchParameters, which it increments at every boot (a fast-startup "shutdown" resumes the
// hibernated kernel, so interrupt time and the counter both continue). It does not depend on the
// wall clock, so a candidate changing the time cannot make one boot look like two. Where it
// cannot be read (Wine, locked-down registry), the boot instant is derived as wall time minus
// interrupt time, to the minute: stable within one boot unless the wall clock is changed, and
// different across boots.
std::string SystemClock::read_boot_id() {
  DWORD counter = 0;
  DWORD size = sizeof counter;
  if (RegGetValueW(HKEY_LOCAL_MACHINE,
                   L"SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management\\PrefetchParameters",
                   L"BootId", RRF_RT_REG_DWORD, nullptr, &counter, &size) == ERROR_SUCCESS) {
    return "windows-boot-" + std::to_string(counter);
  }
  const std::int64_t booted_ms = wall_ms_now() - static_cast<std::int64_t>(interrupt_time_ns() / 1'000'000u);
  return "windows-booted-at-minute-" + std::to_string(booted_ms / 60'000);
}

std::uint64_t SystemClock::monotonic_ns() const { return interrupt_time_ns(); }

std::int64_t SystemClock::wall_ms() const { return wall_ms_now(); }

}  // namespace vigil::time
