// POSIX (Linux, macOS) half of shared/core/file.hpp.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shared/core/file.hpp"

namespace vigil {

namespace fs = std::filesystem;

namespace {

Errc errc_from_errno(int e) {
  switch (e) {
    case ENOSPC:
    case EDQUOT: return Errc::disk_full;
    case EROFS:
    case EACCES:
    case EPERM: return Errc::read_only;
    case EEXIST: return Errc::already_exists;
    case ENOENT: return Errc::not_found;
    default: return Errc::io;
  }
}

Errc full_or_io(int e) { return errc_from_errno(e) == Errc::disk_full ? Errc::disk_full : Errc::io; }

tl::unexpected<Error> os_fail(int e) { return fail(errc_from_errno(e), std::strerror(e)); }

// Opens, fsyncs and closes p (a directory when directory is set).
Status fsync_path(const fs::path& p, bool directory) {
  const int fd = ::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return os_fail(errno);
  const int rc = ::fsync(fd);
  const int e = errno;
  ::close(fd);
  if (rc != 0) return os_fail(e);
  return {};
}

}  // namespace

namespace file_detail {

Status write_synced(const fs::path& tmp, ByteView data, bool exclusive) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC), 0600);
  if (fd < 0) return fail(exclusive ? errc_from_errno(errno) : Errc::io, "creating " + tmp.string() + ": " + std::strerror(errno));
  const auto abandon = [&](Errc code, const std::string& what, int e) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail(code, what + " " + tmp.string() + ": " + std::strerror(e));
  };
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t w = ::write(fd, data.data() + done, data.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return abandon(full_or_io(errno), "writing", errno);
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(fd) != 0) return abandon(full_or_io(errno), "syncing", errno);
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return fail(Errc::io, "closing " + tmp.string() + ": " + std::strerror(errno));
  }
  return {};
}

Status replace_file(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return os_fail(errno);
  return {};
}

Error last_os_error() { return os_fail(errno).value(); }

}  // namespace file_detail

Status create_private_file(const fs::path& path, bool truncate) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0600);
  if (fd < 0) return os_fail(errno);
  ::close(fd);
  return {};
}

Status make_private(const fs::path& path) {
  if (::chmod(path.c_str(), 0600) != 0) return os_fail(errno);
  return {};
}

Status sync_file(const fs::path& path) { return fsync_path(path, false); }

Status sync_directory(const fs::path& dir) { return fsync_path(dir, true); }

Status install_new_file(const fs::path& from, const fs::path& to) {
  // link() never replaces an existing file, unlike rename().
  if (::link(from.c_str(), to.c_str()) != 0) return os_fail(errno);
  ::unlink(from.c_str());
  return {};
}

Status check_writable_directory(const fs::path& dir) {
  if (::access(dir.c_str(), W_OK) != 0) return os_fail(errno);
  return {};
}

Result<std::optional<std::size_t>> read_private_file(const fs::path& path, std::span<std::uint8_t> into) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::size_t>{};
    return fail(errc_from_errno(errno), std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(Errc::not_a_store, "not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return fail(Errc::forbidden, "other users can read it");
  }
  ssize_t n = 0;
  do {
    n = ::read(fd, into.data(), into.size());
  } while (n < 0 && errno == EINTR);
  const int e = errno;
  ::close(fd);
  if (n < 0) return fail(Errc::io, std::strerror(e));
  return std::optional<std::size_t>{static_cast<std::size_t>(n)};
}

}  // namespace vigil
