// The server API as a pure function (srv::Api::handle), fed bad and hostile input: every refusal
// has the documented HTTP status and error code (and field), and leaves nothing half-written.
// No sockets: a real SqliteRepository in a temp dir, real keys from init_server_home, and a device
// row inserted directly so a test can act as an enrolled device without the client library
// (tests/support/device_api.hpp). This file: blob uploads and routing.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "server/device/api.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/pki.hpp"
#include "shared/journal/journal.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"
#include "shared/time/clock.hpp"
#include "tests/support/device_api.hpp"

using namespace vigil;
using namespace vigil::testing::server_test;
using namespace vigil::testing::device_api;

// ---- blobs --------------------------------------------------------------------------------------

namespace {

struct Chunk {
  std::uint64_t offset;
  std::string data;
};

HttpRequest put_chunk(const std::string& sha_hex, std::uint64_t offset, std::uint64_t length, const std::string& data) {
  HttpRequest r = make_request("PUT", "/v1/blobs/" + sha_hex, data, "application/octet-stream");
  r.headers["Upload-Offset"] = std::to_string(offset);
  r.headers["Upload-Length"] = std::to_string(length);
  r.headers["Chunk-SHA256"] = to_hex(crypto::sha256(as_bytes(data)));
  return r;
}

protocol::BlobStatus blob_status(const HttpResponse& r) {
  auto b = protocol::parse_blob_status(r.body);
  if (!b) FAIL("not a blob status: " << r.body);
  return *b;
}

std::string pattern(std::size_t n, char seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + static_cast<char>(i * 7 % 251));
  return s;
}

}  // namespace

TEST_CASE("blobs: malformed uploads are refused and leave the stored offset where it was") {
  Server s;
  const Device d = add_device(s);
  const std::string data = pattern(3000, 'a');
  const std::string sha = to_hex(crypto::sha256(as_bytes(data)));
  const std::string c1 = data.substr(0, 1000), c2 = data.substr(1000, 1000), c3 = data.substr(2000);
  const auto offset_now = [&] {
    const auto r = s.handle(get("/v1/blobs/" + sha), d.peer());
    REQUIRE(r.status == 200);
    return blob_status(r).offset;
  };

  // The first chunk is held, so each refusal below must leave the offset at 1000.
  REQUIRE(s.handle(put_chunk(sha, 0, 3000, c1), d.peer()).status == 200);
  REQUIRE(offset_now() == 1000);

  SECTION("wrong Content-Type") {
    auto r = put_chunk(sha, 1000, 3000, c2);
    r.headers["Content-Type"] = "application/json";
    CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "Content-Type");
    r.headers.erase("Content-Type");
    CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "Content-Type");
  }
  SECTION("missing or malformed Upload-Offset") {
    for (const std::string bad : {"", "-1", "abc", "1e3", " 1000", "+1000", "0x10", "12345678901234567890"}) {
      INFO("Upload-Offset '" << bad << "'");
      auto r = put_chunk(sha, 1000, 3000, c2);
      if (bad.empty()) {
        r.headers.erase("Upload-Offset");
      } else {
        r.headers["Upload-Offset"] = bad;
      }
      CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "Upload-Offset");
    }
  }
  SECTION("missing, malformed, zero or oversized Upload-Length") {
    for (const std::string bad : {"", "x", "-3000", "3000.0"}) {
      INFO("Upload-Length '" << bad << "'");
      auto r = put_chunk(sha, 1000, 3000, c2);
      if (bad.empty()) {
        r.headers.erase("Upload-Length");
      } else {
        r.headers["Upload-Length"] = bad;
      }
      CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "Upload-Length");
    }
    const std::string fresh = to_hex(crypto::sha256(as_bytes("fresh")));
    CHECK_ERROR(s.handle(put_chunk(fresh, 0, 0, "fresh"), d.peer()), 400, "invalid_argument", "Upload-Length");
    CHECK_ERROR(s.handle(put_chunk(fresh, 0, protocol::k_max_blob_bytes + 1, "fresh"), d.peer()), 400, "invalid_argument",
                "Upload-Length");
    CHECK(s.repo->blob(d.id, crypto::sha256(as_bytes("fresh"))).value() == std::nullopt);
  }
  SECTION("missing or malformed Chunk-SHA256") {
    auto r = put_chunk(sha, 1000, 3000, c2);
    r.headers.erase("Chunk-SHA256");
    CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "Chunk-SHA256");
    std::string upper = to_hex(crypto::sha256(as_bytes(c2)));
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    r.headers["Chunk-SHA256"] = upper;
    CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "Chunk-SHA256");
    r.headers["Chunk-SHA256"] = "abc";
    CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "Chunk-SHA256");
  }
  SECTION("a malformed blob name in the path") {
    CHECK_ERROR(s.handle(put_chunk(sha.substr(1), 1000, 3000, c2), d.peer()), 400, "invalid_argument", "sha256");
    CHECK_ERROR(s.handle(get("/v1/blobs/" + std::string(64, 'G')), d.peer()), 400, "invalid_argument", "sha256");
  }
  SECTION("an empty chunk") {
    CHECK_ERROR(s.handle(put_chunk(sha, 1000, 3000, ""), d.peer()), 400, "invalid_argument", "body");
  }
  SECTION("a chunk at the wrong offset: 409, field Upload-Offset") {
    CHECK_ERROR(s.handle(put_chunk(sha, 2000, 3000, c3), d.peer()), 409, "conflict", "Upload-Offset");
    CHECK_ERROR(s.handle(put_chunk(sha, 0, 3000, c1), d.peer()), 409, "conflict", "Upload-Offset");
  }
  SECTION("a chunk that does not match its Chunk-SHA256: 422") {
    auto r = put_chunk(sha, 1000, 3000, c2);
    r.body[5] = static_cast<char>(r.body[5] ^ 0x20);
    CHECK_ERROR(s.handle(r, d.peer()), 422, "integrity", "Chunk-SHA256");
  }
  SECTION("a chunk that runs past Upload-Length: 400") {
    CHECK_ERROR(s.handle(put_chunk(sha, 1000, 3000, c2 + c3 + "x"), d.peer()), 400, "invalid_argument", "Upload-Offset");
    CHECK_ERROR(s.handle(put_chunk(sha, 3001, 3000, "x"), d.peer()), 400, "invalid_argument", "Upload-Offset");
    CHECK_ERROR(s.handle(put_chunk(sha, UINT64_MAX / 2, 3000, "x"), d.peer()), 400, "invalid_argument", "Upload-Offset");
  }
  SECTION("Upload-Length changed between chunks: 409") {
    CHECK_ERROR(s.handle(put_chunk(sha, 1000, 3001, c2), d.peer()), 409, "conflict", "Upload-Length");
  }
  SECTION("other methods on a blob") {
    auto r = put_chunk(sha, 1000, 3000, c2);
    r.method = "POST";
    CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "");
    r.method = "DELETE";
    CHECK_ERROR(s.handle(r, d.peer()), 400, "invalid_argument", "");
  }
  CHECK(offset_now() == 1000);
  const auto row = s.repo->blob(d.id, crypto::sha256(as_bytes(data))).value();
  REQUIRE(row);
  CHECK(row->size == 3000);
  CHECK(row->received == 1000);
  CHECK_FALSE(row->complete);
}

TEST_CASE("blobs: an upload whose whole hash does not match is discarded: 422 and the offset back to 0") {
  Server s;
  const Device d = add_device(s);
  const std::string data = pattern(3000, 'a');
  const std::string claimed = to_hex(crypto::sha256(as_bytes("something else entirely")));
  REQUIRE(s.handle(put_chunk(claimed, 0, 3000, data.substr(0, 1000)), d.peer()).status == 200);
  REQUIRE(s.handle(put_chunk(claimed, 1000, 3000, data.substr(1000, 1000)), d.peer()).status == 200);
  CHECK_ERROR(s.handle(put_chunk(claimed, 2000, 3000, data.substr(2000)), d.peer()), 422, "integrity", "sha256");

  const auto st = s.handle(get("/v1/blobs/" + claimed), d.peer());
  REQUIRE(st.status == 200);
  CHECK(blob_status(st).offset == 0);
  CHECK_FALSE(blob_status(st).complete);
  const auto row = s.repo->blob(d.id, from_hex(claimed).value()).value();
  REQUIRE(row);
  CHECK(row->received == 0);
  CHECK_FALSE(row->complete);
  // The upload starts over from 0 (and the last chunk alone is refused at its old offset).
  CHECK_ERROR(s.handle(put_chunk(claimed, 2000, 3000, data.substr(2000)), d.peer()), 409, "conflict", "Upload-Offset");
  CHECK(s.handle(put_chunk(claimed, 0, 3000, data.substr(0, 1000)), d.peer()).status == 200);

  SECTION("a single-chunk upload whose hash does not match leaves no blob") {
    const std::string other = to_hex(crypto::sha256(as_bytes("not this")));
    CHECK_ERROR(s.handle(put_chunk(other, 0, 5, "hello"), d.peer()), 422, "integrity", "sha256");
    const auto r = s.handle(get("/v1/blobs/" + other), d.peer());
    CHECK(blob_status(r).offset == 0);
    CHECK_FALSE(blob_status(r).complete);
  }
}

TEST_CASE("blobs: a correct upload in 3 chunks, resumed from the server's offset, completes") {
  Server s;
  const Device d = add_device(s);
  const std::string data = pattern(2500, 'k');
  const std::string sha = to_hex(crypto::sha256(as_bytes(data)));

  auto st = blob_status(s.handle(get("/v1/blobs/" + sha), d.peer()));
  CHECK(st.offset == 0);
  CHECK(st.size == 0);
  CHECK_FALSE(st.complete);

  std::uint64_t offset = 0;
  for (int i = 0; i < 3; ++i) {
    const auto at = blob_status(s.handle(get("/v1/blobs/" + sha), d.peer()));
    CHECK(at.offset == offset);
    offset = at.offset;
    const std::string chunk = data.substr(offset, 1000);
    const auto r = s.handle(put_chunk(sha, offset, data.size(), chunk), d.peer());
    REQUIRE(r.status == 200);
    const auto after = blob_status(r);
    CHECK(after.offset == offset + chunk.size());
    CHECK(after.size == data.size());
    CHECK(after.complete == (i == 2));
    offset = after.offset;
  }
  st = blob_status(s.handle(get("/v1/blobs/" + sha), d.peer()));
  CHECK(st.complete);
  CHECK(st.offset == 2500);
  CHECK(st.size == 2500);
  const auto row = s.repo->blob(d.id, crypto::sha256(as_bytes(data))).value();
  REQUIRE(row);
  CHECK(as_chars(s.repo->read_blob(*row, 0, 2500).value()) == data);

  // A resend after a lost response is answered with the complete status, not an error.
  const auto again = s.handle(put_chunk(sha, 2000, data.size(), data.substr(2000)), d.peer());
  CHECK(again.status == 200);
  CHECK(blob_status(again).complete);

  // Blobs are per device: another device sees nothing of it.
  const Device other = add_device(s, "fedcba9876543210fedcba9876543210", "beef");
  CHECK(blob_status(s.handle(get("/v1/blobs/" + sha), other.peer())).offset == 0);
}

TEST_CASE("blobs: a device over its upload allowance gets 507, and nothing is allocated") {
  srv::ApiConfig config;
  config.device_blob_quota_bytes = 4000;
  Server s(config);
  const Device d = add_device(s);
  const std::string first = pattern(3000, 'a');
  REQUIRE(s.handle(put_chunk(to_hex(crypto::sha256(as_bytes(first))), 0, 3000, first.substr(0, 1000)), d.peer()).status == 200);

  const std::string big = pattern(1001, 'b');
  const std::string big_sha = to_hex(crypto::sha256(as_bytes(big)));
  CHECK_ERROR(s.handle(put_chunk(big_sha, 0, 1001, big), d.peer()), 507, "disk_full", "Upload-Length");
  CHECK(s.repo->blob(d.id, crypto::sha256(as_bytes(big))).value() == std::nullopt);
  const auto st = blob_status(s.handle(get("/v1/blobs/" + big_sha), d.peer()));
  CHECK(st.size == 0);
  CHECK(st.offset == 0);

  // Exactly up to the allowance is fine; the allowance is per device.
  const std::string fits = pattern(1000, 'c');
  CHECK(s.handle(put_chunk(to_hex(crypto::sha256(as_bytes(fits))), 0, 1000, fits), d.peer()).status == 200);
  const Device other = add_device(s, "fedcba9876543210fedcba9876543210", "beef");
  CHECK(s.handle(put_chunk(big_sha, 0, 1001, big), other.peer()).status == 200);
}

// ---- routing ------------------------------------------------------------------------------------

TEST_CASE("routing: unknown endpoints are 404, wrong methods 400") {
  Server s;
  const Device d = add_device(s);
  for (const std::string target : {"/", "", "/v1", "/v1/", "/v2/health", "/v1/nope", "/v1/sessions",
                                   "/v1/sessions/s/records/extra", "/v1/sessions/s/other", "/v1/blobs",
                                   "/v1/blobs/a/b", "/v1/health/x", "health"}) {
    INFO("GET " << target);
    CHECK_ERROR(s.handle(get(target), d.peer()), 404, "not_found", "");
  }
  CHECK(s.handle(get("/v1/health")).status == 200);
  CHECK(s.handle(get("/v1/health?probe=1")).status == 200);
  const auto keys = s.handle(get("/v1/server-keys"));
  CHECK(keys.status == 200);

  CHECK_ERROR(s.handle(make_request("GET", "/v1/sessions/s/records"), d.peer()), 400, "invalid_argument", "");
  CHECK_ERROR(s.handle(make_request("PUT", "/v1/sessions/s/records"), d.peer()), 400, "invalid_argument", "");
  CHECK_ERROR(s.handle(make_request("POST", "/v1/sessions/s"), d.peer()), 400, "invalid_argument", "");
  CHECK_ERROR(s.handle(make_request("DELETE", "/v1/sessions/s"), d.peer()), 400, "invalid_argument", "");
  CHECK_ERROR(s.handle(make_request("GET", "/v1/enrol")), 400, "invalid_argument", "");
  // health and server-keys are GET-only; other methods find no endpoint.
  CHECK_ERROR(s.handle(make_request("POST", "/v1/health")), 404, "not_found", "");
  CHECK_ERROR(s.handle(make_request("DELETE", "/v1/server-keys")), 404, "not_found", "");
}
