#include "shared/core/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

// POSIX (Linux and macOS). The Windows client needs the same contract with ReplaceFileW and
// FlushFileBuffers (docs/PLATFORMS.md).
namespace vigil {

namespace fs = std::filesystem;

Status write_file_atomically(const fs::path& path, ByteView data) {
  const fs::path tmp = path.string() + ".part";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Errc::io, "creating " + tmp.string() + ": " + std::strerror(errno));
  const auto abandon = [&](Errc code, const std::string& what, int e) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail(code, what + " " + tmp.string() + ": " + std::strerror(e));
  };
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t w = ::write(fd, data.data() + done, data.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return abandon(errno == ENOSPC ? Errc::disk_full : Errc::io, "writing", errno);
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(fd) != 0) return abandon(Errc::io, "syncing", errno);
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return fail(Errc::io, "closing " + tmp.string() + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return fail(Errc::io, "installing " + path.string() + ": " + std::strerror(e));
  }
  // The rename is durable only once the directory entry is.
  const auto dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

Result<std::string> read_whole_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::not_found, "cannot read " + path.string());
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return fail(Errc::io, "reading " + path.string() + " failed");
  return text;
}

}  // namespace vigil
