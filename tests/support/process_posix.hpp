#pragma once
// POSIX side of tests/support/process.hpp (fork, pipes, signals).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <csignal>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace vigil::testing {

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

inline pid_t spawn(const std::vector<std::string>& args, int out_fd) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(out_fd, 1);
    ::dup2(out_fd, 2);
    // Nothing else of the test's (sockets, other children's pipes) leaks into the child, where it
    // would keep connections and pipes open after the test closed its own end.
    ::close_range(3, ~0U, 0);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Runs args (args[0] is a path) to completion, bounded by `limit`.
inline RunResult run(const std::vector<std::string>& args, std::chrono::seconds limit = std::chrono::seconds(60)) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = spawn(args, fds[1]);
  ::close(fds[1]);
  RunResult r;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    r.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    pid_ = spawn(args, fds[1]);
    ::close(fds[1]);
    fd_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) ::close(fd_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The first output line containing `needle`, or nullopt after `limit`.
  std::optional<std::string> wait_for_line(const std::string& needle, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      for (auto nl = buffer_.find('\n'); nl != std::string::npos; nl = buffer_.find('\n')) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        output_ += line + "\n";
        if (line.find(needle) != std::string::npos) return line;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      if (read_once(deadline) == Read::end) return std::nullopt;
    }
  }

  // Sends sig and returns at once.
  void signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }

  // Sends sig and waits (bounded) for the exit; returns the exit code, or -1 if it had to be killed.
  int stop(int sig = SIGTERM, std::chrono::milliseconds limit = std::chrono::milliseconds(15'000)) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      ::usleep(10'000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return -1;
  }

  // Kills at once (SIGKILL: no clean-up runs, as in a crash or power cut), reads what the child had
  // written, and returns true when it was still running until then.
  bool kill_now() {
    if (pid_ <= 0) return false;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd_, buf, sizeof buf)) > 0;) buffer_.append(buf, static_cast<std::size_t>(n));
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  }

  // Everything read so far, whole lines or not (wait_for_line's lines and what follows them).
  std::string all_output() const { return output_ + buffer_; }

  // Reads for `limit`, or until the child closes its output; returns false on end of output.
  bool read_for(std::chrono::microseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      switch (read_once(deadline)) {
        case Read::data: break;
        case Read::timeout: return true;
        case Read::end: return false;
      }
    }
  }

  pid_t pid() const { return pid_; }
  const std::string& output() const { return output_; }

 private:
  enum class Read { data, timeout, end };
  // One poll, bounded by `deadline`, and one read into buffer_ when there is something to read.
  Read read_once(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0))) <= 0) return Read::timeout;
    char buf[4096];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return Read::end;
    buffer_.append(buf, static_cast<std::size_t>(n));
    return Read::data;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buffer_;
  std::string output_;
};

}  // namespace vigil::testing
