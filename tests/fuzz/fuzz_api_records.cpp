// srv::Api::handle fed one request per input (format: fuzz_api_world.hpp) from an enrolled
// device (or no certificate, an unknown or a revoked device), against one real SqliteRepository
// that lives for the whole run, so state builds up: sessions grow from the seed batches, blobs
// fill chunk by chunk, conflicts and integrity flags accumulate.
//
// Oracles (any failure aborts, which libFuzzer reports as a crash with the input saved):
//  - no 5xx except 507 (disk full), no status outside the API's set, no exception;
//  - every error body parses and its code maps back to the status (status_for);
//  - every 2xx body parses as the endpoint's message; a receipt verifies with the server's key;
//  - records: a refused POST leaves the session's record count and head unchanged; the head is
//    always the record count (1..head all stored); the ack's highest equals the stored head;
//  - blobs: received <= size; complete means received == size and the bytes hash to the name.
#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unistd.h>

#include "server/device/api.hpp"
#include "server/home/server_home.hpp"
#include "server/storage/appeals_repository.hpp"
#include "server/storage/equalities_repository.hpp"
#include "server/storage/results_sqlite_repository.hpp"
#include "server/storage/sqlite_repository.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/http/status.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"
#include "tests/fuzz/fuzz_api_world.hpp"

using namespace vigil;
namespace srv = vigil::server;
namespace fs = std::filesystem;
using protocol::HttpRequest;
using protocol::HttpResponse;

namespace {

// Chunked uploads allocate Upload-Length bytes on the first chunk. Lengths above this (and up to
// the API's 64 MiB limit) are skipped so a run cannot fill the disk; larger ones are refused by
// the API before allocating and are still sent.
constexpr std::uint64_t k_max_fuzzed_upload = 64 * 1024;
// The database is recreated (keys and devices kept) when it grows past this.
constexpr std::uintmax_t k_max_db_bytes = 128ull * 1024 * 1024;

struct World {
  fs::path dir;
  srv::ServerHome home;
  time::ManualClock clock{1'790'000'000'000};
  std::unique_ptr<srv::SqliteRepository> repo;
  // The storage the device API requires (server/app/composition.hpp wires the same for a server;
  // here the database is recreated per generation inside one home).
  std::unique_ptr<srv::SqliteResultsRepository> results;
  std::unique_ptr<srv::SqliteEqualitiesRepository> equalities;
  std::unique_ptr<srv::SqliteAppealRepository> appeals;
  std::unique_ptr<srv::Api> api;
  std::string known_blob_hex;
  std::uint64_t inputs = 0;
  int generation = 0;
};

World* g_world = nullptr;

[[noreturn]] void die(const std::string& what, const HttpRequest* req = nullptr, const HttpResponse* resp = nullptr) {
  std::fprintf(stderr, "\nfuzz_api_records: %s\n", what.c_str());
  if (req) {
    std::fprintf(stderr, "request: %s %s\n", req->method.c_str(), req->target.c_str());
    for (const auto& [k, v] : req->headers) std::fprintf(stderr, "  %s: %s\n", k.c_str(), v.c_str());
    std::fprintf(stderr, "  body: %zu bytes\n", req->body.size());
  }
  if (resp) std::fprintf(stderr, "response: %d %s\n", resp->status, resp->body.c_str());
  std::abort();
}

template <class T>
T must(Result<T> r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.error().describe());
  return std::move(*r);
}
void must(Status r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.error().describe());
}

void open_database(World& w) {
  w.api.reset();
  w.appeals.reset();
  w.equalities.reset();
  w.results.reset();
  w.repo.reset();
  const fs::path db_dir = w.dir / ("db-" + std::to_string(w.generation++));
  std::error_code ec;
  fs::remove_all(w.dir / ("db-" + std::to_string(w.generation - 2)), ec);
  fs::create_directories(db_dir);
  w.repo = must(srv::SqliteRepository::open(db_dir / "vigil.db"), "opening the database");
  const auto now = w.clock.wall_ms();
  must(w.repo->add_council("council-fuzz", "Fuzz Council", now), "adding the council");
  must(w.repo->add_candidate({std::string(fuzz::k_candidate), "council-fuzz", "Fuzz Candidate", "", "practitioner"}, now),
       "adding the candidate");
  const auto key = must(crypto::ed25519_from_seed(Bytes(32, fuzz::k_signing_seed_byte)), "deriving the device key");
  must(w.repo->add_device({std::string(fuzz::k_device), std::string(fuzz::k_candidate), std::string(fuzz::k_device_serial),
                           key.public_key, now, std::nullopt}),
       "adding the device");
  must(w.repo->add_device({std::string(fuzz::k_revoked_device), std::string(fuzz::k_candidate),
                           std::string(fuzz::k_revoked_serial), key.public_key, now, std::nullopt}),
       "adding the second device");
  must(w.repo->revoke_device(fuzz::k_revoked_device, "fuzz", now), "revoking the second device");
  w.results = std::make_unique<srv::SqliteResultsRepository>(*w.repo);
  w.equalities = std::make_unique<srv::SqliteEqualitiesRepository>(*w.repo);
  w.appeals = std::make_unique<srv::SqliteAppealRepository>(*w.repo);
  w.api = std::make_unique<srv::Api>(*w.repo, w.home.keys, w.clock, srv::ApiDeps{*w.results, *w.equalities, *w.appeals});
}

std::uintmax_t database_bytes(const World& w) {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(w.dir / ("db-" + std::to_string(w.generation - 1)), ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

void remove_world() {
  if (g_world == nullptr) return;
  g_world->api.reset();
  g_world->repo.reset();
  std::error_code ec;
  fs::remove_all(g_world->dir, ec);
}

bool is_valid_session(std::string_view id) {
  if (id.empty() || id.size() > protocol::k_max_session_id_len) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                    c == '.';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::uint64_t> digits(const std::string& v) {
  if (v.empty() || v.size() > 19) return std::nullopt;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::stoull(v);
}

struct SessionView {
  std::uint64_t records = 0;
  std::uint64_t head = 0;
  std::string head_hash;
  bool operator==(const SessionView&) const = default;
};

SessionView view_session(World& w, std::string_view device, std::string_view session) {
  SessionView v;
  v.records = must(w.repo->count_records(device, session), "counting records");
  if (auto s = must(w.repo->session(device, session), "reading the session")) {
    v.head = s->head.seq;
    v.head_hash = to_hex(s->head.hash);
  }
  return v;
}

const std::set<int> k_statuses = {200, 201, 400, 401, 403, 404, 409, 410, 422, 429, 507};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  static World world;
  g_world = &world;
  world.dir = fs::temp_directory_path() / ("vigil-fuzz-api-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(world.dir, ec);
  fs::create_directories(world.dir);
  must(srv::init_server_home(world.dir / "home", "127.0.0.1", 8443), "creating the server home");
  world.home = must(srv::load_server_home(world.dir / "home"), "loading the server home");
  world.known_blob_hex = to_hex(crypto::sha256(as_bytes(fuzz::known_blob())));
  open_database(world);
  std::atexit(remove_world);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World& w = *g_world;
  if (size == 0) return 0;
  if (++w.inputs % 512 == 0 && database_bytes(w) > k_max_db_bytes) open_database(w);

  // ---- decode the input into a request --------------------------------------------------------
  const std::uint8_t selector = data[0];
  const auto route = static_cast<fuzz::Route>((selector & 0x0F) % fuzz::k_routes);
  const unsigned who = selector >> 4;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string_view block, body = rest;
  if (const auto split = rest.find("\n\n"); split != std::string_view::npos) {
    block = rest.substr(0, split);
    body = rest.substr(split + 2);
  }
  protocol::Headers given;
  std::set<std::string, protocol::CaseInsensitiveLess> removed;
  while (!block.empty()) {
    const auto nl = block.find('\n');
    const std::string_view line = block.substr(0, nl);
    block = nl == std::string_view::npos ? std::string_view{} : block.substr(nl + 1);
    const auto colon = line.find(':', 1);  // ":session: x" is the pseudo-header ":session"
    if (colon == std::string_view::npos) {
      removed.emplace(line);
      continue;
    }
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    given[std::string(line.substr(0, colon))] = std::string(value);
  }
  const auto pseudo = [&](const char* name, std::string fallback) {
    const auto it = given.find(name);
    std::string v = it == given.end() ? std::move(fallback) : it->second;
    if (it != given.end()) given.erase(it);
    return v;
  };
  const std::string session = pseudo(":session", std::string(fuzz::k_session));
  const std::string blob = pseudo(":blob", w.known_blob_hex);
  const std::string method = pseudo(":method", "GET");
  const std::string target = pseudo(":target", "/v1/health");

  HttpRequest req;
  req.body = std::string(body);
  std::optional<std::string> watched_session;  // a session whose invariants are checked
  std::optional<std::string> watched_blob;     // a blob (hex) whose invariants are checked
  switch (route) {
    case fuzz::post_records_fz:
    case fuzz::post_records_fz2:
    case fuzz::post_records_named: {
      const std::string id = route == fuzz::post_records_fz    ? std::string(fuzz::k_session)
                             : route == fuzz::post_records_fz2 ? std::string(fuzz::k_session2)
                                                               : session;
      req.method = "POST";
      req.target = "/v1/sessions/" + id + "/records";
      req.headers["Content-Type"] = "application/json";
      if (is_valid_session(id)) watched_session = id;
      break;
    }
    case fuzz::get_session_named:
      req.method = "GET";
      req.target = "/v1/sessions/" + session;
      break;
    case fuzz::put_blob_known:
    case fuzz::put_blob_self:
    case fuzz::put_blob_named: {
      const std::string body_hex = to_hex(crypto::sha256(as_bytes(body)));
      const std::string name = route == fuzz::put_blob_known ? w.known_blob_hex
                               : route == fuzz::put_blob_self ? body_hex
                                                              : blob;
      req.method = "PUT";
      req.target = "/v1/blobs/" + name;
      req.headers["Content-Type"] = "application/octet-stream";
      req.headers["Upload-Offset"] = "0";
      req.headers["Upload-Length"] = std::to_string(body.size());
      req.headers["Chunk-SHA256"] = body_hex;
      watched_blob = name;
      break;
    }
    case fuzz::get_blob_named:
      req.method = "GET";
      req.target = "/v1/blobs/" + blob;
      break;
    case fuzz::post_enrol:
      req.method = "POST";
      req.target = "/v1/enrol";
      req.headers["Content-Type"] = "application/json";
      break;
    case fuzz::raw:
    case fuzz::k_routes:
      req.method = method;
      req.target = target;
      break;
  }
  for (auto& [k, v] : given) req.headers[k] = v;
  for (const auto& k : removed) req.headers.erase(k);
  if (const auto length = digits(req.header("Upload-Length"));
      length && *length > k_max_fuzzed_upload && *length <= protocol::k_max_blob_bytes) {
    return 0;  // would allocate up to 64 MiB of disk (see k_max_fuzzed_upload)
  }

  protocol::PeerIdentity peer;
  if (who <= 12) {
    peer = {true, std::string(fuzz::k_device), std::string(fuzz::k_device_serial), "127.0.0.1"};
  } else if (who == fuzz::no_certificate) {
    peer = {false, "", "", "127.0.0.1"};
  } else if (who == fuzz::unknown_device) {
    peer = {true, std::string(fuzz::k_unknown_device), "01", "127.0.0.1"};
  } else {
    peer = {true, std::string(fuzz::k_revoked_device), std::string(fuzz::k_revoked_serial), "127.0.0.1"};
  }
  const std::string device = peer.subject_cn;

  // ---- run it -----------------------------------------------------------------------------------
  std::optional<SessionView> before;
  if (watched_session) before = view_session(w, fuzz::k_device, *watched_session);
  w.clock.advance_ms(1);
  HttpResponse resp;
  try {
    resp = w.api->handle(req, peer);
  } catch (const std::exception& e) {
    die(std::string("Api::handle threw: ") + e.what(), &req);
  }

  // VIGIL_FUZZ_VERBOSE=1 traces each request (to check what the seed corpus reaches).
  static const bool verbose = std::getenv("VIGIL_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "%s %s as %s -> %d %.200s\n", req.method.c_str(), req.target.c_str(),
                 peer.subject_cn.empty() ? "(no certificate)" : peer.subject_cn.c_str(), resp.status, resp.body.c_str());
  }

  // ---- check the response -------------------------------------------------------------------------
  if (resp.status >= 500 && resp.status != 507) die("a 5xx response", &req, &resp);
  if (k_statuses.count(resp.status) == 0) die("a status the API does not document", &req, &resp);
  if (resp.header("Content-Type") != "application/json") die("a response that is not JSON", &req, &resp);
  if (resp.status >= 300) {
    auto e = protocol::parse_error_body(resp.body);
    if (!e) die("an error body that does not parse: " + e.error().describe(), &req, &resp);
    if (http::status_for(protocol::to_error(*e).code) != resp.status) die("an error code that maps to another status", &req, &resp);
  } else if (route <= fuzz::post_records_named && req.method == "POST") {
    auto ack = protocol::parse_batch_ack(resp.body);
    if (!ack) die("an ack that does not parse: " + ack.error().describe(), &req, &resp);
    if (watched_session && ack->highest_contiguous_seq != view_session(w, device, *watched_session).head) {
      die("the ack's highest is not the stored head", &req, &resp);
    }
  } else if (route == fuzz::get_session_named) {
    auto st = protocol::parse_session_state(resp.body);
    if (!st) die("a session state that does not parse: " + st.error().describe(), &req, &resp);
    if (st->receipt && !protocol::verify_receipt(*st->receipt, w.home.keys.receipt_public)) {
      die("a receipt that does not verify", &req, &resp);
    }
  } else if (route >= fuzz::put_blob_known && route <= fuzz::get_blob_named) {
    auto st = protocol::parse_blob_status(resp.body);
    if (!st) die("a blob status that does not parse: " + st.error().describe(), &req, &resp);
    if (st->offset > st->size && st->size != 0) die("a blob status with offset past size", &req, &resp);
  } else if (!protocol::parse_json(resp.body)) {
    die("a 2xx body that is not a JSON object", &req, &resp);
  }

  // ---- check what is stored -----------------------------------------------------------------------
  if (watched_session) {
    const SessionView after = view_session(w, fuzz::k_device, *watched_session);
    if (resp.status != 200 && after != *before) die("a refused batch changed the stored session", &req, &resp);
    if (after.records != after.head) die("the session head is not the number of stored records", &req, &resp);
  }
  if (watched_blob && peer.client_certificate) {
    if (auto sha = from_hex(*watched_blob); sha && sha->size() == 32) {
      auto row = must(w.repo->blob(device, *sha), "reading the blob");
      if (row) {
        if (row->received > row->size) die("a blob holds more than its size", &req, &resp);
        if (row->complete && row->received != row->size) die("a complete blob is not whole", &req, &resp);
        if (row->complete && row->size <= k_max_fuzzed_upload) {
          const auto bytes = must(w.repo->read_blob(*row, 0, static_cast<std::size_t>(row->size)), "reading blob data");
          if (crypto::sha256(bytes) != row->sha256) die("a complete blob does not hash to its name", &req, &resp);
        }
      }
    }
  }
  return 0;
}
