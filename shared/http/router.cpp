#include "shared/http/router.hpp"

#include <algorithm>

namespace vigil::http {

bool plain_id(std::string_view s) noexcept {
  return !s.empty() && s.size() <= 128 && s != "." && s != ".." && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

std::optional<Captures> match(std::string_view pattern, const std::vector<std::string>& segments, CaptureRule rule) {
  Captures out;
  std::size_t i = 0;
  while (!pattern.empty()) {
    if (pattern.front() == '/') {
      pattern.remove_prefix(1);
      continue;
    }
    const auto piece = pattern.substr(0, pattern.find('/'));
    pattern.remove_prefix(piece.size());
    if (i == segments.size()) return std::nullopt;
    const std::string& seg = segments[i++];
    if (piece.size() >= 2 && piece.front() == '{' && piece.back() == '}') {
      if (!rule(seg)) return std::nullopt;
      out.emplace(std::string(piece.substr(1, piece.size() - 2)), seg);
    } else if (piece != seg) {
      return std::nullopt;
    }
  }
  if (i != segments.size()) return std::nullopt;
  return out;
}

}  // namespace vigil::http
