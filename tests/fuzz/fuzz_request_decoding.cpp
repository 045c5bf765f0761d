// Every decoder that reads bytes from the network (or from a file a user hands us), fed arbitrary
// input. Must never crash, leak, hang or trip a sanitizer. Oracles beyond "no crash":
//  - whatever a message parser accepts re-encodes (to_json) into a body that parses back to the
//    same struct (so what the server stores or signs is what it read);
//  - canonical::decode accepts only canonical bytes: re-encoding what it returns gives the input;
//  - every error is well-formed: a code, a message, and a message that JSON can carry.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "shared/core/bytes.hpp"
#include "shared/core/utf8.hpp"
#include "shared/crypto/pki.hpp"
#include "shared/encoding/canonical.hpp"
#include "shared/protocol/json_reader.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"

using namespace vigil;

namespace {

[[noreturn]] void die(const char* what, std::string_view detail) {
  std::fprintf(stderr, "fuzz_request_decoding: %s\n%.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// An error must be sendable as an error body: protocol::to_json(ErrorBody).dump() throws on
// invalid UTF-8, which would turn a 400 into a crashed request.
void check_error(const Error& e) {
  if (e.message.empty()) die("an error without a message", e.describe());
  if (!is_valid_utf8(e.message) || !is_valid_utf8(e.field)) {
    die("an error message or field that is not UTF-8", e.describe());
  }
  (void)protocol::to_json(protocol::error_body_from(e)).dump();
}

// parse(body) either fails cleanly or gives a T whose JSON form parses back to the same T.
template <class T, class Parse>
void round_trip(const char* name, std::string_view body, Parse&& parse) {
  auto parsed = parse(body);
  if (!parsed) {
    check_error(parsed.error());
    return;
  }
  std::string again;
  try {
    again = protocol::to_json(*parsed).dump();
  } catch (const std::exception& ex) {
    die(name, std::string("accepted input cannot be re-encoded: ") + ex.what());
  }
  auto reparsed = parse(again);
  if (!reparsed) die(name, "re-encoded form does not parse: " + reparsed.error().describe() + "\n" + again);
  if (!(*reparsed == *parsed)) die(name, "re-encoded form parses to something else:\n" + again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  // JSON messages, server side (requests) and client side (responses, files).
  round_trip<protocol::RecordBatch>("parse_record_batch", body, protocol::parse_record_batch);
  round_trip<protocol::EnrolRequest>("parse_enrol_request", body, protocol::parse_enrol_request);
  round_trip<protocol::Receipt>("parse_receipt", body, protocol::parse_receipt);
  round_trip<protocol::SessionState>("parse_session_state", body, protocol::parse_session_state);
  round_trip<protocol::BlobStatus>("parse_blob_status", body, protocol::parse_blob_status);
  round_trip<protocol::ClientTrust>("parse_client_trust", body, protocol::parse_client_trust);
  round_trip<protocol::BatchAck>("parse_batch_ack", body, protocol::parse_batch_ack);
  round_trip<protocol::ErrorBody>("parse_error_body", body, protocol::parse_error_body);
  round_trip<protocol::EnrolResponse>("parse_enrol_response", body, protocol::parse_enrol_response);
  round_trip<protocol::AnswerSaved>("parse_answer_saved", body, protocol::parse_answer_saved);

  // The submission manifest is read from a record payload the device signed (any bytes).
  if (auto m = protocol::parse_submission_manifest(body)) {
    auto again = protocol::parse_submission_manifest(protocol::encode_submission_manifest(*m));
    if (!again || !(*again == *m)) die("parse_submission_manifest", "re-encoded manifest differs");
  } else {
    check_error(m.error());
  }

  // A deliberately shallow depth limit exercises the pre-scan against the parser.
  if (auto j = protocol::parse_json(body, 3); !j) check_error(j.error());

  // The canonical encoding: strict, so decode(x) succeeds only when x is the one encoding.
  const ByteView bytes(data, size);
  if (auto v = canonical::decode(bytes)) {
    auto enc = canonical::encode(*v);
    if (!enc) die("canonical::decode", "a decoded value does not encode: " + enc.error().describe());
    if (*enc != Bytes(bytes.begin(), bytes.end())) die("canonical::decode", "accepted a non-canonical encoding");
  } else {
    check_error(v.error());
  }

  // The enrolment code as typed, and the CSR (the enrolment endpoint's other untrusted input).
  if (auto c = protocol::normalise_enrolment_code(body); !c) check_error(c.error());
  if (size > 0 && size <= protocol::k_max_csr_pem) {
    if (auto csr = crypto::parse_csr(body); !csr) check_error(csr.error());
  }

  // Text encodings round-trip.
  if (auto b = from_base64(body)) {
    if (to_base64(*b) != body) die("from_base64", "accepted a non-canonical form");
  }
  if (auto h = from_hex(body)) {
    if (from_hex(to_hex(*h)).value() != *h) die("from_hex", "round trip differs");
  }
  return 0;
}
