#pragma once
// Windows side of tests/support/process.hpp: CreateProcessW with the child's stdout and stderr on
// one pipe, read by a thread so that waits can be bounded (an anonymous pipe has no poll on
// Windows). Written by hand: Boost.Process 1.81 needs the compiled Boost.Filesystem, which the
// Windows build does not carry.
#include <windows.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "client/platform/platform.hpp"

namespace vigil::testing {

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

namespace detail {

// UTF-8 to UTF-16 through std::filesystem (a path made from char8_t text is read as UTF-8; one made
// from plain char text would be read in the ANSI code page).
inline std::wstring widen(const std::string& s) {
  return std::filesystem::path(std::u8string(s.begin(), s.end())).wstring();
}

}  // namespace detail

class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
    HANDLE read_end = nullptr;
    HANDLE write_end = nullptr;
    if (!::CreatePipe(&read_end, &write_end, &sa, 0)) throw std::runtime_error("CreatePipe failed");
    ::SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0);
    std::wstring cmd;
    for (const auto& a : args) cmd += (cmd.empty() ? L"" : L" ") + client::platform::quote_argument(detail::widen(a));
    STARTUPINFOW si{};
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = ::GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = write_end;
    si.hStdError = write_end;
    PROCESS_INFORMATION pi{};
    const std::wstring app = detail::widen(args.at(0));
    // Wine, with hundreds of short-lived processes behind it, now and then refuses a creation
    // for a moment; three tries, 100 ms apart, and then the error code is reported.
    BOOL ok = FALSE;
    DWORD error = 0;
    for (int attempt = 0; attempt < 3 && !ok; ++attempt) {
      if (attempt > 0) ::Sleep(100);
      ok = ::CreateProcessW(app.c_str(), cmd.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr, &si, &pi);
      if (!ok) error = ::GetLastError();
    }
    ::CloseHandle(write_end);
    if (!ok) {
      ::CloseHandle(read_end);
      throw std::runtime_error("CreateProcessW failed for " + args.at(0) + " (error " + std::to_string(error) + ")");
    }
    ::CloseHandle(pi.hThread);
    process_ = pi.hProcess;
    pid_ = pi.dwProcessId;
    reader_ = std::thread([this, read_end] {
      char buf[4096];
      DWORD n = 0;
      while (::ReadFile(read_end, buf, sizeof buf, &n, nullptr) && n > 0) {
        std::lock_guard lock(mutex_);
        buffer_.append(buf, n);
        changed_.notify_all();
      }
      ::CloseHandle(read_end);
      std::lock_guard lock(mutex_);
      eof_ = true;
      changed_.notify_all();
    });
  }
  ~Child() {
    if (process_ != nullptr) {
      ::TerminateProcess(process_, 137);
      ::WaitForSingleObject(process_, INFINITE);
    }
    // The pipe ends when the child and everything that inherited its end are gone.
    if (reader_.joinable()) reader_.join();
    if (process_ != nullptr) ::CloseHandle(process_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  std::optional<std::string> wait_for_line(const std::string& needle, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::unique_lock lock(mutex_);
    for (;;) {
      for (auto nl = buffer_.find('\n'); nl != std::string::npos; nl = buffer_.find('\n')) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        output_ += line + "\n";
        if (line.find(needle) != std::string::npos) return line;
      }
      if (eof_) return std::nullopt;
      if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) return std::nullopt;
    }
  }

  // Windows has no SIGTERM for a console program without a console of its own: the stop is
  // TerminateProcess, and the exit code the process would have given is not observable. `sig`
  // is accepted for the same call sites; returns -1 as the POSIX side does for a forced stop.
  int stop(int /*sig*/ = 15, std::chrono::milliseconds limit = std::chrono::milliseconds(15'000)) {
    if (process_ == nullptr) return -1;
    if (::WaitForSingleObject(process_, 0) == WAIT_OBJECT_0) return finish();
    ::TerminateProcess(process_, 137);
    ::WaitForSingleObject(process_, static_cast<DWORD>(limit.count()));
    finish();
    return -1;
  }

  // Kills at once (TerminateProcess: no clean-up runs, as in a crash; Wine ends the process with
  // SIGKILL), and returns true when it was still running until then.
  bool kill_now() {
    if (process_ == nullptr) return false;
    const bool running = ::WaitForSingleObject(process_, 0) == WAIT_TIMEOUT;
    ::TerminateProcess(process_, 137);
    ::WaitForSingleObject(process_, INFINITE);
    finish();
    if (reader_.joinable()) reader_.join();
    return running;
  }

  // Waits for the exit, bounded; the exit code, or nullopt when still running at the limit.
  std::optional<int> wait(std::chrono::milliseconds limit) {
    if (process_ == nullptr) return exit_code_;
    if (::WaitForSingleObject(process_, static_cast<DWORD>(limit.count())) != WAIT_OBJECT_0) return std::nullopt;
    return finish();
  }

  std::string all_output() {
    std::lock_guard lock(mutex_);
    return output_ + buffer_;
  }

  // Reads for `limit`, or until the child closes its output; returns false on end of output.
  bool read_for(std::chrono::microseconds limit) {
    std::unique_lock lock(mutex_);
    return !changed_.wait_for(lock, limit, [this] { return eof_; });
  }

  unsigned long pid() const { return pid_; }
  const std::string& output() const { return output_; }

 private:
  int finish() {
    DWORD code = 0;
    ::GetExitCodeProcess(process_, &code);
    ::CloseHandle(process_);
    process_ = nullptr;
    exit_code_ = static_cast<int>(code);
    return exit_code_;
  }

  HANDLE process_ = nullptr;
  unsigned long pid_ = 0;
  int exit_code_ = -1;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool eof_ = false;
  std::string buffer_;
  std::string output_;
};

// Runs args (args[0] is a path) to completion, bounded by `limit`.
inline RunResult run(const std::vector<std::string>& args, std::chrono::seconds limit = std::chrono::seconds(60)) {
  Child child(args);
  RunResult r;
  if (auto code = child.wait(limit)) {
    r.exit_code = *code;
  } else {
    child.kill_now();
  }
  child.read_for(std::chrono::seconds(5));  // the last output after the exit
  r.output = child.all_output();
  return r;
}

}  // namespace vigil::testing
