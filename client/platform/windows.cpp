// Windows implementation of client/platform/platform.hpp. Wide (W) functions and
// std::filesystem::path::wstring() throughout, never the narrow A functions, so a user name with
// any letters works.
#include "client/platform/platform.hpp"

#include <windows.h>

#include <cfgmgr32.h>
#include <shellapi.h>
#include <shlobj.h>

#include <array>
#include <cwchar>
#include <optional>
#include <vector>

#include "shared/core/file.hpp"

namespace vigil::client::platform {

namespace fs = std::filesystem;

namespace {

std::optional<fs::path> known_folder(REFKNOWNFOLDERID id) {
  PWSTR raw = nullptr;
  std::optional<fs::path> out;
  if (SUCCEEDED(SHGetKnownFolderPath(id, KF_FLAG_DEFAULT, nullptr, &raw)) && raw != nullptr && *raw != L'\0')
    out = fs::path(raw);
  CoTaskMemFree(raw);  // also when the call failed (documented: the buffer must be freed either way)
  return out;
}

// The App Paths registration Edge's installer writes (per machine, or per user for a user
// install): the default value is the full path of msedge.exe.
std::optional<fs::path> edge_from_app_paths() {
  for (HKEY root : {HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE}) {
    std::array<wchar_t, MAX_PATH * 2> buf{};
    DWORD size = static_cast<DWORD>(buf.size() * sizeof(wchar_t));
    if (RegGetValueW(root, L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\App Paths\\msedge.exe", nullptr,
                     RRF_RT_REG_SZ, nullptr, buf.data(), &size) == ERROR_SUCCESS) {
      return fs::path(buf.data());
    }
  }
  return std::nullopt;
}

std::optional<fs::path> find_edge() {
  std::vector<fs::path> candidates;
  if (auto p = edge_from_app_paths()) candidates.push_back(*p);
  for (REFKNOWNFOLDERID id : {FOLDERID_ProgramFilesX86, FOLDERID_ProgramFiles, FOLDERID_LocalAppData}) {
    if (auto dir = known_folder(id)) candidates.push_back(*dir / L"Microsoft" / L"Edge" / L"Application" / L"msedge.exe");
  }
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(c, ec)) return c;
  }
  return std::nullopt;
}

std::wstring widen(const std::string& utf8) {
  const int len = MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  std::wstring out(static_cast<std::size_t>(len), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), out.data(), len);
  return out;
}

// Starts exe with args and returns without waiting; no handle of ours is inherited.
bool spawn_detached(const fs::path& exe, const std::vector<std::wstring>& args) {
  std::wstring cmd = quote_argument(exe.wstring());
  for (const auto& a : args) cmd += L" " + quote_argument(a);
  STARTUPINFOW si{};
  si.cb = sizeof si;
  PROCESS_INFORMATION pi{};
  if (!CreateProcessW(exe.wstring().c_str(), cmd.data(), nullptr, nullptr, FALSE,
                      CREATE_NEW_PROCESS_GROUP | CREATE_UNICODE_ENVIRONMENT, nullptr, nullptr, &si, &pi)) {
    return false;
  }
  CloseHandle(pi.hThread);
  CloseHandle(pi.hProcess);
  return true;
}

}  // namespace

// One argument quoted as CommandLineToArgvW (and the C runtime) will split it back: backslashes
// are literal except before a quote, where they and the quote are escaped. Written here because
// Windows has no argv-taking process API; CreateProcessW takes one command line.
std::wstring quote_argument(const std::wstring& arg) {
  std::wstring out = L"\"";
  std::size_t backslashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    if (c == L'"') out.append(backslashes * 2 + 1, L'\\');
    else out.append(backslashes, L'\\');
    backslashes = 0;
    out.push_back(c);
  }
  out.append(backslashes * 2, L'\\');
  out.push_back(L'"');
  return out;
}

fs::path default_data_dir() {
  if (auto local = known_folder(FOLDERID_LocalAppData)) return *local / L"Vigil";
  return fs::path(L".vigil");
}

fs::path resource_dir() {
  std::wstring exe(32768, L'\0');
  const DWORD n = GetModuleFileNameW(nullptr, exe.data(), static_cast<DWORD>(exe.size()));
  if (n == 0 || n >= exe.size()) return fs::path(L".");
  exe.resize(n);
  return fs::path(exe).parent_path();
}

fs::path haar_cascade_dir() { return resource_dir() / L"haarcascades"; }

Status open_app_window(const std::string& url) {
  // Edge is part of Windows 10 and 11; --app gives a window without tabs or address bar.
  if (auto edge = find_edge()) {
    if (spawn_detached(*edge, {L"--app=" + widen(url), L"--new-window"})) return {};
  }
  // The default browser, in an ordinary window. ShellExecuteW reports success as a value > 32.
  const auto rc = reinterpret_cast<INT_PTR>(ShellExecuteW(nullptr, L"open", widen(url).c_str(), nullptr, nullptr, SW_SHOWNORMAL));
  if (rc > 32) return {};
  return fail(Errc::unavailable, "no web browser was found to open the assessment window");
}

Result<std::uint64_t> free_disk_bytes(const fs::path& path) {
  ULARGE_INTEGER available{};
  if (!GetDiskFreeSpaceExW(path.wstring().c_str(), &available, nullptr, nullptr))
    return fail(Errc::io, "cannot read the free space of " + path.string());
  return static_cast<std::uint64_t>(available.QuadPart);
}

CameraDevice camera_device(int index) {
  CameraDevice d{"camera " + std::to_string(index + 1), false};
  // KSCATEGORY_VIDEO_CAMERA (ksmedia.h; not in MinGW-w64's headers).
  GUID category = {0xE5323777, 0xF976, 0x4F5B, {0x9B, 0x55, 0xB9, 0x46, 0x99, 0xC4, 0x6E, 0x44}};
  ULONG len = 0;
  if (CM_Get_Device_Interface_List_SizeW(&len, &category, nullptr, CM_GET_DEVICE_INTERFACE_LIST_PRESENT) != CR_SUCCESS ||
      len <= 1)
    return d;
  std::vector<wchar_t> list(len);
  if (CM_Get_Device_Interface_ListW(&category, nullptr, list.data(), len, CM_GET_DEVICE_INTERFACE_LIST_PRESENT) !=
      CR_SUCCESS)
    return d;
  int count = 0;  // the list is NUL-separated and ends with an empty entry
  for (const wchar_t* p = list.data(); *p != L'\0'; p += std::wcslen(p) + 1) ++count;
  d.connected = index >= 0 && index < count;
  return d;
}

std::uint64_t process_id() { return GetCurrentProcessId(); }

OsDescription os_description() {
  // RtlGetVersion tells the truth; GetVersionExW reports 6.2 to programs without a manifest.
  OsDescription d{"Windows", "", ""};
  using RtlGetVersionFn = LONG(WINAPI*)(PRTL_OSVERSIONINFOW);
  if (HMODULE ntdll = GetModuleHandleW(L"ntdll.dll"); ntdll != nullptr) {
    if (FARPROC p = GetProcAddress(ntdll, "RtlGetVersion"); p != nullptr) {
      RTL_OSVERSIONINFOW v{};
      v.dwOSVersionInfoSize = sizeof v;
      if (reinterpret_cast<RtlGetVersionFn>(reinterpret_cast<void (*)()>(p))(&v) == 0) {
        d.release = std::to_string(v.dwMajorVersion) + "." + std::to_string(v.dwMinorVersion) + "." +
                    std::to_string(v.dwBuildNumber);
      }
    }
  }
  SYSTEM_INFO si{};
  GetNativeSystemInfo(&si);
  switch (si.wProcessorArchitecture) {
    case PROCESSOR_ARCHITECTURE_AMD64: d.machine = "x86_64"; break;
    case PROCESSOR_ARCHITECTURE_ARM64: d.machine = "arm64"; break;
    case PROCESSOR_ARCHITECTURE_INTEL: d.machine = "x86"; break;
    default: d.machine = "unknown"; break;
  }
  return d;
}

void InstanceLock::release() noexcept {
  if (handle_ == k_none) return;
  HANDLE h = reinterpret_cast<HANDLE>(handle_);
  OVERLAPPED ov{};
  UnlockFileEx(h, 0, MAXDWORD, MAXDWORD, &ov);
  CloseHandle(h);
  handle_ = k_none;
}

Result<InstanceLock> InstanceLock::acquire(const fs::path& lock_file) {
  // Not inheritable (no security attributes), so a browser we start never holds it.
  HANDLE h = CreateFileW(lock_file.wstring().c_str(), GENERIC_READ | GENERIC_WRITE,
                         FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_ALWAYS,
                         FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return fail(file_detail::last_os_error());
  InstanceLock lock(reinterpret_cast<std::intptr_t>(h));
  OVERLAPPED ov{};
  if (!LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, MAXDWORD, MAXDWORD, &ov)) {
    const DWORD err = GetLastError();
    if (err == ERROR_LOCK_VIOLATION || err == ERROR_IO_PENDING)
      return fail(Errc::busy, "another process holds " + lock_file.string());
    SetLastError(err);
    return fail(file_detail::last_os_error());
  }
  return lock;
}

}  // namespace vigil::client::platform
