#include "shared/journal/journal.hpp"

#include <cassert>

#include "shared/crypto/ed25519.hpp"
#include "shared/encoding/canonical.hpp"

namespace vigil::journal {

namespace {

// Encodes with the streaming writer: journal hashing is the hot path of sync verification.
// The map's keys are listed in ascending order, as the canonical encoding requires.
void write_record(canonical::Writer& w, const Record& r) {
  w.map(7)
      .key("boot_id").text(r.boot_id)
      .key("mono_ns").uint(r.monotonic_ns)
      .key("payload_hash").bytes(r.payload_hash)
      .key("prev_hash").bytes(r.prev_hash)
      .key("seq").uint(r.seq)
      .key("type").text(r.type)
      .key("wall_ms").integer(r.wall_ms);
}

}  // namespace

Head Head::genesis(std::string_view chain_id) {
  Head h;
  h.hash = genesis_hash(chain_id);
  return h;
}

Head Head::after(const Record& r) {
  return Head{r.seq, record_hash(r), r.boot_id, r.monotonic_ns, r.wall_ms};
}

Hash genesis_hash(std::string_view chain_id) {
  canonical::Writer w;
  w.text(k_genesis_domain).map(1).key("chain_id").text(chain_id);
  return crypto::sha256(w.data());
}

Bytes record_bytes(const Record& r) {
  canonical::Writer w;
  write_record(w, r);
  return std::move(w).take();
}

Hash record_hash(const Record& r) {
  // One thread-local buffer: no allocation per record once warmed up.
  thread_local canonical::Writer w;
  w.clear();
  w.text(k_record_domain);
  write_record(w, r);
  return crypto::sha256(w.data());
}

Hash payload_hash(ByteView payload) { return crypto::sha256(payload); }

Bytes checkpoint_message(const Checkpoint& c) {
  canonical::Writer w;
  w.text(k_checkpoint_domain)
      .map(4)
      .key("chain_id").text(c.chain_id)
      .key("head_hash").bytes(c.head_hash)
      .key("seq").uint(c.seq)
      .key("wall_ms").integer(c.wall_ms);
  return std::move(w).take();
}

Result<Checkpoint> make_checkpoint(std::string_view chain_id, const Head& head, ByteView signing_seed) {
  Checkpoint c{std::string(chain_id), head.seq, head.hash, head.wall_ms, {}};
  auto sig = crypto::ed25519_sign(signing_seed, checkpoint_message(c));
  if (!sig) return fail(std::move(sig).error().context("signing journal checkpoint"));
  c.signature = std::move(*sig);
  return c;
}

bool verify_checkpoint(const Checkpoint& c, ByteView public_key) noexcept {
  return crypto::ed25519_verify(public_key, checkpoint_message(c), c.signature);
}

Record Appender::next(std::string_view type, ByteView payload, const time::Clock& clock) const {
  Record r;
  r.seq = head_.seq + 1;
  r.prev_hash = head_.hash;
  r.boot_id = clock.boot_id();
  r.monotonic_ns = clock.monotonic_ns();
  r.wall_ms = clock.wall_ms();
  r.type = std::string(type);
  r.payload_hash = payload_hash(payload);
  return r;
}

void Appender::commit(const Record& r) {
  assert(r.seq == head_.seq + 1);
  assert(r.prev_hash == head_.hash);
  head_ = Head::after(r);
}

std::string chain_id_for(std::string_view device_id, std::string_view session_id) {
  return std::string(device_id) + "/" + std::string(session_id);
}

}  // namespace vigil::journal
