#pragma once
// The server's HTTP API as a pure function: request (and the peer the TLS layer verified) in,
// response out. No sockets here (server/net does those), no SQL (server/storage/repository.hpp).
//
// Endpoints (docs/api/openapi.yaml):
//   GET  /v1/health                        liveness
//   GET  /v1/server-keys                   the published receipt and evidence public keys
//   POST /v1/enrol                         enrolment code + CSR -> device certificate
//   POST /v1/sessions/{session}/records    device: a batch of journal records -> highest stored
//   GET  /v1/sessions/{session}            device: what the server holds, and the receipt
//   GET  /v1/blobs/{sha256}                device: upload offset
//   PUT  /v1/blobs/{sha256}                device: one chunk (Upload-Offset, Upload-Length,
//                                          Chunk-SHA256 headers; body = bytes)
//   GET  /v1/packages                      device: its candidate's sittings and the package key
//   GET  /v1/packages/{assessment}/{ver}   device: the signed, encrypted package file
//   POST /v1/sittings/{sitting}/grant      device: {kx_public} -> the signed sitting grant
//   POST /v1/sittings/{sitting}/key        device: the content key sealed to its kx key, only
//                                          from the scheduled start to the end of the window
//                                          (server clock); docs/PACKAGE-FORMAT.md
//   GET  /v1/results                       device: its candidate's released results and
//                                          certificates (docs/RESULTS.md)
//   POST /v1/sittings/{sitting}/appeal     device: an appeal of its own candidate's void or
//                                          withheld result, within the period (docs/RESULTS.md
//                                          "Appeals"); the same request_id again answers alike
//   PUT  /v1/equalities                    device: its candidate's optional equalities
//                                          declaration, replacing any earlier one
//                                          (docs/EQUALITIES.md); never journalled
//
// Invariants:
//  (1) Errors leave nothing half-written: each request's changes are one repository transaction;
//      integrity flags raised while refusing a request are written after the rollback.
//  (2) Records are accepted only as a verified extension of the session's stored head; the same
//      (device, session, seq) with different content is refused and flagged, never overwritten.
//  (3) A receipt is issued once, when the session.submitted record, every record before it, a
//      device-signed checkpoint at that record, and every blob its manifest lists are held; it
//      never changes afterwards.
//  (4) http::status_for() (shared/http/status.hpp) is the one place error codes become HTTP
//      statuses; every endpoint is one row of k_routes (api.cpp), matched by shared/http/router.hpp.
#include <cstdint>
#include <functional>
#include <string>

#include "server/home/server_keys.hpp"
#include "server/storage/repository.hpp"
#include "shared/protocol/http.hpp"
#include "shared/time/clock.hpp"

namespace vigil::server {

class ResultsRepository;     // server/storage/results_repository.hpp
class EqualitiesRepository;  // server/storage/equalities_repository.hpp
class AppealRepository;      // server/storage/appeals_repository.hpp

struct ApiConfig {
  std::int64_t device_certificate_days = 400;
  std::int64_t max_failed_enrolment_attempts = 5;
  std::uint64_t device_blob_quota_bytes = 1024ull * 1024 * 1024;  // uploads one device may hold
  // Days after the day of a decision within which its candidate may appeal it (config.json
  // appeal_window_days; shared/results/appeal.hpp).
  std::int64_t appeal_window_days = 28;
  // Where server-side failures (5xx) are reported, one key=value line each; never personal data.
  std::function<void(const std::string&)> log;
};

// The storage behind GET /v1/results and PUT /v1/equalities; not owned, always provided (the
// composition root, server/app/composition.hpp, opens them with the database).
struct ApiDeps {
  ResultsRepository& results;
  EqualitiesRepository& equalities;
  AppealRepository& appeals;          // POST /v1/sittings/{sitting}/appeal, GET /v1/results?v=3
};

// How early (device or server clock) an unlock may be before it is flagged; the client accepts a
// start code from 15 minutes before the start (client/package/packages.hpp).
inline constexpr std::int64_t k_unlock_tolerance_ms = 15 * 60 * 1000;

class Api {
 public:
  Api(Repository& repo, const ServerKeys& keys, const time::Clock& clock, ApiDeps deps, ApiConfig config = {})
      : repo_(repo), keys_(keys), clock_(clock), deps_(deps), config_(std::move(config)) {}

  protocol::HttpResponse handle(const protocol::HttpRequest& request, const protocol::PeerIdentity& peer);

 private:
  Result<protocol::HttpResponse> route(const protocol::HttpRequest& request, const protocol::PeerIdentity& peer);
  Result<DeviceRow> authenticate(const protocol::PeerIdentity& peer);
  Result<protocol::HttpResponse> enrol(const protocol::HttpRequest& request);
  Result<protocol::HttpResponse> post_records(const DeviceRow& device, std::string_view session_id,
                                              const protocol::HttpRequest& request);
  Result<protocol::HttpResponse> get_session(const DeviceRow& device, std::string_view session_id);
  Result<protocol::HttpResponse> get_blob(const DeviceRow& device, std::string_view sha_hex);
  Result<protocol::HttpResponse> put_blob(const DeviceRow& device, std::string_view sha_hex,
                                          const protocol::HttpRequest& request);
  Result<protocol::HttpResponse> list_packages(const DeviceRow& device);
  Result<protocol::HttpResponse> get_package(const DeviceRow& device, std::string_view assessment_id,
                                             std::string_view version);
  Result<protocol::HttpResponse> post_grant(const DeviceRow& device, std::string_view sitting_id,
                                            const protocol::HttpRequest& request);
  Result<protocol::HttpResponse> post_key(const DeviceRow& device, std::string_view sitting_id);
  // A flag when a "package.unlocked" record of a sitting is outside its window, by the server's
  // clock on arrival or by the device's own clock in the record.
  Result<std::optional<FlagRow>> check_unlock_time(const DeviceRow& device, std::string_view session_id,
                                                   const journal::Record& r, std::int64_t now);
  Result<protocol::HttpResponse> get_results(const DeviceRow& device, const protocol::HttpRequest& req);
  Result<protocol::HttpResponse> put_equalities(const DeviceRow& device, const protocol::HttpRequest& request);
  Result<protocol::HttpResponse> post_appeal(const DeviceRow& device, std::string_view sitting_id,
                                             const protocol::HttpRequest& request);
  // Issues the receipt if the session has just become complete (inside the caller's transaction).
  Status maybe_issue_receipt(const DeviceRow& device, std::string_view session_id);
  // Issue 13, finding 6: a withdrawn candidate's devices may not download, unlock or submit.
  // Audits the refusal (its own transaction) and fails with 403 forbidden, field "candidate".
  Status refuse_if_withdrawn(const DeviceRow& device, std::string_view action);

  Repository& repo_;
  const ServerKeys& keys_;
  const time::Clock& clock_;
  ApiDeps deps_;
  ApiConfig config_;
};

// Enrolment codes: 16 characters, XXXX-XXXX-XXXX-XXXX; the first four are the public handle.
struct NewEnrolmentCode {
  std::string code;       // formatted for a letter: "ACDE-FGHJ-KMNP-QRTU"
  std::int64_t expires_wall_ms = 0;
};
Result<NewEnrolmentCode> create_enrolment_code(Repository& repo, std::string_view candidate_id,
                                               const time::Clock& clock, std::int64_t valid_days = 14);

}  // namespace vigil::server
