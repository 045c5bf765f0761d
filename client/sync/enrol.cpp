#include "client/sync/enrol.hpp"

#include <ctime>

#include "shared/crypto/pki.hpp"
#include "shared/http/status.hpp"

namespace vigil::client::sync {

namespace {

TransportConfig config_from(const protocol::ClientTrust& trust) {
  TransportConfig c;
  c.host = trust.host;
  c.port = trust.port;
  c.root_ca_pem = trust.root_ca_pem;
  c.spki_pins = trust.pins;
  return c;
}

}  // namespace

Status enrol(store::Store& store, const protocol::ClientTrust& trust, std::string_view typed_code) {
  VIGIL_ASSIGN(auto existing, store.enrolment());
  if (existing) return fail(Errc::already_exists, "this device is already enrolled");
  auto code = protocol::normalise_enrolment_code(typed_code);
  if (!code) return fail(code.error());

  VIGIL_ASSIGN(auto key, crypto::p256_generate());
  VIGIL_ASSIGN(auto csr, crypto::make_csr(key.private_pem, store.device_id()));
  protocol::EnrolRequest req{*code, store.device_id(), csr, store.device_public_key()};

  HttpsTransport transport(config_from(trust));
  VIGIL_ASSIGN(auto resp, transport.roundtrip(protocol::HttpRequest{
                              "POST", "/v1/enrol", {{"Content-Type", "application/json"}}, protocol::to_json(req).dump()}));
  if (resp.status != 201) {
    // Shown to the candidate as the server put it (a locked code is rate_limited: ask for a new one).
    return fail(http::decode_error(resp).error);
  }
  VIGIL_ASSIGN(auto out, protocol::parse_enrol_response(resp.body));
  // Check what came back before keeping it: our device, our key, a chain to our pinned root.
  if (out.device_id != store.device_id()) return fail(Errc::integrity, "the server enrolled a different device id");
  VIGIL_ASSIGN(auto cert, crypto::parse_certificate(out.device_certificate_pem));
  if (cert.spki_pin != crypto::spki_pin_of_public_key(key.public_pem) || cert.common_name != store.device_id()) {
    return fail(Errc::integrity, "the certificate the server issued is not for this device's key");
  }
  VIGIL_TRY(crypto::verify_certificate_chain(out.device_certificate_pem, out.ca_chain_pem, trust.root_ca_pem,
                                             static_cast<std::int64_t>(std::time(nullptr)), true));

  store::Enrolment e;
  e.candidate_id = out.candidate_id;
  e.server_trust_json = protocol::to_json(trust).dump();
  e.device_cert_pem = out.device_certificate_pem;
  e.ca_chain_pem = out.ca_chain_pem;
  e.device_key_pem = std::move(key.private_pem);
  e.receipt_public_key = out.receipt_public_key;
  e.evidence_public_key = out.evidence_public_key;
  return store.save_enrolment(e);
}

Result<std::unique_ptr<HttpsTransport>> transport_for(store::Store& store) {
  VIGIL_ASSIGN(auto e, store.enrolment());
  if (!e) return fail(Errc::not_found, "this device is not enrolled yet: run vigil-client enrol");
  VIGIL_ASSIGN(auto trust, protocol::parse_client_trust(e->server_trust_json));
  TransportConfig c = config_from(trust);
  c.client_cert_pem = e->device_cert_pem + e->ca_chain_pem;
  c.client_key_pem = std::move(e->device_key_pem);
  return std::make_unique<HttpsTransport>(std::move(c));
}

}  // namespace vigil::client::sync
