#include "server/app/composition.hpp"

#include "server/app/dispatch.hpp"
#include "shared/core/log.hpp"

namespace vigil::server::app {

Result<std::unique_ptr<ServerData>> ServerData::open(const std::filesystem::path& dir, const char* sqlite_vfs) {
  VIGIL_ASSIGN(auto home, load_server_home(dir));
  VIGIL_ASSIGN(auto db, SqliteRepository::open(home.database(), sqlite_vfs));
  return std::make_unique<ServerData>(std::move(home), std::move(db));
}

Result<std::unique_ptr<Server>> Server::open(const std::filesystem::path& dir, const time::Clock& clock,
                                             ServerOptions options) {
  VIGIL_ASSIGN(auto data, ServerData::open(dir, options.sqlite_vfs));
  VIGIL_ASSIGN(options.staff.evidence_key, load_evidence_key(dir));
  options.staff.review_target_hours = data->home.config.review_target_hours;
  options.staff.identity_target_hours = data->home.config.identity_target_hours;
  // The appeal period (config.json appeal_window_days): the device API refuses late appeals by it
  // and tells candidates their deadline; the staff pages show it.
  options.api.appeal_window_days = data->home.config.appeal_window_days;
  options.staff.appeal_window_days = data->home.config.appeal_window_days;
  // Release from the staff pages issues certificates with the issuer key active at start-up
  // (after `certificate keys rotate`, restart the server to sign with the new key).
  std::optional<IssuerSigner> signer;
  if (auto s = active_issuer(dir, clock.wall_ms())) {
    signer = std::move(*s);
  } else if (options.staff.log) {
    options.staff.log("event=issuer_key_unavailable detail=" + log_value(s.error().message) +
                      " effect=\"release issues no certificates\"");
  }
  return std::make_unique<Server>(std::move(data), std::move(signer), clock, std::move(options));
}

Server::Server(std::unique_ptr<ServerData> data, std::optional<IssuerSigner> signer, const time::Clock& clock,
               ServerOptions options)
    : data_(std::move(data)),
      signer_(std::move(signer)),
      api_(data_->repo, data_->home.keys, clock, ApiDeps{data_->results, data_->equalities, data_->appeals}, std::move(options.api)),
      staff_api_(data_->repo, data_->staff, clock,
                 StaffResultsDeps{.results = data_->results,
                                        .keys = data_->home.keys,
                                        .signer = signer_ ? &*signer_ : nullptr,
                                        .resits = data_->resits,
                                        .equalities = data_->equalities,
                                        .marking = data_->marking,
                                        .appeals = data_->appeals},
                 std::move(options.staff)) {}

protocol::HttpResponse Server::handle(const protocol::HttpRequest& request, const protocol::PeerIdentity& peer) {
  return route_request(api_, staff_api_, request, peer);
}

}  // namespace vigil::server::app
