// vigil_power_cut_server: power cuts under the server's ingest (tests/fault/power_cut.hpp).
//
// Each cycle opens the server through the composition root with its database on the power-loss
// VFS and, as one device, sends a new session's journal in 2 to 4 batches (POST
// /v1/sessions/{id}/records), uploads one evidence blob in two chunks (PUT /v1/blobs/{sha}) and
// submits with a signed checkpoint; the blob goes before the submission (the receipt is issued
// during ingest) or after it (issued when the device asks, GET /v1/sessions/{id}). The power goes
// at a random write or sync (or at the end); the server is reopened with the default VFS and
// checked:
//  - every record the server acknowledged (seq <= highest_contiguous_seq of a 200 answer) is
//    there with its hash; every blob answered complete is there, whole; every receipt the device
//    was given is still the session's receipt;
//  - every session's stored records are exactly the device's journal from 1 to the head, and
//    any receipt held verifies, names that journal's record at its final_seq and only complete
//    blobs (no receipt names what the server no longer has);
//  - PRAGMA integrity_check is ok.
// Every 50 cycles it starts a new server home.
#include <map>
#include <set>

#include "server/app/composition.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/journal/journal.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"
#include "shared/time/clock.hpp"
#include "tests/fault/power_cut.hpp"
#include "tests/support/http_request.hpp"

namespace {

using namespace vigil;
using namespace vigil::testing;
namespace fs = std::filesystem;
using protocol::HttpRequest;
using protocol::HttpResponse;

constexpr long k_cycles_per_home = 50;
const std::string k_candidate = "cand-power";
const std::string k_serial = "5e1a11";

struct Device {
  std::string id = "00112233445566778899aabbccddeeff";
  crypto::Ed25519KeyPair key = crypto::ed25519_generate().value();
  protocol::PeerIdentity peer() const { return {true, id, k_serial, "127.0.0.1"}; }
};

// One session as the device wrote it, and what the server acknowledged of it.
struct Session {
  std::string id;
  std::vector<protocol::RecordDto> records;  // records[i] has seq i + 1
  std::uint64_t acked = 0;                   // highest seq acknowledged
  std::optional<std::array<std::uint8_t, 32>> blob_acked;
  std::string blob;
  std::string receipt_acked;  // the receipt JSON the device was given
};

struct Home {
  Device device;
  std::vector<Session> sessions;
};

void require(const Status& st) {
  if (!st) throw std::runtime_error(st.error().describe());
}

// A new home, set up with the default VFS (installing the server is not what is cut).
void make_home(Home& h, const fs::path& dir) {
  require(server::init_server_home(dir, "127.0.0.1", 8443));
  auto data = server::app::ServerData::open(dir).value();
  const std::int64_t now = time::system_clock().wall_ms();
  require(data->repo.add_council("council-power", "Power Council", now));
  require(data->repo.add_candidate({k_candidate, "council-power", "Grace Hopper", "grace@example.org", "practitioner"}, now));
  require(data->repo.add_device({h.device.id, k_candidate, k_serial, h.device.key.public_key, now, std::nullopt}));
  h.sessions.clear();
}

class Sender {
 public:
  Sender(server::app::Server& server, const Device& device, Session& s, power_cut::Tally& t, long cycle)
      : server_(server), device_(device), s_(s), t_(t), cycle_(cycle),
        app_(journal::chain_id_for(device.id, s.id), journal::Head::genesis(journal::chain_id_for(device.id, s.id))) {}

  // Returns false once a request failed (the power is off).
  bool post(std::size_t answers, bool submit, std::mt19937_64& rng) {
    const std::uint64_t from = s_.records.size() + 1;
    for (std::size_t i = 0; i < answers; ++i) {
      add("answer.saved", R"({"item_id":"q)" + std::to_string(s_.records.size() + 1) + R"(","revision":1,"v":1,"value":")" +
                              std::string(std::uniform_int_distribution<std::size_t>(10, 900)(rng), 'x') + "\"}");
    }
    protocol::RecordBatch b;
    b.session_id = s_.id;
    if (submit) {
      protocol::SubmissionManifest m;
      m.blobs.push_back(crypto::sha256(as_bytes(s_.blob)));
      add(protocol::k_session_submitted_type, protocol::encode_submission_manifest(m));
      b.checkpoint = journal::make_checkpoint(app_.chain_id(), app_.head(), crypto::view(device_.key.seed)).value();
    }
    for (std::uint64_t seq = from; seq <= s_.records.size(); ++seq) b.records.push_back(s_.records[seq - 1]);
    const auto r = call(make_request("POST", "/v1/sessions/" + s_.id + "/records", protocol::to_json(b).dump(),
                                     "application/json"), "records");
    if (!r) return false;
    auto ack = protocol::parse_batch_ack(r->body);
    if (!ack || ack->highest_contiguous_seq != s_.records.size()) {
      t_.problem(t_.errors, cycle_, "an unexpected acknowledgement: " + r->body);
      return false;
    }
    t_.acknowledged += ack->highest_contiguous_seq - s_.acked;
    s_.acked = ack->highest_contiguous_seq;
    return true;
  }

  bool upload_blob() {
    const std::string sha = to_hex(crypto::sha256(as_bytes(s_.blob)));
    const std::size_t half = s_.blob.size() / 2;
    for (auto [at, n] : {std::pair{std::size_t{0}, half}, std::pair{half, s_.blob.size() - half}}) {
      const std::string chunk = s_.blob.substr(at, n);
      HttpRequest req = make_request("PUT", "/v1/blobs/" + sha, chunk, "application/octet-stream");
      req.headers["Upload-Offset"] = std::to_string(at);
      req.headers["Upload-Length"] = std::to_string(s_.blob.size());
      req.headers["Chunk-SHA256"] = to_hex(crypto::sha256(as_bytes(chunk)));
      const auto r = call(req, "blob");
      if (!r) return false;
      auto st = protocol::parse_blob_status(r->body);
      if (st && st->complete) {
        s_.blob_acked = st->sha256;
        ++t_.acknowledged;
      }
    }
    return true;
  }

  bool ask_for_receipt() {
    const auto r = call(make_request("GET", "/v1/sessions/" + s_.id), "session");
    if (!r) return false;
    auto st = protocol::parse_session_state(r->body);
    if (st && st->receipt) {
      s_.receipt_acked = protocol::to_json(*st->receipt).dump();
      ++t_.acknowledged;
    } else {
      t_.problem(t_.errors, cycle_, "no receipt for a complete submission: " + r->body);
    }
    return true;
  }

 private:
  void add(std::string_view type, const std::string& payload) {
    clock_.advance_ms(1000);
    const auto r = app_.next(type, as_bytes(payload), clock_);
    app_.commit(r);
    s_.records.push_back({r, to_bytes(payload)});
  }

  std::optional<HttpResponse> call(const HttpRequest& req, const char* what) {
    HttpResponse r = server_.handle(req, device_.peer());
    if (r.status == 200) return r;
    if (!PowerCutVfs::instance().is_cut()) {
      t_.problem(t_.errors, cycle_, std::string(what) + " failed with the power on: " + std::to_string(r.status) + " " + r.body);
    }
    return std::nullopt;
  }

  server::app::Server& server_;
  const Device& device_;
  Session& s_;
  power_cut::Tally& t_;
  long cycle_;
  time::ManualClock clock_{1'800'000'000'000};
  journal::Appender app_;
};

void work(const power_cut::Cycle& cycle, Home& h) {
  auto& rng = cycle.rng;
  const time::ManualClock clock(time::system_clock().wall_ms());
  server::app::ServerOptions options;
  options.sqlite_vfs = PowerCutVfs::k_name;
  options.staff.log = [](const std::string&) {};
  auto server = server::app::Server::open(cycle.dir, clock, std::move(options));
  if (!server) {
    if (!PowerCutVfs::instance().is_cut()) {
      cycle.t.problem(cycle.t.errors, cycle.number, "opening the server: " + server.error().describe());
    }
    return;
  }
  cycle.run.after_open();
  Session& s = h.sessions.emplace_back();
  s.id = "power-" + std::to_string(cycle.number);
  s.blob = std::string(std::uniform_int_distribution<std::size_t>(2, 9000)(rng), static_cast<char>('a' + cycle.number % 26));
  Sender c(**server, h.device, s, cycle.t, cycle.number);
  const long batches = std::uniform_int_distribution<long>(2, 4)(rng);
  const bool blob_first = std::bernoulli_distribution(0.5)(rng);
  auto& planner = cycle.planner;
  planner.phase("records");
  for (long b = 0; b < batches; ++b) {
    if (!c.post(std::uniform_int_distribution<std::size_t>(1, 4)(rng), false, rng)) return;
  }
  if (blob_first) {
    planner.phase("blob");
    if (!c.upload_blob()) return;
    planner.phase("submission, receipt issued in the same transaction");
    if (!c.post(0, true, rng)) return;
    planner.phase("receipt request");
  } else {
    planner.phase("submission");
    if (!c.post(0, true, rng)) return;
    planner.phase("blob");
    if (!c.upload_blob()) return;
    planner.phase("receipt request, receipt issued");
  }
  if (!c.ask_for_receipt()) return;
  planner.phase("close");
  server->reset();
}

void check_session(server::app::ServerData& data, const Device& d, Session& s, long cycle, power_cut::Tally& t) {
  auto& repo = data.repo;
  auto row = repo.session(d.id, s.id);
  if (!row) return t.problem(t.corrupt, cycle, "reading session " + s.id + ": " + row.error().describe());
  const std::uint64_t head = *row ? (*row)->head.seq : 0;
  if (head < s.acked) {
    t.problem(t.lost, cycle, s.id + ": records " + std::to_string(head + 1) + " to " + std::to_string(s.acked) +
                                 " were acknowledged and are missing");
    s.acked = head;  // counted once
  }
  if (!*row) return;
  const auto count = repo.count_records(d.id, s.id);
  if (!count || *count != head || head > s.records.size() ||
      (head > 0 && (*row)->head.hash != journal::record_hash(s.records[head - 1].record))) {
    return t.problem(t.corrupt, cycle, s.id + ": the stored head does not match its records");
  }
  for (std::uint64_t seq = 1; seq <= head; ++seq) {
    auto rec = repo.record(d.id, s.id, seq);
    if (!rec || !*rec || (*rec)->record_hash != journal::record_hash(s.records[seq - 1].record)) {
      return t.problem(t.corrupt, cycle, s.id + ": stored record " + std::to_string(seq) + " is not the device's");
    }
  }
  if (s.blob_acked) {
    auto b = repo.blob(d.id, *s.blob_acked);
    bool whole = b && *b && (*b)->complete;
    if (whole) {
      auto bytes = repo.read_blob(**b, 0, s.blob.size());
      whole = bytes && crypto::sha256(*bytes) == *s.blob_acked;
    }
    if (!whole) {
      t.problem(t.lost, cycle, s.id + ": the acknowledged blob is missing or incomplete");
      s.blob_acked.reset();
    }
  }
  const std::string& stored = (*row)->receipt;
  if (!s.receipt_acked.empty() && stored != s.receipt_acked) {
    t.problem(t.lost, cycle, s.id + ": the receipt the device was given is gone or changed: " + stored);
    s.receipt_acked.clear();
  }
  if (stored.empty()) return;
  auto r = protocol::parse_receipt(stored);
  if (!r || !protocol::verify_receipt(*r, data.home.keys.receipt_public) || r->final_seq == 0 || r->final_seq > head ||
      r->head_hash != journal::record_hash(s.records[r->final_seq - 1].record)) {
    return t.problem(t.corrupt, cycle, s.id + ": a receipt names a record the server does not hold: " + stored);
  }
  for (const auto& sha : r->blobs) {
    auto b = repo.blob(d.id, sha);
    if (!b || !*b || !(*b)->complete) t.problem(t.corrupt, cycle, s.id + ": a receipt names a blob the server does not hold");
  }
}

// After the cut, as the server would restart: the default VFS. False when the database is damaged.
bool check(const power_cut::Cycle& cycle, Home& h) {
  auto& t = cycle.t;
  auto data = server::app::ServerData::open(cycle.dir);
  if (!data) {
    t.problem(t.corrupt, cycle.number, "the server's database does not open after the cut: " + data.error().describe());
    return false;
  }
  for (auto& s : h.sessions) check_session(**data, h.device, s, cycle.number, t);
  auto ic = (*data)->repo.db().query_text("PRAGMA integrity_check");
  if (!ic || !*ic || **ic != "ok") {
    t.problem(t.corrupt, cycle.number, "integrity_check: " + (!ic ? ic.error().describe() : ic->value_or("no answer")));
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Home home;
  return power_cut::run_cycles(
      "server", argc, argv, k_cycles_per_home, [&](const fs::path& dir) { make_home(home, dir); },
      [&](const power_cut::Cycle& c) { work(c, home); }, [&](const power_cut::Cycle& c) { return check(c, home); });
}
