#pragma once
// A fresh directory under the system temp dir, removed with everything in it on destruction.
#include <atomic>
#include <filesystem>
#include <random>
#include <string>

namespace vigil::testing {

class TempDir {
 public:
  TempDir() {
    // A random tag per process (not the pid: the same code runs on Windows) and a counter.
    static const std::string tag = std::to_string(std::random_device{}() & 0xffffffu);
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() / ("vigil-test-" + tag + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace vigil::testing
