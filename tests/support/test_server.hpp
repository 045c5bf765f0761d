#pragma once
// The real vigil-server for tests, as a child process: `vigil-server init` makes its home in a
// temp dir, `vigil-server serve --port 0` runs it on 127.0.0.1 (the port is read from its first
// line), and the admin subcommands add candidates, revoke devices and report what the server
// holds. (Tests run the server as a process because the client links SQLCipher and the server
// plain SQLite, which must never share a process, and because a restart is then a real one.)
#include <fstream>
#include <functional>
#include <optional>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "shared/core/bytes.hpp"
#include "shared/protocol/sync.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef VIGIL_SERVER_EXE
#error "VIGIL_SERVER_EXE must name the vigil-server executable"
#endif

namespace vigil::testing {

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The port in vigil-server's first line: "... listening on https://127.0.0.1:PORT (data in ...)".
// (No <regex>: GCC 12 warns inside it under the sanitizers, and warnings are errors.)
inline std::uint16_t parse_listening_port(const std::string& line) {
  const auto at = line.find("https://127.0.0.1:");
  if (at == std::string::npos) throw std::runtime_error("no port in: " + line);
  return static_cast<std::uint16_t>(std::stoi(line.substr(at + 18)));
}

// The code in `vigil-server admin add-candidate|new-code` output ("enrolment code: XXXX-...").
inline std::string parse_enrolment_code(const RunResult& r) {
  const auto at = r.output.find("enrolment code: ");
  if (r.exit_code != 0 || at == std::string::npos) throw std::runtime_error("no enrolment code: " + r.output);
  const auto start = at + 16;
  const auto end = r.output.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", start);
  return r.output.substr(start, end - start);
}

class TestServer {
 public:
  TestServer() : TestServer([](const std::filesystem::path&) {}) {}
  // `prepare` may change the home (config.json, files beside it) between init and the first start.
  explicit TestServer(const std::function<void(const std::filesystem::path& home)>& prepare) {
    auto r = run({VIGIL_SERVER_EXE, "init", dir_.path().string(), "--host", "127.0.0.1", "--port", "8443"});
    if (r.exit_code != 0) throw std::runtime_error("vigil-server init failed: " + r.output);
    prepare(dir_.path());
    start(0);
  }
  ~TestServer() { stop(); }

  void start(std::uint16_t port) {
    child_ = std::make_unique<Child>(std::vector<std::string>{VIGIL_SERVER_EXE, "serve", dir_.path().string(), "--port",
                                                              std::to_string(port)});
    auto line = child_->wait_for_line("listening on", std::chrono::seconds(20));
    if (!line) throw std::runtime_error("vigil-server did not start: " + child_->output());
    port_ = parse_listening_port(*line);
  }
  // Graceful stop (SIGTERM); returns the exit code.
  int stop() {
    if (!child_) return 0;
    const int rc = child_->stop(SIGTERM);
    child_.reset();
    return rc;
  }
  // The next line of the server's output holding `needle` (the lines before it are consumed).
  std::optional<std::string> wait_for_output(const std::string& needle, std::chrono::milliseconds limit) {
    return child_ ? child_->wait_for_line(needle, limit) : std::nullopt;
  }
  // Sends a signal (SIGHUP: load the certificates again) to the running server.
  void signal(int sig) {
    if (child_) child_->signal(sig);
  }
  void kill_hard() {
    if (child_) child_->stop(SIGKILL);
    child_.reset();
  }
  void restart() {
    stop();
    start(port_);
  }

  std::uint16_t port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_.path(); }

  protocol::ClientTrust trust() const {
    auto t = protocol::parse_client_trust(read_text(dir_.path() / "published" / "client-trust.json")).value();
    t.port = port_;
    return t;
  }
  Bytes receipt_public_key() const {
    std::string b64 = read_text(dir_.path() / "published" / "receipt-public.key");
    while (!b64.empty() && (b64.back() == '\n')) b64.pop_back();
    return from_base64(b64).value();
  }

  // The receipt key's seed (keys/receipt.key, hex): lets a test play a server, or a man in the
  // middle holding the server's keys, that signs receipts the real server would not issue.
  Bytes receipt_seed() const {
    std::string hex = read_text(dir_.path() / "keys" / "receipt.key");
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ')) hex.pop_back();
    return from_hex(hex).value();
  }

  // Adds the candidate (if new) and returns a fresh enrolment code.
  std::string enrolment_code(const std::string& candidate_id, int valid_days = 14) {
    const std::string d = dir_.path().string();
    auto r = run({VIGIL_SERVER_EXE, "admin", "add-candidate", d, "--council", "leeds", "--candidate", candidate_id,
                  "--name", "Test Candidate", "--valid-days", std::to_string(std::max(valid_days, 1))});
    if (r.exit_code != 0) {
      r = run({VIGIL_SERVER_EXE, "admin", "new-code", d, "--candidate", candidate_id, "--valid-days",
               std::to_string(std::max(valid_days, 1))});
    }
    return parse_enrolment_code(r);
  }

  RunResult admin(std::vector<std::string> args) {
    args.insert(args.begin(), {VIGIL_SERVER_EXE, "admin"});
    args.insert(args.begin() + 3, dir_.path().string());
    return run(args);
  }

  nlohmann::json session_info(const std::string& device, const std::string& session) {
    auto r = admin({"session-info", "--device", device, "--session", session});
    if (r.exit_code != 0) throw std::runtime_error("session-info failed: " + r.output);
    return nlohmann::json::parse(r.output);
  }

 private:
  TempDir dir_;
  std::unique_ptr<Child> child_;
  std::uint16_t port_ = 0;
};

}  // namespace vigil::testing
