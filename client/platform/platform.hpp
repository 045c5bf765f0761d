#pragma once
// Everything about the candidate's operating system that Vigil needs, behind one small
// interface, so a Windows or macOS port is an implementation of these functions and nothing
// else (docs/PLATFORMS.md lists what each needs). The Linux implementation is linux.cpp.
//
// Elsewhere already behind their own seams: the store key (client/store/key_store.hpp: Secret
// Service or a 0600 file; DPAPI and Keychain to do) and the clocks and boot id
// (shared/time/clock.hpp: CLOCK_BOOTTIME and /proc boot_id; QueryUnbiasedInterruptTime and
// mach_continuous_time to do).
#include <cstdint>
#include <filesystem>
#include <string>

#include "shared/core/result.hpp"

namespace vigil::client::platform {

// Where the candidate's store lives. Linux: $XDG_DATA_HOME/vigil, else ~/.local/share/vigil.
// (Windows: %LOCALAPPDATA%\Vigil; macOS: ~/Library/Application Support/Vigil.)
std::filesystem::path default_data_dir();

// Opens url in an app window of the system browser (no tabs, no address bar) and returns without
// waiting for it to close. Linux: the first of chromium, google-chrome, microsoft-edge found on
// PATH with --app=URL, else xdg-open. Errc::unavailable when nothing can show a web page; the
// caller then prints the address for the candidate to open.
Status open_app_window(const std::string& url);

// Free bytes on the filesystem holding path (for the system check).
Result<std::uint64_t> free_disk_bytes(const std::filesystem::path& path);

}  // namespace vigil::client::platform
