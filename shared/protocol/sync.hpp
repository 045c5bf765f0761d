#pragma once
// Messages of enrolment, session sync, blob upload and receipts (docs/api/openapi.yaml), and the
// signed receipt the server gives when a submission is completely received.
// Conventions as in messages.hpp: plain structs, to_json / decode_<name> / parse_<name>, "v": 1.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"
#include "shared/protocol/messages.hpp"

namespace vigil::protocol {

inline constexpr std::size_t k_max_csr_pem = 8 * 1024;
inline constexpr std::size_t k_max_cert_pem = 16 * 1024;
inline constexpr std::size_t k_enrolment_code_len = 16;   // "ABCD-EFGH-JKLM-NPQR" without dashes
inline constexpr std::size_t k_device_id_len = 32;        // 128 bits, lower-case hex
inline constexpr std::size_t k_max_blob_bytes = 64 * 1024 * 1024;
inline constexpr std::size_t k_max_chunk_bytes = 1024 * 1024;
inline constexpr std::size_t k_max_receipt_blobs = 10'000;

// True for 32 lower-case hex digits.
bool is_valid_device_id(std::string_view id) noexcept;
// Normalises a code as a person types it ("abcd efgh-jklm npqr") to 16 upper-case characters
// from the enrolment alphabet, or fails.
Result<std::string> normalise_enrolment_code(std::string_view typed);

// Client -> server, POST /v1/enrol (no client certificate yet).
// {"v":1,"code":str,"device_id":hex32,"csr":PEM,"signing_public_key":base64 (32-byte Ed25519)}
struct EnrolRequest {
  std::string code;
  std::string device_id;
  std::string csr_pem;
  Bytes signing_public_key;

  bool operator==(const EnrolRequest&) const = default;
};
nlohmann::json to_json(const EnrolRequest& e);
Result<EnrolRequest> parse_enrol_request(std::string_view body);

// Server -> client. {"v":1,"device_id","candidate_id","device_certificate":PEM,"ca_chain":PEM,
//  "receipt_public_key":base64,"evidence_public_key":base64}
struct EnrolResponse {
  std::string device_id;
  std::string candidate_id;
  std::string device_certificate_pem;
  std::string ca_chain_pem;           // the device-issuing CA (the root is pinned, not sent)
  Bytes receipt_public_key;           // Ed25519: verifies receipts
  Bytes evidence_public_key;          // X25519: evidence is sealed to it

  bool operator==(const EnrolResponse&) const = default;
};
nlohmann::json to_json(const EnrolResponse& e);
Result<EnrolResponse> parse_enrol_response(std::string_view body);

// The server's signed statement that a submission arrived whole.
// Signed bytes: canonical domain "vigil.receipt.v1" over the map of every field but signature.
struct Receipt {
  std::string candidate_id;
  std::string device_id;
  std::string session_id;
  std::uint64_t final_seq = 0;          // the session.submitted record
  std::array<std::uint8_t, 32> head_hash{};
  std::vector<std::array<std::uint8_t, 32>> blobs;  // evidence and other blobs, sorted
  std::int64_t received_wall_ms = 0;
  std::string key_id;                   // key_id_of(receipt public key)
  Bytes signature;

  bool operator==(const Receipt&) const = default;
};
nlohmann::json to_json(const Receipt& r);
Result<Receipt> decode_receipt(const nlohmann::json& j);
Result<Receipt> parse_receipt(std::string_view body);
Bytes receipt_message(const Receipt& r);
// The first 16 hex digits of SHA-256(public key): names a key without revealing anything new.
std::string key_id_of(ByteView public_key);
// Signs r (sets key_id and signature). REQUIRES: seed is the server's Ed25519 receipt key seed.
Status sign_receipt(Receipt& r, ByteView seed, ByteView public_key);
// Checks the signature and that key_id names public_key. Errors say which check failed.
Status verify_receipt(const Receipt& r, ByteView public_key);

// Server -> client, GET /v1/sessions/{id}: how much of a session the server holds.
// {"v":1,"session_id","highest_contiguous_seq","submitted":bool,"complete":bool,"receipt":{...}?}
struct SessionState {
  std::string session_id;
  std::uint64_t highest_contiguous_seq = 0;
  bool submitted = false;   // the session.submitted record has arrived
  bool complete = false;    // ... and every record before it and every blob it lists
  std::optional<Receipt> receipt;

  bool operator==(const SessionState&) const = default;
};
nlohmann::json to_json(const SessionState& s);
Result<SessionState> parse_session_state(std::string_view body);

// The payload of the "session.submitted" record: the blobs that belong to the submission.
// {"blobs":[hex64...],"v":1}
struct SubmissionManifest {
  std::vector<std::array<std::uint8_t, 32>> blobs;

  bool operator==(const SubmissionManifest&) const = default;
};
inline constexpr std::string_view k_session_submitted_type = "session.submitted";
std::string encode_submission_manifest(const SubmissionManifest& m);
Result<SubmissionManifest> parse_submission_manifest(std::string_view body);

// Server -> client, GET and PUT /v1/blobs/{sha256}: upload progress.
// {"v":1,"sha256":hex64,"size":u64,"offset":u64,"complete":bool}
struct BlobStatus {
  std::array<std::uint8_t, 32> sha256{};
  std::uint64_t size = 0;
  std::uint64_t offset = 0;
  bool complete = false;

  bool operator==(const BlobStatus&) const = default;
};
nlohmann::json to_json(const BlobStatus& b);
Result<BlobStatus> parse_blob_status(std::string_view body);

// What a client needs to reach and trust a server: published by `vigil-server init` as
// published/client-trust.json and given to the client at installation (not secret).
// {"v":1,"host":str,"port":u64,"root_ca":PEM,"pins":[base64 SHA-256 of SPKI, ...]}
struct ClientTrust {
  std::string host;
  std::uint16_t port = 0;
  std::string root_ca_pem;
  std::vector<std::string> pins;   // primary root key first, then the backup root key

  bool operator==(const ClientTrust&) const = default;
};
nlohmann::json to_json(const ClientTrust& t);
Result<ClientTrust> parse_client_trust(std::string_view body);

}  // namespace vigil::protocol
