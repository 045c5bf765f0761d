#pragma once
// Checks and input helpers the decoder and API targets share. A failed check prints what failed
// and aborts, which libFuzzer reports as a crash and keeps the input for.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "shared/core/result.hpp"
#include "shared/core/utf8.hpp"

namespace vigil::fuzz {

[[noreturn]] inline void fail_check(std::string_view target, std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "\n%.*s: %.*s\n%.*s\n", static_cast<int>(target.size()), target.data(), static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// A refusal is a value with a message a person (and JSON) can carry.
inline void check_error(std::string_view target, const Error& e) {
  if (e.message.empty() || !is_valid_utf8(e.message)) fail_check(target, "an error without a UTF-8 message", e.describe());
}

// {"error":{"code":...,"message":"non-empty"}}, the error body of every API.
inline bool is_error_body(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return false;
  const auto& e = j["error"];
  return e.contains("code") && e.contains("message") && e["message"].is_string() && !e["message"].get<std::string>().empty();
}

// The raw routes' request line: "METHOD TARGET\n" at the start of the body, which is left with
// what follows the line. nullopt when the line has no space.
struct RequestLine {
  std::string method;
  std::string target;
};
inline std::optional<RequestLine> take_request_line(std::string_view& body) {
  const auto nl = body.find('\n');
  const std::string_view line = body.substr(0, nl);
  const auto sp = line.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  RequestLine out{std::string(line.substr(0, sp)), std::string(line.substr(sp + 1))};
  body = nl == std::string_view::npos ? std::string_view{} : body.substr(nl + 1);
  return out;
}

// The API targets' input: byte 0 = route (low nibble) | who asks (high nibble, modulo `whos`),
// then the body. An empty input is nullopt.
struct ApiInput {
  unsigned route = 0;
  unsigned who = 0;
  std::string_view body;
};
inline std::optional<ApiInput> split_api_input(const std::uint8_t* data, std::size_t size, unsigned whos) {
  if (size == 0) return std::nullopt;
  return ApiInput{data[0] & 0x0fu, (data[0] >> 4u) % whos, std::string_view(reinterpret_cast<const char*>(data + 1), size - 1)};
}

}  // namespace vigil::fuzz
