// vigil_server_disk_full_probe HOME FILLER: the server's disk fills up under device sync
// (tests/fault/server_disk_full.sh runs it with HOME on a small tmpfs beside FILLER, a file that
// takes part of it). Through the composition root, as one enrolled device, it posts batches of
// answers until the server refuses one, then checks what an operator is promised
// (docs/OPERATIONS.md, "When the disk fills"):
//  - the refusal is 507 disk_full with a message that says so, never a 500, and stays so;
//  - nothing acknowledged is lost and nothing refused was half-stored: the records held are
//    exactly those acknowledged; a blob upload is refused the same way;
//  - once FILLER is deleted, the same batch is taken and the session goes on, no restart needed;
//  - reopened from disk, the server holds every acknowledged record and PRAGMA integrity_check
//    is ok.
// Lines: FULL_AFTER <batches> <records> <status> <code> <message>, BLOB_REFUSED <status> <code>,
// RESUMED <records>, DISK_FULL_OK <records>; or FAIL <why> (exit 1).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "server/app/composition.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/journal/journal.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"
#include "shared/time/clock.hpp"
#include "tests/support/http_request.hpp"

namespace {

using namespace vigil;
namespace fs = std::filesystem;
using protocol::HttpResponse;
using testing::make_request;

const std::string k_candidate = "cand-full";
const std::string k_serial = "d15cf0";
const std::string k_session = "session-full";
constexpr int k_answers_per_batch = 40;
constexpr int k_max_batches = 2000;  // a 16 MiB disk fills long before

[[noreturn]] void fail(const std::string& why) {
  std::cout << "FAIL " << why << std::endl;
  std::exit(1);
}

void say(const std::string& line) { std::cout << line << std::endl; }

// The API's error body (docs/api/openapi.yaml), or an empty one when the body is not one.
protocol::ErrorBody error_of(const HttpResponse& r) { return protocol::parse_error_body(r.body).value_or(protocol::ErrorBody{}); }
std::string error_code_of(const HttpResponse& r) { return error_of(r).code; }

struct Device {
  std::string id = "d15cf011d15cf011d15cf011d15cf011";
  crypto::Ed25519KeyPair key = crypto::ed25519_generate().value();
  protocol::PeerIdentity peer() const { return {true, id, k_serial, "127.0.0.1"}; }
};

// The device's journal of one session.
class Journal {
 public:
  explicit Journal(const Device& d) : app_(journal::chain_id_for(d.id, k_session), journal::Head::genesis(journal::chain_id_for(d.id, k_session))) {}
  // The next batch: k_answers_per_batch answers of about 1 KB.
  protocol::RecordBatch next_batch() {
    protocol::RecordBatch b;
    b.session_id = k_session;
    for (int i = 0; i < k_answers_per_batch; ++i) {
      clock_.advance_ms(1000);
      const std::string payload = R"({"item_id":"q)" + std::to_string(app_.head().seq + 1) + R"(","revision":1,"v":1,"value":")" +
                                  std::string(1000, static_cast<char>('a' + app_.head().seq % 26)) + "\"}";
      const auto r = app_.next("answer.saved", as_bytes(payload), clock_);
      app_.commit(r);
      b.records.push_back({r, to_bytes(payload)});
    }
    return b;
  }

 private:
  time::ManualClock clock_{1'800'000'000'000};
  journal::Appender app_;
};

std::uint64_t held(server::app::Server& s, const Device& d) { return s.data().repo.count_records(d.id, k_session).value(); }

HttpResponse post(server::app::Server& s, const Device& d, const protocol::RecordBatch& b) {
  return s.handle(make_request("POST", "/v1/sessions/" + k_session + "/records", protocol::to_json(b).dump(), "application/json"),
                  d.peer());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: vigil_server_disk_full_probe HOME FILLER\n";
    return 64;
  }
  const fs::path home = argv[1];
  const fs::path filler = argv[2];
  Device device;
  if (auto st = server::init_server_home(home, "127.0.0.1", 8443); !st) fail("init: " + st.error().describe());
  {
    auto data = server::app::ServerData::open(home).value();
    const std::int64_t now = time::system_clock().wall_ms();
    if (!data->repo.add_council("council-full", "Full Council", now) ||
        !data->repo.add_candidate({k_candidate, "council-full", "Ada Lovelace", "ada@example.org", "practitioner"}, now) ||
        !data->repo.add_device({device.id, k_candidate, k_serial, device.key.public_key, now, std::nullopt})) {
      fail("setting up the candidate and device");
    }
  }
  const time::ManualClock clock(time::system_clock().wall_ms());
  server::app::ServerOptions options;
  options.staff.log = [](const std::string&) {};
  auto server = server::app::Server::open(home, clock, options);
  if (!server) fail("open: " + server.error().describe());

  Journal journal(device);
  std::uint64_t acked = 0;
  protocol::RecordBatch refused;
  int batches = 0;
  for (;; ++batches) {
    if (batches == k_max_batches) fail("the disk never filled");
    protocol::RecordBatch b = journal.next_batch();
    const HttpResponse r = post(**server, device, b);
    if (r.status == 200) {
      const auto ack = protocol::parse_batch_ack(r.body);
      if (!ack || ack->highest_contiguous_seq != b.records.back().record.seq) fail("an unexpected acknowledgement: " + r.body);
      acked = ack->highest_contiguous_seq;
      continue;
    }
    say("FULL_AFTER " + std::to_string(batches) + " " + std::to_string(acked) + " " + std::to_string(r.status) + " " +
        error_of(r).code + " " + error_of(r).message);
    if (r.status != 507 || error_code_of(r) != "disk_full") fail("the refusal was not 507 disk_full: " + r.body);
    refused = std::move(b);
    break;
  }
  // Asked again, still full: the same answer, and nothing half-stored.
  for (int i = 0; i < 3; ++i) {
    const HttpResponse again = post(**server, device, refused);
    if (again.status != 507) fail("a retry on the full disk answered " + std::to_string(again.status) + ": " + again.body);
  }
  if (held(**server, device) != acked) {
    fail("the server holds " + std::to_string(held(**server, device)) + " records, acknowledged " + std::to_string(acked));
  }
  // An evidence upload on the full disk is refused the same way.
  {
    const std::string blob(256 * 1024, 'e');
    const std::string sha = to_hex(crypto::sha256(as_bytes(blob)));
    auto req = make_request("PUT", "/v1/blobs/" + sha, blob, "application/octet-stream");
    req.headers["Upload-Offset"] = "0";
    req.headers["Upload-Length"] = std::to_string(blob.size());
    req.headers["Chunk-SHA256"] = sha;
    const HttpResponse r = (*server)->handle(req, device.peer());
    say("BLOB_REFUSED " + std::to_string(r.status) + " " + error_code_of(r));
    if (r.status != 507 || error_code_of(r) != "disk_full") fail("the blob on a full disk answered: " + r.body);
  }

  // Space freed: the device's retry is taken, and the session goes on.
  std::error_code ec;
  fs::remove(filler, ec);
  if (ec) fail("removing the filler: " + ec.message());
  const HttpResponse retried = post(**server, device, refused);
  if (retried.status != 200) fail("the retry after space was freed answered " + std::to_string(retried.status) + ": " + retried.body);
  acked = refused.records.back().record.seq;
  const protocol::RecordBatch more = journal.next_batch();
  if (post(**server, device, more).status != 200) fail("the next batch after space was freed was refused");
  acked = more.records.back().record.seq;
  say("RESUMED " + std::to_string(acked));
  server->reset();

  // Reopened from disk.
  auto reopened = server::app::Server::open(home, clock, options);
  if (!reopened) fail("reopen: " + reopened.error().describe());
  if (held(**reopened, device) != acked) fail("after reopening the server holds " + std::to_string(held(**reopened, device)) + " of " + std::to_string(acked));
  auto ic = (*reopened)->data().repo.db().query_text("PRAGMA integrity_check");
  if (!ic || ic->value_or("") != "ok") fail("integrity_check: " + (!ic ? ic.error().describe() : ic->value_or("no answer")));
  say("DISK_FULL_OK " + std::to_string(acked));
  return 0;
}
