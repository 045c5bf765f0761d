#pragma once
// Small helpers shared by the benchmark programs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "shared/core/result.hpp"
#include "shared/protocol/http.hpp"

#include <sys/vfs.h>

namespace vigil::bench {

// The filesystem type holding p, by name where we know it ("ext4", "tmpfs", ...).
inline std::string fs_type(const std::filesystem::path& p) {
  struct statfs s {};
  if (::statfs(p.c_str(), &s) != 0) return "unknown";
  switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53: return "ext4";
    case 0x01021994: return "tmpfs";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x794c7630: return "overlayfs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(s.f_type));
      return buf;
    }
  }
}

// The value at fraction p (0..1) of v, nearest rank.
inline double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// The value, or "PROGRAM: WHAT: message" on stderr and exit 1 (a benchmark's set-up must not fail).
template <typename T>
T must(Result<T> r, const char* program, const char* what) {
  if (!r) {
    std::cerr << program << ": " << what << ": " << r.error().message << "\n";
    std::exit(1);
  }
  return std::move(*r);
}
inline void must(Status s, const char* program, const char* what) {
  if (!s) {
    std::cerr << program << ": " << what << ": " << s.error().message << "\n";
    std::exit(1);
  }
}

// GET target through handle (request -> response) with the given Cookie header: its time in ms,
// and the body's size in *bytes. Anything but 200 ends the benchmark.
template <typename Handle>
double timed_get(Handle&& handle, const char* program, const std::string& cookie, const std::string& target,
                 std::size_t* bytes) {
  protocol::HttpRequest r;
  r.method = "GET";
  r.target = target;
  r.headers["Cookie"] = cookie;
  const auto t0 = std::chrono::steady_clock::now();
  const auto res = handle(r);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (res.status != 200) {
    std::cerr << program << ": GET " << target << " answered " << res.status << ": " << res.body << "\n";
    std::exit(1);
  }
  if (bytes) *bytes = res.body.size();
  return ms;
}

}  // namespace vigil::bench
