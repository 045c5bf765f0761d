#pragma once
// Everything about the candidate's operating system that Vigil needs, behind one small
// interface, so a Windows or macOS port is an implementation of these functions and nothing
// else (docs/PLATFORMS.md lists what each needs). The implementations are linux.cpp and
// windows.cpp (client/CMakeLists.txt picks one).
//
// Elsewhere behind their own seams: the OS's protection for the store key (secret.hpp: Secret
// Service on Linux, DPAPI on Windows), the clocks and boot id (shared/time/clock.hpp) and durable
// file writes (shared/core/file.hpp), both also used by the server.
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>

#include "shared/core/result.hpp"

namespace vigil::client::platform {

// Where the candidate's store lives. Linux: $XDG_DATA_HOME/vigil, else ~/.local/share/vigil.
// (Windows: %LOCALAPPDATA%\Vigil; macOS: ~/Library/Application Support/Vigil.)
std::filesystem::path default_data_dir();

// Where the installed program's read-only files are: the face model in models/, OpenCV's Haar
// cascades in haarcascades/. Linux: /usr/share/vigil (the package's; the Haar cascades are
// Debian's opencv-data, /usr/share/opencv4/haarcascades). Windows: the folder of the running
// executable (the installer puts them beside vigil-client.exe).
std::filesystem::path resource_dir();
std::filesystem::path haar_cascade_dir();

#ifdef _WIN32
// One argument quoted as CommandLineToArgvW (and the C runtime) split it back, for a command line
// given to CreateProcessW (the tests' process runner uses it too).
std::wstring quote_argument(const std::wstring& arg);
#endif

// Opens url in an app window of the system browser (no tabs, no address bar) and returns without
// waiting for it to close. Linux: the first of chromium, google-chrome, microsoft-edge found on
// PATH with --app=URL, else xdg-open. Errc::unavailable when nothing can show a web page; the
// caller then prints the address for the candidate to open.
Status open_app_window(const std::string& url);

// Free bytes on the filesystem holding path (for the system check). Linux statvfs; Windows
// GetDiskFreeSpaceExW (the bytes available to this user).
Result<std::uint64_t> free_disk_bytes(const std::filesystem::path& path);

// Camera number `index` as the candidate would name it, and whether it is connected (so "no
// camera" and "camera busy" get different advice). Linux: /dev/video<index>. Windows: "camera
// <index + 1>", connected when Windows lists that many video-camera interfaces
// (KSCATEGORY_VIDEO_CAMERA, the category Media Foundation enumerates on Windows 10 and 11).
struct CameraDevice {
  std::string name;
  bool connected = false;
};
CameraDevice camera_device(int index);

// This process's id (names the marker a refused second instance leaves).
std::uint64_t process_id();

// The operating system, for diagnostics: e.g. {"Linux", "6.1.0-18-amd64", "x86_64"} (uname) or
// {"Windows", "10.0.22631", "x86_64"} (RtlGetVersion, GetNativeSystemInfo).
struct OsDescription {
  std::string system;
  std::string release;
  std::string machine;
};
OsDescription os_description();

// One process per store (store invariant 5): an exclusive lock on a file, held until the
// InstanceLock is destroyed or the process ends, however it ends. Linux flock(LOCK_EX | LOCK_NB);
// Windows LockFileEx(LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY). A second lock on the
// same file, from this process or another, fails with Errc::busy.
class InstanceLock {
 public:
  InstanceLock() = default;
  InstanceLock(InstanceLock&& other) noexcept : handle_(std::exchange(other.handle_, k_none)) {}
  InstanceLock& operator=(InstanceLock&& other) noexcept {
    if (this != &other) {
      release();
      handle_ = std::exchange(other.handle_, k_none);
    }
    return *this;
  }
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;
  ~InstanceLock() { release(); }

  // Creates the file (owner-only) if needed and locks it. Errc::busy when it is locked already;
  // otherwise the OS's error as shared/core/file.hpp reports them (read_only, disk_full, io).
  static Result<InstanceLock> acquire(const std::filesystem::path& lock_file);
  bool held() const { return handle_ != k_none; }

 private:
  static constexpr std::intptr_t k_none = -1;  // a file descriptor, or a HANDLE on Windows
  explicit InstanceLock(std::intptr_t handle) : handle_(handle) {}
  void release() noexcept;
  std::intptr_t handle_ = k_none;
};

}  // namespace vigil::client::platform
