#pragma once
// What fuzz_api_records and make_fuzz_corpus agree on: the enrolled device the fuzzer speaks as
// (its id, certificate serial and fixed Ed25519 journal key, so seed batches with checkpoints
// verify), the blob the corpus uploads, and the input format.
//
// Input format: one request per input.
//   byte 0        selector: low nibble = route (k_routes below, modulo their number),
//                 high nibble = who is asking (0..12 the enrolled device, 13 no client
//                 certificate, 14 an unknown device, 15 a revoked device)
//   header block  "Name: value" lines up to the first "\n\n" (if there is no "\n\n", there are no
//                 headers and everything after byte 0 is the body). A line without ':' removes
//                 that header. Pseudo-headers choose parts of the target: ":session", ":blob",
//                 ":method", ":target".
//   body          the rest.
// Each route fills sensible defaults (Content-Type, and for PUT Upload-Offset 0, Upload-Length =
// body size, Chunk-SHA256 = SHA-256 of the body) that header lines override, so the fuzzer reaches
// the deep paths (chunk offsets, whole-blob hashes, journal verification) without having to guess
// a hash.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::fuzz {

inline constexpr std::string_view k_candidate = "cand-fuzz";
inline constexpr std::string_view k_device = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";
inline constexpr std::string_view k_device_serial = "0a0b0c";
inline constexpr std::string_view k_unknown_device = "ffffffffffffffffffffffffffffffff";
inline constexpr std::string_view k_revoked_device = "1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e";
inline constexpr std::string_view k_revoked_serial = "0d0e0f";
// The enrolled device's Ed25519 journal key seed (fixed, so the corpus's checkpoints verify).
inline constexpr std::uint8_t k_signing_seed_byte = 0x5A;

inline constexpr std::string_view k_session = "fz";
inline constexpr std::string_view k_session2 = "fz2";

enum Route : std::uint8_t {
  post_records_fz = 0,      // POST /v1/sessions/fz/records
  post_records_fz2 = 1,     // POST /v1/sessions/fz2/records
  post_records_named = 2,   // POST /v1/sessions/{:session}/records
  get_session_named = 3,    // GET  /v1/sessions/{:session}
  put_blob_known = 4,       // PUT  /v1/blobs/{sha of known_blob()}
  put_blob_self = 5,        // PUT  /v1/blobs/{sha of the body}
  put_blob_named = 6,       // PUT  /v1/blobs/{:blob}
  get_blob_named = 7,       // GET  /v1/blobs/{:blob}
  post_enrol = 8,           // POST /v1/enrol
  raw = 9,                  // {:method} {:target}
  k_routes = 10
};

enum Who : std::uint8_t { enrolled = 0, no_certificate = 13, unknown_device = 14, revoked_device = 15 };

// The blob the corpus uploads in three chunks (1000 + 1000 + 500 bytes).
inline std::string known_blob() {
  std::string s(2500, '\0');
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>((i * 31 + 7) % 256);
  return s;
}

inline std::string encode_input(Route route, Who who, const std::vector<std::pair<std::string, std::string>>& headers,
                                std::string_view body) {
  std::string out(1, static_cast<char>((static_cast<unsigned>(who) << 4) | static_cast<unsigned>(route)));
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (i > 0) out += "\n";
    out += headers[i].first + ": " + headers[i].second;
  }
  out += "\n\n";
  out += body;
  return out;
}

}  // namespace vigil::fuzz
