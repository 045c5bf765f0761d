#include "shared/core/file.hpp"

#include <cerrno>
#include <fstream>
#include <iterator>

// The same on every OS; the operating-system calls are in file_posix.cpp and file_windows.cpp.
namespace vigil {

namespace fs = std::filesystem;

Status write_file_atomically(const fs::path& path, ByteView data) {
  const fs::path tmp = with_suffix(path, ".part");
  VIGIL_TRY(file_detail::write_synced(tmp, data, false));
  if (auto r = file_detail::replace_file(tmp, path); !r) {
    std::error_code ec;
    fs::remove(tmp, ec);
    return fail(Errc::io, "installing " + path.string() + ": " + r.error().message);
  }
  // The rename is durable only once the directory entry is (best effort: the data is in place).
  (void)sync_directory(path.has_parent_path() ? path.parent_path() : fs::path("."));
  return {};
}

Status write_new_file(const fs::path& path, ByteView data) {
  const fs::path tmp = with_suffix(path, ".tmp");
  std::error_code ignored;
  fs::remove(tmp, ignored);  // left by an interrupted earlier attempt
  VIGIL_TRY(file_detail::write_synced(tmp, data, true));
  if (auto r = install_new_file(tmp, path); !r) {
    std::error_code ec;
    fs::remove(tmp, ec);
    if (r.error().code == Errc::already_exists) return fail(Errc::already_exists, path.string() + " already exists");
    return fail(r.error().code, "installing " + path.string() + ": " + r.error().message);
  }
  const auto dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (auto s = sync_directory(dir); !s) return fail(s.error().code, "syncing " + dir.string() + ": " + s.error().message);
  return {};
}

fs::path with_suffix(const fs::path& path, std::string_view suffix) {
  fs::path out = path;
  out += fs::path(suffix);  // suffixes are ASCII, the same in every code page
  return out;
}

Result<std::string> read_whole_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::not_found, "cannot read " + path.string());
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return fail(Errc::io, "reading " + path.string() + " failed");
  return text;
}

Error file_error(const std::error_code& ec) {
  if (ec == std::errc::no_space_on_device) return Error(Errc::disk_full, ec.message());
#ifdef EDQUOT
  if (ec == std::error_code(EDQUOT, std::generic_category())) return Error(Errc::disk_full, ec.message());
#endif
  if (ec == std::errc::read_only_file_system || ec == std::errc::permission_denied ||
      ec == std::errc::operation_not_permitted)
    return Error(Errc::read_only, ec.message());
  if (ec == std::errc::file_exists) return Error(Errc::already_exists, ec.message());
  if (ec == std::errc::no_such_file_or_directory) return Error(Errc::not_found, ec.message());
  return Error(Errc::io, ec.message());
}

}  // namespace vigil
