// vigil-server: receives candidates' sessions over TLS; admin subcommands manage its data.
// Thin: every subcommand is a call into the server libraries (docs/ARCHITECTURE.md).
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "server/app/composition.hpp"
#include "server/app/results_cli.hpp"
#include "server/app/service_notify.hpp"
#include "server/packages/authoring.hpp"
#include "shared/time/format.hpp"
#include "server/packages/packages.hpp"
#include "server/results/resits.hpp"
#include "server/staff/staff_accounts.hpp"
#include "server/net/https_server.hpp"
#include "shared/core/log.hpp"
#include "shared/core/version.hpp"
#include "shared/protocol/sync.hpp"

namespace {

namespace fs = std::filesystem;
using namespace vigil::server;

int failed(const vigil::Error& e) {
  std::cerr << "vigil-server: " << vigil::log_value(e.message) << "\n";
  return e.code == vigil::Errc::invalid_argument ? 64 : 1;
}

int cmd_serve(const fs::path& dir, int port_override) {
  // One event line each (vigil::log, on stderr: the service manager keeps it); never personal data.
  auto log = [](const std::string& line) { vigil::log::write(line); };
  // The composition root (server/app/composition.hpp): the home, the database, every repository,
  // the issuer key, the device API and the staff API (/staff/...) sharing the listener.
  vigil::server::app::ServerOptions options;
  options.api.log = log;
  options.staff.log = log;
  auto opened = vigil::server::app::Server::open(dir, vigil::time::system_clock(), std::move(options));
  if (!opened) return failed(opened.error());
  auto& root = **opened;
  const auto& home = root.data().home;

  // Each connection is a file descriptor: raise the soft limit to the hard one so the
  // listener's connection cap, not the default of 1,024, is what limits it.
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }

  net::ListenerConfig lc;
  lc.address = home.config.listen_address;
  lc.port = port_override >= 0 ? static_cast<std::uint16_t>(port_override) : home.config.port;
  lc.certificate_chain_pem = home.server_chain();
  lc.private_key_pem = home.server_key();
  lc.client_ca_pem = home.device_ca();
  lc.body_limit = home.config.body_limit;
  lc.rate_per_second = home.config.device_rate_per_second;
  lc.rate_burst = home.config.device_rate_burst;
  lc.threads = home.config.threads;
  // The staff password KDF (scrypt, 32 MiB) runs on one worker thread, not on the I/O threads
  // that serve device sync; a burst beyond 16 waiting is answered 503 (docs/STAFF.md).
  lc.offload = [](const vigil::protocol::HttpRequest& req) { return StaffApi::runs_password_kdf(req); };
  lc.offload_threads = 1;
  lc.offload_queue = 16;
  lc.log = log;

  // SIGTERM / SIGINT: stop accepting, finish requests in flight, then exit. SIGHUP: load the
  // certificates again (a renewed staff certificate) for new connections, disturbing none that
  // is open. The signals are blocked in every thread and taken by one waiting thread, so the
  // work runs in a normal context.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // With a staff listener of its own, each listener serves only its side (docs/OPERATIONS.md).
  const auto& staff_config = home.config.staff_listener;
  const bool separate_staff = staff_config.has_value();
  net::HttpsServer server(lc, [&root, separate_staff](const vigil::protocol::HttpRequest& req, const vigil::protocol::PeerIdentity& peer) {
    if (separate_staff && StaffApi::handles(req.path())) {
      return net::net_error(421, "misdirected", "the staff pages are served on the staff listener, not the device listener");
    }
    return root.handle(req, peer);
  });
  std::unique_ptr<net::HttpsServer> staff;
  if (separate_staff) {
    net::ListenerConfig slc = lc;
    slc.address = staff_config->address;
    slc.port = staff_config->port;
    slc.certificate_chain_pem = staff_config->certificate_chain;
    slc.private_key_pem = staff_config->private_key;
    slc.client_ca_pem.clear();  // browsers: no client certificate is asked for
    slc.threads = 1;
    staff = std::make_unique<net::HttpsServer>(slc, [&root](const vigil::protocol::HttpRequest& req, const vigil::protocol::PeerIdentity& peer) {
      if (req.path() == "/") {
        vigil::protocol::HttpResponse moved;
        moved.status = 302;
        moved.headers["Location"] = "/staff/";
        return moved;
      }
      if (!StaffApi::handles(req.path()) && req.path() != "/v1/health") {
        return net::net_error(404, "not_found", "only the staff pages are served here");
      }
      return root.handle(req, peer);
    });
  }
  if (auto st = server.start(); !st) return failed(st.error());
  if (staff) {
    if (auto st = staff->start(); !st) return failed(std::move(st).error().context("the staff listener"));
  }
  std::cout << "vigil-server " << vigil::k_version << " listening on https://" << lc.address << ":" << server.port()
            << " (data in " << dir.string() << ")" << std::endl;
  if (staff) {
    std::cout << "vigil-server: staff pages on https://" << staff_config->address << ":" << staff->port() << "/staff/"
              << std::endl;
  }
  // The ports are bound and listening, and run() below serves them: tell systemd (Type=notify).
  vigil::server::app::notify_ready("listening on port " + std::to_string(server.port()));
  std::thread waiter([&] {
    int sig = 0;
    for (;;) {
      sigwait(&signals, &sig);
      if (sig != SIGHUP) break;
      vigil::server::app::notify_reloading();
      const auto device_reload = server.reload_certificate();
      const auto staff_reload = staff ? staff->reload_certificate() : vigil::Status{};
      std::cout << "vigil-server: SIGHUP: certificates " << (device_reload && staff_reload ? "reloaded" : "NOT reloaded")
                << " (device listener: " << (device_reload ? "ok" : device_reload.error().message)
                << (staff ? std::string("; staff listener: ") + (staff_reload ? "ok" : staff_reload.error().message) : "")
                << ")" << std::endl;
      vigil::server::app::notify_ready("listening on port " + std::to_string(server.port()));
    }
    vigil::server::app::notify_stopping();
    std::cout << "vigil-server: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT")
              << ": finishing requests in flight, then stopping" << std::endl;
    server.stop(std::chrono::seconds(10));
    if (staff) staff->stop(std::chrono::seconds(10));
  });
  std::thread staff_runner;
  if (staff) staff_runner = std::thread([&staff] { staff->run(); });
  server.run();
  // run() returned: if it was not the signal, wake the waiter so it can be joined.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  if (staff_runner.joinable()) staff_runner.join();
  std::cout << "vigil-server: stopped" << std::endl;
  return 0;
}

int cmd_add_candidate(const fs::path& dir, const std::string& council, const std::string& council_name,
                      const std::string& candidate_id, const std::string& name, const std::string& email,
                      const std::string& level, int valid_days) {
  auto data = vigil::server::app::ServerData::open(dir);
  if (!data) return failed(data.error());
  auto code = vigil::server::add_candidate_with_code((*data)->repo, (*data)->staff, {candidate_id, council, name, email, level},
                                                     council_name, vigil::time::system_clock(), valid_days);
  if (!code) return failed(code.error());
  std::cout << "candidate " << candidate_id << " added for council " << council << "\n"
            << "enrolment code: " << code->code << " (single use, expires in " << valid_days << " days)\n";
  return 0;
}

int cmd_new_code(const fs::path& dir, const std::string& candidate_id, int valid_days) {
  auto data = vigil::server::app::ServerData::open(dir);
  if (!data) return failed(data.error());
  auto& repo = (*data)->repo;
  auto code = create_enrolment_code(repo, candidate_id, vigil::time::system_clock(), valid_days);
  if (!code) return failed(code.error());
  std::cout << "enrolment code: " << code->code << " (single use, expires in " << valid_days << " days)\n";
  return 0;
}

int cmd_withdraw_codes(const fs::path& dir, const std::string& candidate_id) {
  auto data = vigil::server::app::ServerData::open(dir);
  if (!data) return failed(data.error());
  auto& repo = (*data)->repo;
  auto n = repo.expire_enrolment_codes(candidate_id, vigil::time::system_clock().wall_ms());
  if (!n) return failed(n.error());
  std::cout << *n << " unused enrolment code(s) of " << candidate_id << " withdrawn\n";
  return 0;
}

int cmd_revoke(const fs::path& dir, const std::string& device, const std::string& reason) {
  auto data = vigil::server::app::ServerData::open(dir);
  if (!data) return failed(data.error());
  auto& repo = (*data)->repo;
  if (auto st = repo.revoke_device(device, reason, vigil::time::system_clock().wall_ms()); !st) return failed(st.error());
  std::cout << "device " << device << " revoked: it can no longer sync\n";
  return 0;
}

// What the server holds for one session, as JSON: for operators and for the tests, which run the
// real server binary and cannot link its SQLite into their own process.
int cmd_session_info(const fs::path& dir, const std::string& device, const std::string& session) {
  auto data = vigil::server::app::ServerData::open(dir);
  if (!data) return failed(data.error());
  auto& repo = (*data)->repo;
  auto row = repo.session(device, session);
  if (!row) return failed(row.error());
  auto records = repo.count_records(device, session);
  auto flags = repo.flags(device, session);
  if (!records || !flags) return failed(!records ? records.error() : flags.error());
  nlohmann::json out{{"device_id", device}, {"session_id", session}, {"records", *records}};
  if (*row) {
    out["head_seq"] = (*row)->head.seq;
    if ((*row)->submitted_seq) out["submitted_seq"] = *(*row)->submitted_seq;
    if (!(*row)->receipt.empty()) out["receipt"] = nlohmann::json::parse((*row)->receipt);
  }
  out["flags"] = nlohmann::json::array();
  for (const auto& f : *flags) out["flags"].push_back({{"seq", f.seq}, {"kind", f.kind}, {"detail", f.detail}});
  std::cout << out.dump(2) << "\n";
  return 0;
}

// ---- packages (docs/PACKAGE-FORMAT.md) ----

int cmd_package_build(const fs::path& content_dir, const fs::path& home_dir, const fs::path& out) {
  auto content = load_content_dir(content_dir);
  if (!content) return failed(content.error());
  std::size_t items = 0;
  for (const auto& s : content->assessment.sections) items += s.items.size();
  if (home_dir.empty()) {
    std::cout << content_dir.string() << ": valid (" << content->assessment.id << " version " << content->assessment.version
              << ", " << content->assessment.sections.size() << " sections, " << items
              << " items); give --home to build and store the package\n";
    return 0;
  }
  auto data = vigil::server::app::ServerData::open(home_dir);
  if (!data) return failed(data.error());
  auto& repo = (*data)->repo;
  const auto& home = (*data)->home;
  auto built = build_and_store_package(repo, home.keys, *content, vigil::time::system_clock());
  if (!built) return failed(built.error());
  if (!out.empty()) {
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(built->package.data()), static_cast<std::streamsize>(built->package.size()));
    f.close();
    if (!f) return failed({vigil::Errc::io, "could not write " + out.string()});
  }
  std::cout << "package " << built->assessment_id << " version " << built->version << ": " << built->items << " items, "
            << built->package.size() << " bytes, "
            << (built->unchanged ? "already built with this content (unchanged)" : "signed, encrypted and stored") << "\n";
  if (!out.empty()) std::cout << "  written to " << out.string() << "\n";
  return 0;
}

// Issues the sitting's start code (replacing any earlier one) and shows it once, with what the
// operator should do with it.
int issue_and_show_start_code(vigil::server::app::ServerData& data, const std::string& candidate_id,
                              const std::string& assessment_id, std::string_view what_to_do) {
  auto code = issue_start_code(data.repo, data.home.keys, candidate_id, assessment_id, vigil::time::system_clock());
  if (!code) return failed(code.error());
  std::cout << "start code: " << *code << "\n" << what_to_do;
  return 0;
}

int cmd_schedule(const fs::path& dir, const std::string& candidate_id, const std::string& assessment_id,
                 const std::string& start, int window_hours, int version) {
  auto start_ms = vigil::time::parse_iso8601(start);
  if (!start_ms) return failed(start_ms.error());
  auto data = vigil::server::app::ServerData::open(dir);
  if (!data) return failed(data.error());
  auto& repo = (*data)->repo;
  // schedule_attempt keeps the resit rules (server/results/resits.hpp): no new sitting after a
  // released "not met" without the council's re-endorsement; a resit is linked to the first.
  auto attempt = schedule_attempt(repo, (*data)->results, (*data)->resits, candidate_id, assessment_id,
                                        version > 0 ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(version)) : std::nullopt,
                                        *start_ms, window_hours, vigil::time::system_clock());
  if (!attempt) return failed(attempt.error());
  const auto* s = &attempt->sitting;
  std::cout << "sitting " << s->sitting_id << ": " << candidate_id << " sits " << assessment_id << " version " << s->version
            << " from " << vigil::time::utc_iso8601(s->scheduled_start_ms) << " to " << vigil::time::utc_iso8601(s->window_end_ms)
            << "\n";
  if (attempt->resit_of) {
    std::cout << "  attempt " << attempt->attempt << ": a resit of sitting " << *attempt->resit_of << "\n";
  }
  // A new sitting gets its start code now, so the grant a device downloads in advance already
  // carries the offline key (a grant fetched before any code exists can only unlock online). A
  // moved sitting keeps its code: re-issuing would strand devices that are offline on the day.
  auto existing = repo.start_code(s->sitting_id);
  if (!existing) return failed(existing.error());
  if (*existing) return 0;
  return issue_and_show_start_code(**data, candidate_id, assessment_id,
                                   "  for the support line: read it to the candidate at the start time if they are "
                                   "offline;\n  it is shown only now (the server keeps only a key locked under it)\n");
}

int cmd_start_code(const fs::path& dir, const std::string& candidate_id, const std::string& assessment_id) {
  auto data = vigil::server::app::ServerData::open(dir);
  if (!data) return failed(data.error());
  return issue_and_show_start_code(
      **data, candidate_id, assessment_id,
      "  read it to the candidate at the start time; any earlier code for this sitting is replaced\n"
      "  (a device that already downloaded its grant needs to download again to use the new code)\n");
}

int cmd_set_accommodations(const fs::path& dir, const std::string& candidate_id, int extra_time, int extra_break,
                           bool knowledge_only) {
  auto data = vigil::server::app::ServerData::open(dir);
  if (!data) return failed(data.error());
  auto& repo = (*data)->repo;
  auto c = repo.candidate(candidate_id);
  if (!c) return failed(c.error());
  if (!*c) return failed({vigil::Errc::not_found, "no candidate " + candidate_id});
  vigil::assessment::Accommodations a{static_cast<std::uint32_t>(extra_time), static_cast<std::uint32_t>(extra_break),
                                      knowledge_only};
  if (auto st = repo.set_accommodations(candidate_id, a, vigil::time::system_clock().wall_ms()); !st) {
    return failed(st.error());
  }
  std::cout << "accommodations of " << candidate_id << ": " << extra_time << "% extra time, " << extra_break
            << " extra break minutes" << (knowledge_only ? ", knowledge sections only" : "")
            << " (in grants issued from now on)\n";
  return 0;
}

// A staff password from the environment variable VIGIL_STAFF_PASSWORD or standard input, never
// the arguments (which other users of the machine can read).
std::string staff_password_input() {
  std::string password;
  if (const char* p = std::getenv("VIGIL_STAFF_PASSWORD"); p != nullptr) {
    password = p;
  } else {
    std::cerr << "one-time password (at least 12 characters; changed at first sign-in): " << std::flush;
    std::getline(std::cin, password);
  }
  return password;
}

// The first programme admin (and any staff account) from the command line, with a one-time
// password that its owner replaces at first sign-in (docs/STAFF.md "Accounts").
int cmd_create_user(const fs::path& dir, const std::string& email, const std::string& name, const std::string& role,
                    const std::string& council) {
  const std::string password = staff_password_input();
  auto data = vigil::server::app::ServerData::open(dir);
  if (!data) return failed(data.error());
  auto& repo = (*data)->repo;
  auto& staff = (*data)->staff;
  auto id = create_staff_user(repo, staff, email, name, role, council, password, vigil::time::system_clock());
  if (!id) return failed(id.error());
  std::cout << "staff account " << *id << " created: " << email << " (" << role
            << "); the password is one-time: it must be changed at the first sign-in, within "
            << k_one_time_password_days << " days\n";
  return 0;
}

// A forgotten password, or (with --reset-mfa) a lost authenticator: a new one-time password.
int cmd_reset_password(const fs::path& dir, const std::string& email, bool reset_mfa) {
  const std::string password = staff_password_input();
  auto data = vigil::server::app::ServerData::open(dir);
  if (!data) return failed(data.error());
  auto& repo = (*data)->repo;
  auto& staff = (*data)->staff;
  auto id = reset_staff_password(repo, staff, email, password, vigil::time::system_clock(), {}, std::nullopt,
                                       reset_mfa);
  if (!id) return failed(id.error());
  std::cout << "staff account " << *id << " (" << email << "): one-time password set"
            << (reset_mfa ? ", authenticator and recovery codes removed" : "")
            << "; every sign-in ended; it must be changed at the next sign-in\n";
  return 0;
}

int cmd_add_council(const fs::path& dir, const std::string& council, const std::string& name, int headcount) {
  auto data = vigil::server::app::ServerData::open(dir);
  if (!data) return failed(data.error());
  auto& repo = (*data)->repo;
  auto& staff = (*data)->staff;
  const auto now = vigil::time::system_clock().wall_ms();
  auto st = repo.transaction([&]() -> vigil::Status {
    VIGIL_TRY(repo.add_council(council, name, now));
    if (headcount >= 0) VIGIL_TRY(staff.set_headcount(council, headcount, now));
    return staff.audit({0, now, std::nullopt, "council.save", "council/" + council, "vigil-server admin add-council"});
  });
  if (!st) return failed(st.error());
  std::cout << "council " << council << " saved\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  vigil::log::use_stderr("vigil-server");
  // Everything the server writes (database, WAL, keys) is for its own account only.
  ::umask(077);
  CLI::App app{"Vigil server: receives candidates' sessions over TLS and serves proctors and councils.", "vigil-server"};
  app.set_version_flag("--version", std::string("vigil-server ") + vigil::k_version);
  app.require_subcommand(1);

  fs::path dir;
  auto* init = app.add_subcommand("init", "Create a server home: configuration, keys, development certificates");
  std::string host = "127.0.0.1";
  int port = 8443;
  init->add_option("dir", dir, "Folder for the server's data and keys")->required();
  init->add_option("--host", host, "Host name or IP address clients use (in the certificate)")->capture_default_str();
  init->add_option("--port", port, "TCP port")->capture_default_str()->check(CLI::Range(1, 65535));

  auto* serve = app.add_subcommand("serve", "Run the HTTPS server until SIGTERM or SIGINT");
  int port_override = -1;
  serve->add_option("dir", dir, "The server home made by init")->required();
  serve->add_option("--port", port_override, "Listen on this port instead (0: any free port)")->check(CLI::Range(0, 65535));

  auto* admin = app.add_subcommand("admin", "Administration: candidates, enrolment codes, devices");
  admin->require_subcommand(1);
  auto* add = admin->add_subcommand("add-candidate", "Add a candidate and print a one-time enrolment code");
  std::string council, council_name, candidate, name, email, level = "practitioner";
  int valid_days = 14;
  add->add_option("dir", dir, "Server home")->required();
  add->add_option("--council", council, "Council id (created if new)")->required();
  add->add_option("--council-name", council_name, "Council name (without it an existing council keeps its name)");
  add->add_option("--candidate", candidate, "Candidate id")->required();
  add->add_option("--name", name, "Candidate's full name")->required();
  add->add_option("--email", email, "Candidate's work email");
  add->add_option("--level", level, "practitioner or practice_supervisor")->capture_default_str();
  add->add_option("--valid-days", valid_days, "Days the code stays valid")->capture_default_str()->check(CLI::Range(1, 90));
  auto* code = admin->add_subcommand("new-code", "Issue a new enrolment code for a candidate");
  code->add_option("dir", dir, "Server home")->required();
  code->add_option("--candidate", candidate, "Candidate id")->required();
  code->add_option("--valid-days", valid_days, "Days the code stays valid")->capture_default_str()->check(CLI::Range(1, 90));
  auto* revoke = admin->add_subcommand("revoke-device", "Revoke a device: it can no longer sync");
  std::string device, reason = "revoked by an administrator";
  revoke->add_option("dir", dir, "Server home")->required();
  revoke->add_option("--device", device, "Device id")->required();
  revoke->add_option("--reason", reason, "Why (kept with the device)");

  auto* withdraw = admin->add_subcommand("withdraw-codes", "End every unused enrolment code of a candidate now");
  withdraw->add_option("dir", dir, "Server home")->required();
  withdraw->add_option("--candidate", candidate, "Candidate id")->required();
  auto* info = admin->add_subcommand("session-info", "Show what the server holds for a session (JSON)");
  std::string session;
  info->add_option("dir", dir, "Server home")->required();
  info->add_option("--device", device, "Device id")->required();
  info->add_option("--session", session, "Session id")->required();

  auto* schedule = admin->add_subcommand("schedule", "Schedule (or move) a candidate's sitting of an assessment");
  std::string assessment_id, start;
  int window_hours = 8, pkg_version = 0;
  schedule->add_option("dir", dir, "Server home")->required();
  schedule->add_option("--candidate", candidate, "Candidate id")->required();
  schedule->add_option("--assessment", assessment_id, "Assessment id")->required();
  schedule->add_option("--start", start, "Start, ISO 8601 (2026-11-22T09:30:00Z or with +01:00)")->required();
  schedule->add_option("--window-hours", window_hours, "Hours from the start in which it may be sat")
      ->capture_default_str()->check(CLI::Range(1, 72));
  schedule->add_option("--version", pkg_version, "Package version (default: the latest built)")->check(CLI::Range(1, 1 << 30));
  auto* start_code = admin->add_subcommand("start-code", "Issue a new start code for a sitting and print it");
  start_code->add_option("dir", dir, "Server home")->required();
  start_code->add_option("--candidate", candidate, "Candidate id")->required();
  start_code->add_option("--assessment", assessment_id, "Assessment id")->required();
  auto* accommodations = admin->add_subcommand("set-accommodations", "Set a candidate's extra time, breaks and exemptions");
  int extra_time = 0, extra_break = 0;
  bool knowledge_only = false;
  accommodations->add_option("dir", dir, "Server home")->required();
  accommodations->add_option("--candidate", candidate, "Candidate id")->required();
  accommodations->add_option("--extra-time-percent", extra_time, "Extra time on every section")->check(CLI::Range(0, 200));
  accommodations->add_option("--extra-break-minutes", extra_break, "Added to every scheduled break")->check(CLI::Range(0, 240));
  accommodations->add_flag("--knowledge-only", knowledge_only, "Exempt from the scenario and written sections");

  auto* package = app.add_subcommand("package", "Assessment packages");
  package->require_subcommand(1);
  auto* build = package->add_subcommand("build", "Validate a content folder and build its signed, encrypted package");
  fs::path content_dir, out_file;
  build->add_option("dir", content_dir, "Content folder (docs/CONTENT-FORMAT.md)")->required();
  build->add_option("--home", dir, "Server home: signs the package and stores it (without: validate only)");
  build->add_option("--out", out_file, "Also write the package file here");

  auto* results_cli = vigil::server::app::add_results_commands(app, *admin);
  auto* create_user = admin->add_subcommand("create-user", "Create a staff account (the first programme admin, ...); "
                                            "password from VIGIL_STAFF_PASSWORD or standard input");
  std::string staff_email, role = "programme_admin";
  create_user->add_option("dir", dir, "Server home")->required();
  create_user->add_option("--email", staff_email, "Sign-in email")->required();
  create_user->add_option("--name", name, "Display name")->required();
  create_user->add_option("--role", role, "programme_admin, council_manager, proctor or assessor")->capture_default_str();
  create_user->add_option("--council", council, "Council id (council managers only)");
  auto* reset_password = admin->add_subcommand("reset-password", "Give a staff account a one-time password (changed at "
                                               "its next sign-in); password from VIGIL_STAFF_PASSWORD or standard input");
  bool reset_mfa = false;
  reset_password->add_option("dir", dir, "Server home")->required();
  reset_password->add_option("--email", staff_email, "Sign-in email")->required();
  reset_password->add_flag("--reset-mfa", reset_mfa, "Also remove the authenticator and recovery codes (a lost phone)");
  auto* add_council = admin->add_subcommand("add-council", "Create or rename a council");
  int headcount = -1;
  add_council->add_option("dir", dir, "Server home")->required();
  add_council->add_option("--council", council, "Council id")->required();
  add_council->add_option("--name", council_name, "Council name (without it an existing council keeps its name)");
  add_council->add_option("--eligible", headcount, "Eligible headcount for take-up figures")->check(CLI::Range(0, 1000000));

  CLI11_PARSE(app, argc, argv);
  try {
    if (*init) {
      if (auto st = init_server_home(dir, host, static_cast<std::uint16_t>(port)); !st) return failed(st.error());
      std::cout << "server home created in " << dir.string() << "\n"
                << "  give clients: " << (dir / "published" / "client-trust.json").string() << "\n"
                << "  run:          vigil-server serve " << dir.string() << "\n";
      return 0;
    }
    if (*serve) return cmd_serve(dir, port_override);
    if (auto status = vigil::server::app::run_results_commands(*results_cli)) return *status;
    if (*add) return cmd_add_candidate(dir, council, council_name, candidate, name, email, level, valid_days);
    if (*code) return cmd_new_code(dir, candidate, valid_days);
    if (*revoke) return cmd_revoke(dir, device, reason);
    if (*info) return cmd_session_info(dir, device, session);
    if (*withdraw) return cmd_withdraw_codes(dir, candidate);
    if (*create_user) return cmd_create_user(dir, staff_email, name, role, council);
    if (*reset_password) return cmd_reset_password(dir, staff_email, reset_mfa);
    if (*add_council) return cmd_add_council(dir, council, council_name, headcount);
    if (*schedule) return cmd_schedule(dir, candidate, assessment_id, start, window_hours, pkg_version);
    if (*start_code) return cmd_start_code(dir, candidate, assessment_id);
    if (*accommodations) return cmd_set_accommodations(dir, candidate, extra_time, extra_break, knowledge_only);
    if (*build) {
      if (dir.empty() && !out_file.empty()) return failed({vigil::Errc::invalid_argument, "--out needs --home (the signing key)"});
      return cmd_package_build(content_dir, dir, out_file);
    }
  } catch (const std::exception& e) {
    std::cerr << "vigil-server: unexpected error: " << vigil::log_value(e.what()) << "\n";
    return 70;
  }
  return 0;
}
