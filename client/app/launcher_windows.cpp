// Vigil.exe, the Windows Start-menu entry (issue 15): starts `vigil-client.exe start` beside it
// without a console window, so a candidate who clicks "Vigil assessment" sees only the
// assessment's app window. vigil-client.exe stays a console program for the command line and for
// support. Windows only (GUI subsystem, wWinMain).
#include <windows.h>

#include <string>

int WINAPI wWinMain(HINSTANCE, HINSTANCE, PWSTR, int) {
  std::wstring exe(32768, L'\0');
  const DWORD n = ::GetModuleFileNameW(nullptr, exe.data(), static_cast<DWORD>(exe.size()));
  if (n == 0 || n >= exe.size()) return 1;
  exe.resize(n);
  exe = exe.substr(0, exe.find_last_of(L"\\/") + 1) + L"vigil-client.exe";
  std::wstring cmd = L"\"" + exe + L"\" start";
  STARTUPINFOW si{};
  si.cb = sizeof si;
  PROCESS_INFORMATION pi{};
  if (!::CreateProcessW(exe.c_str(), cmd.data(), nullptr, nullptr, FALSE, CREATE_NO_WINDOW, nullptr, nullptr, &si, &pi)) {
    ::MessageBoxW(nullptr,
                  L"Vigil could not start. Please reinstall Vigil, or call the Vigil support line.",
                  L"Vigil", MB_OK | MB_ICONERROR);
    return 1;
  }
  ::CloseHandle(pi.hThread);
  ::CloseHandle(pi.hProcess);
  return 0;
}
