#include "shared/protocol/sync.hpp"

#include <algorithm>

#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/secure.hpp"
#include "shared/encoding/canonical.hpp"

namespace vigil::protocol {

namespace {

using json = nlohmann::json;
using Digest = std::array<std::uint8_t, 32>;

constexpr std::string_view k_receipt_domain = "vigil.receipt.v1";
// Enrolment codes are read out and typed by people: no 0/O, 1/I/L, 2/Z, 5/S, 8/B.
constexpr std::string_view k_code_alphabet = "ACDEFGHJKMNPQRTUVWXY34679";

std::string hex(const Digest& d) { return to_hex(ByteView(d)); }

json hex_list(const std::vector<Digest>& v) {
  json a = json::array();
  for (const auto& d : v) a.push_back(hex(d));
  return a;
}

Result<std::vector<Digest>> read_hex_list(ObjectReader& r, std::string_view name, std::size_t max_items) {
  VIGIL_ASSIGN(auto items, r.array(name, max_items));
  std::vector<Digest> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string item_name = std::string(name) + "[" + std::to_string(i) + "]";
    const auto* v = items[i];
    auto bad = [&] { return fail(Error(Errc::invalid_argument, "field \"" + join_path(r.path(), item_name) +
                                                                   "\": expected 64 lower-case hex digits",
                                       join_path(r.path(), item_name))); };
    if (!v->is_string()) return bad();
    const auto& s = v->get_ref<const std::string&>();
    if (s.size() != 64 || std::any_of(s.begin(), s.end(), [](char c) { return !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')); })) {
      return bad();
    }
    Digest d{};
    const auto bytes = from_hex(s).value();
    std::copy(bytes.begin(), bytes.end(), d.begin());
    out.push_back(d);
  }
  return out;
}

Result<std::string> read_device_id(ObjectReader& r, std::string_view name) {
  VIGIL_ASSIGN(auto id, r.string(name, k_device_id_len));
  if (!is_valid_device_id(id)) return fail(r.error(name, "expected 32 lower-case hex digits"));
  return id;
}

}  // namespace

bool is_valid_device_id(std::string_view id) noexcept {
  return id.size() == k_device_id_len &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<std::string> normalise_enrolment_code(std::string_view typed) {
  std::string out;
  for (char c : typed) {
    if (c == ' ' || c == '-') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (k_code_alphabet.find(c) == std::string_view::npos || out.size() >= k_enrolment_code_len) {
      return fail(Errc::invalid_argument, "the enrolment code is 16 letters and digits, as printed on your letter");
    }
    out += c;
  }
  if (out.size() != k_enrolment_code_len) {
    return fail(Errc::invalid_argument, "the enrolment code is 16 letters and digits, as printed on your letter");
  }
  return out;
}

// ---- enrolment --------------------------------------------------------------------------------

json to_json(const EnrolRequest& e) {
  return json{{"v", k_protocol_version}, {"code", e.code}, {"device_id", e.device_id}, {"csr", e.csr_pem},
              {"signing_public_key", to_base64(e.signing_public_key)}};
}

Result<EnrolRequest> parse_enrol_request(std::string_view body) {
  return parse_top<EnrolRequest>(body, [](ObjectReader& r) -> Result<EnrolRequest> {
    VIGIL_TRY(r.version(k_protocol_version));
    EnrolRequest out;
    VIGIL_ASSIGN(auto typed, r.non_empty_string("code", 64));
    auto code = normalise_enrolment_code(typed);
    if (!code) return fail(r.error("code", code.error().message));
    out.code = *code;
    VIGIL_ASSIGN(out.device_id, read_device_id(r, "device_id"));
    VIGIL_ASSIGN(out.csr_pem, r.non_empty_string("csr", k_max_csr_pem));
    VIGIL_ASSIGN(out.signing_public_key, r.base64("signing_public_key", crypto::k_ed25519_public_size));
    if (out.signing_public_key.size() != crypto::k_ed25519_public_size) {
      return fail(r.error("signing_public_key", "expected a 32-byte Ed25519 public key"));
    }
    VIGIL_TRY(r.finish());
    return out;
  });
}

json to_json(const EnrolResponse& e) {
  return json{{"v", k_protocol_version},
              {"device_id", e.device_id},
              {"candidate_id", e.candidate_id},
              {"device_certificate", e.device_certificate_pem},
              {"ca_chain", e.ca_chain_pem},
              {"receipt_public_key", to_base64(e.receipt_public_key)},
              {"evidence_public_key", to_base64(e.evidence_public_key)}};
}

Result<EnrolResponse> parse_enrol_response(std::string_view body) {
  return parse_top<EnrolResponse>(body, [](ObjectReader& r) -> Result<EnrolResponse> {
    VIGIL_TRY(r.version(k_protocol_version));
    EnrolResponse out;
    VIGIL_ASSIGN(out.device_id, read_device_id(r, "device_id"));
    VIGIL_ASSIGN(out.candidate_id, r.non_empty_string("candidate_id", 64));
    VIGIL_ASSIGN(out.device_certificate_pem, r.non_empty_string("device_certificate", k_max_cert_pem));
    VIGIL_ASSIGN(out.ca_chain_pem, r.non_empty_string("ca_chain", k_max_cert_pem));
    VIGIL_ASSIGN(out.receipt_public_key, r.base64("receipt_public_key", 32));
    VIGIL_ASSIGN(out.evidence_public_key, r.base64("evidence_public_key", 32));
    if (out.receipt_public_key.size() != 32) return fail(r.error("receipt_public_key", "expected 32 bytes"));
    if (out.evidence_public_key.size() != 32) return fail(r.error("evidence_public_key", "expected 32 bytes"));
    VIGIL_TRY(r.finish());
    return out;
  });
}

// ---- receipts ---------------------------------------------------------------------------------

json to_json(const Receipt& r) {
  return json{{"v", k_protocol_version},
              {"candidate_id", r.candidate_id},
              {"device_id", r.device_id},
              {"session_id", r.session_id},
              {"final_seq", r.final_seq},
              {"head_hash", hex(r.head_hash)},
              {"blobs", hex_list(r.blobs)},
              {"received_wall_ms", r.received_wall_ms},
              {"key_id", r.key_id},
              {"signature", to_base64(r.signature)}};
}

Result<Receipt> decode_receipt(const json& j) {
  return decode_top<Receipt>(j, [](ObjectReader& r) -> Result<Receipt> {
    VIGIL_TRY(r.version(k_protocol_version));
    Receipt out;
    VIGIL_ASSIGN(out.candidate_id, r.non_empty_string("candidate_id", 64));
    VIGIL_ASSIGN(out.device_id, read_device_id(r, "device_id"));
    VIGIL_ASSIGN(out.session_id, r.non_empty_string("session_id", k_max_session_id_len));
    VIGIL_ASSIGN(out.final_seq, r.uint("final_seq"));
    VIGIL_ASSIGN(out.head_hash, r.hex_digest32("head_hash"));
    VIGIL_ASSIGN(out.blobs, read_hex_list(r, "blobs", k_max_receipt_blobs));
    VIGIL_ASSIGN(out.received_wall_ms, r.integer("received_wall_ms"));
    VIGIL_ASSIGN(out.key_id, r.non_empty_string("key_id", 64));
    VIGIL_ASSIGN(out.signature, r.base64("signature", k_signature_len));
    if (out.signature.size() != k_signature_len) return fail(r.error("signature", "expected a 64-byte signature"));
    VIGIL_TRY(r.finish());
    return out;
  });
}

Result<Receipt> parse_receipt(std::string_view body) {
  VIGIL_ASSIGN(auto j, parse_json(body));
  return decode_receipt(j);
}

Bytes receipt_message(const Receipt& r) {
  canonical::List blobs;
  for (const auto& b : r.blobs) blobs.emplace_back(Bytes(b.begin(), b.end()));
  canonical::Map m;
  m.emplace("blobs", canonical::Value(std::move(blobs)));
  m.emplace("candidate_id", canonical::Value(r.candidate_id));
  m.emplace("device_id", canonical::Value(r.device_id));
  m.emplace("final_seq", canonical::Value(r.final_seq));
  m.emplace("head_hash", canonical::Value(Bytes(r.head_hash.begin(), r.head_hash.end())));
  m.emplace("key_id", canonical::Value(r.key_id));
  m.emplace("received_wall_ms", canonical::Value(r.received_wall_ms));
  m.emplace("session_id", canonical::Value(r.session_id));
  // Every string here was decoded as UTF-8 or produced by us; encoding cannot fail.
  return canonical::domain_separated(k_receipt_domain, canonical::Value(std::move(m))).value();
}

std::string key_id_of(ByteView public_key) {
  const auto d = crypto::sha256(public_key);
  return to_hex(ByteView(d.data(), 8));
}

Status sign_receipt(Receipt& r, ByteView seed, ByteView public_key) {
  std::sort(r.blobs.begin(), r.blobs.end());
  r.key_id = key_id_of(public_key);
  VIGIL_ASSIGN(r.signature, crypto::ed25519_sign(seed, receipt_message(r)));
  return {};
}

Status verify_receipt(const Receipt& r, ByteView public_key) {
  if (r.key_id != key_id_of(public_key)) {
    return fail(Errc::auth_failed, "the receipt was signed with key " + r.key_id + ", not with the key given (" +
                                       key_id_of(public_key) + ")");
  }
  if (!crypto::ed25519_verify(public_key, receipt_message(r), r.signature)) {
    return fail(Errc::auth_failed, "the receipt's signature does not match its contents: it was altered or forged");
  }
  return {};
}

// ---- session state ----------------------------------------------------------------------------

json to_json(const SessionState& s) {
  json j{{"v", k_protocol_version},
         {"session_id", s.session_id},
         {"highest_contiguous_seq", s.highest_contiguous_seq},
         {"submitted", s.submitted},
         {"complete", s.complete}};
  if (s.receipt) j["receipt"] = to_json(*s.receipt);
  return j;
}

Result<SessionState> parse_session_state(std::string_view body) {
  return parse_top<SessionState>(body, [](ObjectReader& r) -> Result<SessionState> {
    VIGIL_TRY(r.version(k_protocol_version));
    SessionState out;
    VIGIL_ASSIGN(out.session_id, r.non_empty_string("session_id", k_max_session_id_len));
    VIGIL_ASSIGN(out.highest_contiguous_seq, r.uint("highest_contiguous_seq"));
    VIGIL_ASSIGN(out.submitted, r.boolean("submitted"));
    VIGIL_ASSIGN(out.complete, r.boolean("complete"));
    VIGIL_ASSIGN(auto receipt, r.optional_object("receipt"));
    if (receipt) {
      auto rec = decode_receipt(receipt->value());
      if (!rec) {
        Error e = rec.error();
        e.field = join_path("receipt", e.field);
        return fail(std::move(e));
      }
      out.receipt = std::move(*rec);
    }
    VIGIL_TRY(r.finish());
    return out;
  });
}

// ---- submission manifest ----------------------------------------------------------------------

std::string encode_submission_manifest(const SubmissionManifest& m) {
  return json{{"blobs", hex_list(m.blobs)}, {"v", k_protocol_version}}.dump();
}

Result<SubmissionManifest> parse_submission_manifest(std::string_view body) {
  return parse_top<SubmissionManifest>(body, [](ObjectReader& r) -> Result<SubmissionManifest> {
    VIGIL_TRY(r.version(k_protocol_version));
    SubmissionManifest out;
    VIGIL_ASSIGN(out.blobs, read_hex_list(r, "blobs", k_max_receipt_blobs));
    VIGIL_TRY(r.finish());
    return out;
  });
}

// ---- blobs ------------------------------------------------------------------------------------

json to_json(const BlobStatus& b) {
  return json{{"v", k_protocol_version}, {"sha256", hex(b.sha256)}, {"size", b.size}, {"offset", b.offset},
              {"complete", b.complete}};
}

Result<BlobStatus> parse_blob_status(std::string_view body) {
  return parse_top<BlobStatus>(body, [](ObjectReader& r) -> Result<BlobStatus> {
    VIGIL_TRY(r.version(k_protocol_version));
    BlobStatus out;
    VIGIL_ASSIGN(out.sha256, r.hex_digest32("sha256"));
    VIGIL_ASSIGN(out.size, r.uint("size"));
    VIGIL_ASSIGN(out.offset, r.uint("offset"));
    VIGIL_ASSIGN(out.complete, r.boolean("complete"));
    VIGIL_TRY(r.finish());
    return out;
  });
}

// ---- client trust -----------------------------------------------------------------------------

json to_json(const ClientTrust& t) {
  return json{{"v", k_protocol_version}, {"host", t.host}, {"port", t.port}, {"root_ca", t.root_ca_pem}, {"pins", t.pins}};
}

Result<ClientTrust> parse_client_trust(std::string_view body) {
  return parse_top<ClientTrust>(body, [](ObjectReader& r) -> Result<ClientTrust> {
    VIGIL_TRY(r.version(k_protocol_version));
    ClientTrust out;
    VIGIL_ASSIGN(out.host, r.non_empty_string("host", 253));
    VIGIL_ASSIGN(auto port, r.uint("port"));
    if (port == 0 || port > 65535) return fail(r.error("port", "expected 1 to 65535"));
    out.port = static_cast<std::uint16_t>(port);
    VIGIL_ASSIGN(out.root_ca_pem, r.non_empty_string("root_ca", k_max_cert_pem));
    VIGIL_ASSIGN(auto pins, r.array("pins", 8));
    for (std::size_t i = 0; i < pins.size(); ++i) {
      if (!pins[i]->is_string() || pins[i]->get_ref<const std::string&>().size() != 44) {
        return fail(r.error("pins", "each pin is 44 characters of base64 (SHA-256 of a public key)"));
      }
      out.pins.push_back(pins[i]->get<std::string>());
    }
    if (out.pins.empty()) return fail(r.error("pins", "at least one pin is required"));
    VIGIL_TRY(r.finish());
    return out;
  });
}

}  // namespace vigil::protocol
