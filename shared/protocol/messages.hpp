#pragma once
// The wire messages between client and server, as plain structs, and their JSON forms.
//
// For each message T:
//   nlohmann::json to_json(const T&)               the JSON form (encoding cannot fail for a T
//                                                  whose strings are valid UTF-8);
//   Result<T> decode_<name>(const nlohmann::json&)  strict decoding of a parsed tree;
//   Result<T> parse_<name>(std::string_view body)   parse_json(body) then decode_<name>.
// Decode errors follow json_reader.hpp: Errc::invalid_argument with `field` the JSON path of the
// offending value ("records[1].seq"), or Errc::unsupported_version on "v".
//
// Every top-level message carries "v": k_protocol_version. Nested objects (a record inside a
// batch, a checkpoint) have no "v" of their own: the message's version covers them.
//
// Limits (also the reason each exists):
//   records per batch 1..k_max_batch_records      bounds the work of one request
//   payload <= k_max_payload_bytes decoded         the largest journal payload (a long answer)
//   answer value <= k_max_answer_bytes             a written answer of ~2,000-3,000 words fits
//   identifiers: see the constants below.
// A batch may still be large (1,000 records of 1 MiB): the HTTP layer's body limit is the
// outer bound on what reaches these decoders.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"
#include "shared/journal/journal.hpp"
#include "shared/protocol/json_reader.hpp"

namespace vigil::protocol {

inline constexpr int k_protocol_version = 1;

inline constexpr std::size_t k_max_batch_records = 1000;
inline constexpr std::size_t k_max_payload_bytes = 1024 * 1024;
inline constexpr std::size_t k_max_answer_bytes = 100'000;
inline constexpr std::size_t k_max_boot_id_len = 64;
inline constexpr std::size_t k_max_record_type_len = 64;
inline constexpr std::size_t k_max_session_id_len = 128;
inline constexpr std::size_t k_max_chain_id_len = 256;  // "<device_id>/<session_id>"
inline constexpr std::size_t k_max_item_id_len = 128;
inline constexpr std::size_t k_max_error_code_len = 64;
inline constexpr std::size_t k_max_error_message_len = 4096;
inline constexpr std::size_t k_max_error_field_len = 512;
inline constexpr std::size_t k_signature_len = 64;  // Ed25519

// True when `type` is a valid record type: 1..64 characters from [a-z0-9._].
bool is_valid_record_type(std::string_view type) noexcept;

// ---- Nested objects (no "v") ----------------------------------------------------------------

// One journal record with its payload.
// {"seq":u64,"prev_hash":hex64,"boot_id":str,"mono_ns":u64,"wall_ms":i64,"type":str,
//  "payload_hash":hex64,"payload":base64}
// The decoder does not check payload_hash against the payload: the journal verifier does, and
// reports a mismatch as a modified record rather than as a malformed request.
struct RecordDto {
  journal::Record record;
  Bytes payload;

  bool operator==(const RecordDto&) const = default;
};

nlohmann::json to_json(const RecordDto& r);
Result<RecordDto> decode_record(const nlohmann::json& j);  // path ""
// Reads a record from `r` (whose path prefixes every error) and calls r.finish().
Result<RecordDto> decode_record(ObjectReader& r);

// {"chain_id":str,"seq":u64,"head_hash":hex64,"wall_ms":i64,"signature":base64 of 64 bytes}
// Only the form is checked here; verify_checkpoint checks the signature.
using CheckpointDto = journal::Checkpoint;

nlohmann::json to_json(const CheckpointDto& c);
Result<CheckpointDto> decode_checkpoint(const nlohmann::json& j);  // path ""
Result<CheckpointDto> decode_checkpoint(ObjectReader& r);

// ---- Messages (with "v") ----------------------------------------------------------------------

// Client -> server: the next records of a session's journal, optionally with a checkpoint.
// {"v":1,"session_id":str,"records":[record, ...],"checkpoint":checkpoint (optional)}
// The decoder requires 1..1000 records with strictly increasing seq (an error names the "seq" of
// the first record out of order); whether they extend the chain is the journal's business.
struct RecordBatch {
  std::string session_id;
  std::vector<RecordDto> records;
  std::optional<journal::Checkpoint> checkpoint;

  bool operator==(const RecordBatch&) const = default;
};

nlohmann::json to_json(const RecordBatch& b);
Result<RecordBatch> decode_record_batch(const nlohmann::json& j);
Result<RecordBatch> parse_record_batch(std::string_view body);

// Server -> client: every record up to highest_contiguous_seq is stored; the client may drop
// them from its outbox. {"v":1,"session_id":str,"highest_contiguous_seq":u64}
struct BatchAck {
  std::string session_id;
  std::uint64_t highest_contiguous_seq = 0;

  bool operator==(const BatchAck&) const = default;
};

nlohmann::json to_json(const BatchAck& a);
Result<BatchAck> decode_batch_ack(const nlohmann::json& j);
Result<BatchAck> parse_batch_ack(std::string_view body);

// Any error response. {"v":1,"error":{"code":str,"message":str,"field":str (omitted when empty)}}
// code is errc_name() of the server's Errc.
struct ErrorBody {
  std::string code;
  std::string message;
  std::string field;

  bool operator==(const ErrorBody&) const = default;
};

nlohmann::json to_json(const ErrorBody& e);
Result<ErrorBody> decode_error_body(const nlohmann::json& j);
Result<ErrorBody> parse_error_body(std::string_view body);
ErrorBody error_body_from(const Error& e);
// The Error an ErrorBody describes; a code this build does not know becomes Errc::internal
// (the message is kept).
Error to_error(const ErrorBody& e);

// The journal payload of an "answer.saved" record. The payload is hashed into the chain, so it
// has one fixed form: compact JSON with keys in sorted order, as encode_answer_saved writes it.
// {"item_id":str,"revision":u64,"v":1,"value":str (<= 100,000 bytes of UTF-8)}
struct AnswerSaved {
  std::string item_id;
  std::uint64_t revision = 0;
  std::string value;

  bool operator==(const AnswerSaved&) const = default;
};

inline constexpr std::string_view k_answer_saved_type = "answer.saved";

nlohmann::json to_json(const AnswerSaved& a);
// REQUIRES: item_id and value are valid UTF-8 (is_valid_utf8); otherwise nlohmann throws.
std::string encode_answer_saved(const AnswerSaved& a);
Result<AnswerSaved> decode_answer_saved(const nlohmann::json& j);
Result<AnswerSaved> parse_answer_saved(std::string_view body);

}  // namespace vigil::protocol
