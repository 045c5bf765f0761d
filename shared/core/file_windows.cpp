// Windows half of shared/core/file.hpp. Wide (W) functions only, so paths with any letters work.
// Files are not given their own ACL: they live in the user's profile (%LOCALAPPDATA%), whose
// inherited ACL already gives only this user (and SYSTEM and administrators) access.
#include <windows.h>

#include <algorithm>
#include <string>

#include "shared/core/file.hpp"

namespace vigil {

namespace fs = std::filesystem;

namespace {

// The system's words for a Win32 error, as UTF-8.
std::string win32_text(DWORD err) {
  wchar_t* buf = nullptr;
  const DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                                 nullptr, err, 0, reinterpret_cast<wchar_t*>(&buf), 0, nullptr);
  std::wstring w = n > 0 ? std::wstring(buf, n) : std::wstring();
  if (buf != nullptr) LocalFree(buf);
  while (!w.empty() && (w.back() == L'\n' || w.back() == L'\r' || w.back() == L' ' || w.back() == L'.')) w.pop_back();
  if (w.empty()) return "Windows error " + std::to_string(err);
  const int len = WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<std::size_t>(len), '\0');
  WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), out.data(), len, nullptr, nullptr);
  return out;
}

Errc errc_from_win32(DWORD err) {
  switch (err) {
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL: return Errc::disk_full;
    case ERROR_ACCESS_DENIED:
    case ERROR_WRITE_PROTECT: return Errc::read_only;
    case ERROR_FILE_EXISTS:
    case ERROR_ALREADY_EXISTS: return Errc::already_exists;
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND: return Errc::not_found;
    default: return Errc::io;
  }
}

tl::unexpected<Error> os_fail(DWORD err) { return fail(errc_from_win32(err), win32_text(err)); }

// A handle closed when it goes out of scope.
struct File {
  HANDLE h = INVALID_HANDLE_VALUE;
  explicit File(HANDLE handle) : h(handle) {}
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File() {
    if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
  }
  bool ok() const { return h != INVALID_HANDLE_VALUE; }
};

HANDLE open_file(const fs::path& p, DWORD access, DWORD disposition) {
  return CreateFileW(p.wstring().c_str(), access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                     disposition, FILE_ATTRIBUTE_NORMAL, nullptr);
}

}  // namespace

namespace file_detail {

Status write_synced(const fs::path& tmp, ByteView data, bool exclusive) {
  {
    File f(open_file(tmp, GENERIC_WRITE, exclusive ? CREATE_NEW : CREATE_ALWAYS));
    if (!f.ok()) {
      const DWORD err = GetLastError();
      return fail(exclusive ? errc_from_win32(err) : Errc::io, "creating " + tmp.string() + ": " + win32_text(err));
    }
    const auto abandon = [&](Errc code, const std::string& what, DWORD err) {
      CloseHandle(f.h);
      f.h = INVALID_HANDLE_VALUE;
      DeleteFileW(tmp.wstring().c_str());
      return fail(code, what + " " + tmp.string() + ": " + win32_text(err));
    };
    std::size_t done = 0;
    while (done < data.size()) {
      const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(data.size() - done, 1u << 30));
      DWORD written = 0;
      if (!WriteFile(f.h, data.data() + done, chunk, &written, nullptr)) {
        const DWORD err = GetLastError();
        return abandon(errc_from_win32(err) == Errc::disk_full ? Errc::disk_full : Errc::io, "writing", err);
      }
      done += written;
    }
    if (!FlushFileBuffers(f.h)) {
      const DWORD err = GetLastError();
      return abandon(errc_from_win32(err) == Errc::disk_full ? Errc::disk_full : Errc::io, "syncing", err);
    }
  }
  return {};
}

Status replace_file(const fs::path& from, const fs::path& to) {
  if (!MoveFileExW(from.wstring().c_str(), to.wstring().c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
    return os_fail(GetLastError());
  return {};
}

Error last_os_error() { return os_fail(GetLastError()).value(); }

}  // namespace file_detail

Status create_private_file(const fs::path& path, bool truncate) {
  File f(open_file(path, GENERIC_WRITE, truncate ? CREATE_ALWAYS : OPEN_ALWAYS));
  if (!f.ok()) return os_fail(GetLastError());
  return {};
}

Status make_private(const fs::path&) { return {}; }

Status sync_file(const fs::path& path) {
  File f(open_file(path, GENERIC_WRITE, OPEN_EXISTING));
  if (!f.ok()) return os_fail(GetLastError());
  if (!FlushFileBuffers(f.h)) return os_fail(GetLastError());
  return {};
}

Status sync_directory(const fs::path&) { return {}; }

Status install_new_file(const fs::path& from, const fs::path& to) {
  // Without MOVEFILE_REPLACE_EXISTING the move fails with ERROR_ALREADY_EXISTS if `to` exists.
  if (!MoveFileExW(from.wstring().c_str(), to.wstring().c_str(), MOVEFILE_WRITE_THROUGH)) return os_fail(GetLastError());
  return {};
}

Status check_writable_directory(const fs::path& dir) {
  const DWORD attrs = GetFileAttributesW(dir.wstring().c_str());
  if (attrs == INVALID_FILE_ATTRIBUTES) return os_fail(GetLastError());
  if ((attrs & FILE_ATTRIBUTE_DIRECTORY) == 0) return fail(Errc::io, "not a folder");
  // FILE_ATTRIBUTE_READONLY on a folder is only a hint to Explorer; ACLs decide, and creating the
  // lock file next reports a denial precisely.
  return {};
}

Result<std::optional<std::size_t>> read_private_file(const fs::path& path, std::span<std::uint8_t> into) {
  const DWORD attrs = GetFileAttributesW(path.wstring().c_str());
  if (attrs == INVALID_FILE_ATTRIBUTES) {
    const DWORD err = GetLastError();
    if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND) return std::optional<std::size_t>{};
    return fail(errc_from_win32(err), win32_text(err));
  }
  if ((attrs & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)) != 0) return fail(Errc::not_a_store, "not a regular file");
  File f(CreateFileW(path.wstring().c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                     FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
  if (!f.ok()) return os_fail(GetLastError());
  std::size_t done = 0;
  while (done < into.size()) {
    DWORD got = 0;
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(into.size() - done, 1u << 30));
    if (!ReadFile(f.h, into.data() + done, chunk, &got, nullptr)) return os_fail(GetLastError());
    if (got == 0) break;
    done += got;
  }
  return std::optional<std::size_t>{done};
}

}  // namespace vigil
