// Store: what the device keeps for itself: its enrolment, the server's receipts, named state and
// device secrets.
#include "client/store/store_detail.hpp"
#include "shared/crypto/kdf.hpp"

namespace vigil::client::store {

Status Store::save_enrolment(const Enrolment& e) {
  Lock lock(*this);
  auto st = db_.cached("INSERT INTO enrolment(id, candidate_id, server_trust, device_cert_pem, ca_chain_pem, "
                       "device_key_pem, receipt_public_key, evidence_public_key, enrolled_wall_ms) "
                       "VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st) return fail(st.error());
  st->bind(1, e.candidate_id).bind(2, e.server_trust_json).bind(3, e.device_cert_pem).bind(4, e.ca_chain_pem)
      .bind(5, crypto::view(e.device_key_pem)).bind(6, ByteView(e.receipt_public_key))
      .bind(7, ByteView(e.evidence_public_key)).bind(8, clock_->wall_ms());
  auto r = st->run();
  if (!r && r.error().code == Errc::conflict) return fail(Errc::already_exists, "this device is already enrolled");
  if (!r) return fail(storage_error(r.error(), dir_));
  return {};
}

Result<std::optional<Enrolment>> Store::enrolment() {
  Lock lock(*this);
  return sqlite::one<Enrolment>(
      db_.statement("SELECT candidate_id, server_trust, device_cert_pem, ca_chain_pem, device_key_pem, "
                    "receipt_public_key, evidence_public_key FROM enrolment WHERE id = 1"),
      [](const Statement& row) {
        Enrolment e;
        e.candidate_id = row.column_text(0);
        e.server_trust_json = row.column_text(1);
        e.device_cert_pem = row.column_text(2);
        e.ca_chain_pem = row.column_text(3);
        Bytes key = row.column_blob(4);
        e.device_key_pem = crypto::SecretBytes(key.begin(), key.end());
        crypto::wipe(key);
        e.receipt_public_key = row.column_blob(5);
        e.evidence_public_key = row.column_blob(6);
        return e;
      });
}

Status Store::save_receipt(std::string_view session_id, std::string_view receipt_json) {
  Lock lock(*this);
  return run_write(db_.statement("INSERT INTO receipts(session_id, receipt, received_wall_ms) VALUES (?, ?, ?) "
                                 "ON CONFLICT(session_id) DO NOTHING",
                                 session_id, receipt_json, clock_->wall_ms()),
                   dir_);
}

Result<std::optional<std::string>> Store::receipt(std::string_view session_id) {
  Lock lock(*this);
  return sqlite::one<std::string>(db_.statement("SELECT receipt FROM receipts WHERE session_id = ?", session_id),
                                  [](const Statement& row) { return row.column_text(0); });
}

Result<std::vector<std::string>> Store::sessions_awaiting_receipt() {
  Lock lock(*this);
  return first_column_texts(
      db_.statement("SELECT s.session_id FROM sessions s LEFT JOIN receipts r ON r.session_id = s.session_id "
                    "WHERE s.state = 'submitted' AND r.session_id IS NULL ORDER BY s.session_id"));
}

Status Store::put_state(std::string_view name, ByteView value) {
  Lock lock(*this);
  return run_write(
      db_.statement(
          "INSERT INTO state(name, value, updated_wall_ms) VALUES (?, ?, ?) "
          "ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_wall_ms = excluded.updated_wall_ms",
          name, value, clock_->wall_ms()),
      dir_);
}

Result<std::optional<Bytes>> Store::get_state(std::string_view name) {
  Lock lock(*this);
  return sqlite::one<Bytes>(db_.statement("SELECT value FROM state WHERE name = ?", name),
                            [](const Statement& row) { return row.column_blob(0); });
}

Status Store::erase_state(std::string_view name) {
  Lock lock(*this);
  return run_write(db_.statement("DELETE FROM state WHERE name = ?", name), dir_);
}

Result<crypto::SecretBytes> Store::derive_device_secret(std::string_view purpose, std::size_t length) {
  Lock lock(*this);
  if (purpose.empty()) return fail(Errc::invalid_argument, "a device key purpose is required");
  const std::string info = "vigil.device." + std::string(purpose) + ".v1";
  return crypto::hkdf_sha256(crypto::view(device_seed_), {}, as_bytes(info), length);
}
}  // namespace vigil::client::store
