// Linux implementation of client/platform/platform.hpp.
#include "client/platform/platform.hpp"

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "shared/core/file.hpp"

extern char** environ;

namespace vigil::client::platform {

namespace fs = std::filesystem;

fs::path resource_dir() { return fs::path("/usr/share/vigil"); }

fs::path haar_cascade_dir() { return fs::path("/usr/share/opencv4/haarcascades"); }

fs::path default_data_dir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') return fs::path(xdg) / "vigil";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return fs::path(home) / ".local/share/vigil";
  return fs::path(".vigil");
}

namespace {

std::optional<fs::path> find_on_path(std::string_view name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::string_view rest = path;
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const fs::path dir(std::string(rest.substr(0, colon)));
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    const fs::path candidate = dir / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

// Starts a detached child with stdin/stdout/stderr on /dev/null (the browser's chatter must not
// mix with ours, and it must not hold our terminal).
bool spawn_detached(const fs::path& exe, const std::vector<std::string>& args) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (int fd = 0; fd <= 2; ++fd) posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  std::vector<char*> argv;
  std::string exe_s = exe.string();
  argv.push_back(exe_s.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0;
}

}  // namespace

Status open_app_window(const std::string& url) {
  for (const char* browser : {"chromium", "google-chrome", "microsoft-edge"}) {
    if (auto exe = find_on_path(browser)) {
      if (spawn_detached(*exe, {"--app=" + url, "--new-window"})) return {};
    }
  }
  if (auto exe = find_on_path("xdg-open")) {
    if (spawn_detached(*exe, {url})) return {};
  }
  return fail(Errc::unavailable, "no web browser was found to open the assessment window");
}

Result<std::uint64_t> free_disk_bytes(const fs::path& path) {
  struct statvfs vfs {};
  if (statvfs(path.c_str(), &vfs) != 0) return fail(Errc::io, "cannot read the free space of " + path.string());
  return static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
}

CameraDevice camera_device(int index) {
  CameraDevice d{"/dev/video" + std::to_string(index), false};
  std::error_code ec;
  d.connected = fs::exists(d.name, ec);
  return d;
}

std::uint64_t process_id() { return static_cast<std::uint64_t>(::getpid()); }

OsDescription os_description() {
  struct utsname u {};
  if (::uname(&u) != 0) return {"Linux", "", ""};
  return {u.sysname, u.release, u.machine};
}

void InstanceLock::release() noexcept {
  if (handle_ != k_none) ::close(static_cast<int>(handle_));  // releases the flock
  handle_ = k_none;
}

Result<InstanceLock> InstanceLock::acquire(const fs::path& lock_file) {
  const int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(file_detail::last_os_error());
  InstanceLock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return fail(Errc::busy, "another process holds " + lock_file.string());
    return fail(file_detail::last_os_error());
  }
  return lock;
}

}  // namespace vigil::client::platform
