// The staff pages on a listener of their own with the operator's publicly trusted certificate
// (issue 18 part 5), against the real vigil-server process: a client that trusts only a "public"
// root, as a council manager's browser does, opens the staff pages and verifies the host name;
// the device listener keeps Vigil's private PKI and refuses the staff paths; SIGHUP loads a
// renewed certificate for new connections while open device and staff connections carry on; a
// broken renewal is refused and the certificate in use stays.
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "server/net/tls_context.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_server.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::seconds;

// A root standing for a public CA (Let's Encrypt's, in production) and three certificates for
// the staff host from it: the first, its renewal, and one whose key is replaced by another's.
struct PublicPki {
  vigil::testing::TempDir dir;
  PublicPki() {
    const fs::path script = dir / "make.sh";
    std::ofstream(script) << R"SH(set -eu
cd "$1"
cat > ext.cnf <<'EOF'
[leaf]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:staff.localhost,IP:127.0.0.1
EOF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out root.key
openssl req -x509 -new -key root.key -out root.pem -subj "/CN=Public Test Root" -days 30 -sha256 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
for n in first renewed; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $n.key
  openssl req -new -key $n.key -out $n.csr -subj "/CN=staff.localhost"
  openssl x509 -req -in $n.csr -CA root.pem -CAkey root.key -set_serial "0x$(openssl rand -hex 16)" -days 30 \
    -sha256 -extfile ext.cnf -extensions leaf -out $n.pem
  openssl x509 -in $n.pem -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f' > $n.serial
done
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out stranger.key
)SH";
    const std::string cmd = "bash '" + script.string() + "' '" + dir.path().string() + "' > '" + (dir / "make.log").string() + "' 2>&1";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("making the public test PKI failed:\n" + vigil::testing::read_text(dir / "make.log"));
  }
  std::string serial(const std::string& name) const {
    std::string s = vigil::testing::read_text(dir / (name + ".serial"));
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    while (s.size() > 2 && s.starts_with("00")) s.erase(0, 2);  // openssl pads a serial with a high bit
    return s;
  }
};

// Puts a certificate and key where the server reads them, each by rename, as certbot's deploy hook
// in docs/OPERATIONS.md does.
void install(const PublicPki& pki, const fs::path& tls_dir, const std::string& cert, const std::string& key) {
  fs::create_directories(tls_dir);
  for (auto [from, to] : {std::pair{cert + ".pem", "fullchain.pem"}, std::pair{key + ".key", "privkey.pem"}}) {
    fs::copy_file(pki.dir / from, tls_dir / (std::string(to) + ".new"), fs::copy_options::overwrite_existing);
    fs::rename(tls_dir / (std::string(to) + ".new"), tls_dir / to);
  }
}

struct Reply {
  int status = 0;
  std::string body;
  std::string location;
};

// A keep-alive HTTPS connection. With `trusted_root` it verifies the server's chain against that
// root alone and the name staff.localhost (sent as SNI), as a browser does; without, it verifies
// nothing (for the device listener, whose pinning the transport's own tests cover).
class Connection {
 public:
  Connection(std::uint16_t port, const std::string& trusted_root_pem = "") {
    if (!trusted_root_pem.empty()) {
      tls_.set_verify_mode(asio::ssl::verify_peer);
      tls_.add_certificate_authority(asio::buffer(trusted_root_pem));
      tls_.set_verify_callback(asio::ssl::host_name_verification("staff.localhost"));
    } else {
      tls_.set_verify_mode(asio::ssl::verify_none);
    }
    stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, tls_);
    SSL_set_tlsext_host_name(stream_->native_handle(), "staff.localhost");
    beast::get_lowest_layer(*stream_).connect({asio::ip::make_address("127.0.0.1"), port});
    stream_->handshake(asio::ssl::stream_base::client);
  }
  // The serial of the certificate this connection's handshake received.
  std::string serial() {
    X509* cert = SSL_get0_peer_certificate(stream_->native_handle());
    return cert == nullptr ? "" : vigil::server::net::serial_hex(cert);
  }
  Reply get(const std::string& target) {
    http::request<http::string_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "staff.localhost");
    req.keep_alive(true);
    http::write(*stream_, req);
    http::response<http::string_body> res;
    http::read(*stream_, buffer_, res);
    return {static_cast<int>(res.result_int()), res.body(), std::string(res[http::field::location])};
  }

 private:
  asio::io_context ioc_;
  asio::ssl::context tls_{asio::ssl::context::tls_client};
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
};

// A server whose config.json has a staff listener on 127.0.0.1 (port chosen by the OS) reading
// `tls_dir`/fullchain.pem and privkey.pem.
struct World {
  PublicPki pki;
  vigil::testing::TempDir tls_home;
  fs::path tls_dir = tls_home / "staff-tls";
  std::unique_ptr<vigil::testing::TestServer> server;
  std::uint16_t staff_port = 0;
  std::string root_pem;

  World() {
    install(pki, tls_dir, "first", "first");
    root_pem = vigil::testing::read_text(pki.dir / "root.pem");
    server = std::make_unique<vigil::testing::TestServer>([this](const fs::path& home) {
      json config = json::parse(vigil::testing::read_text(home / "config.json"));
      config["staff_listener"] = {{"address", "127.0.0.1"},
                                  {"port", 0},
                                  {"certificate_chain", (tls_dir / "fullchain.pem").string()},
                                  {"private_key", (tls_dir / "privkey.pem").string()}};
      std::ofstream(home / "config.json") << config.dump(2);
    });
    auto line = server->wait_for_output("staff pages on https://127.0.0.1:", seconds(10));
    REQUIRE(line);
    staff_port = static_cast<std::uint16_t>(std::stoi(line->substr(line->find("127.0.0.1:") + 10)));
  }
  // Sends SIGHUP and returns the server's line about it.
  std::string reload() {
    server->signal(SIGHUP);
    auto line = server->wait_for_output("SIGHUP: certificates", seconds(10));
    REQUIRE(line);
    return *line;
  }
};

}  // namespace

TEST_CASE("staff pages are served with the operator's certificate on their own listener; the device listener keeps its private PKI") {
  World w;
  Connection staff(w.staff_port, w.root_pem);  // verifies the chain and the name, or throws
  CHECK(staff.serial() == w.pki.serial("first"));
  const Reply page = staff.get("/staff/");
  CHECK(page.status == 200);
  CHECK(page.body.find("<html") != std::string::npos);
  const Reply root = staff.get("/");
  CHECK(root.status == 302);
  CHECK(root.location == "/staff/");
  // Only the staff side is here: the device API is not.
  CHECK(staff.get("/v1/packages").status == 404);
  CHECK(staff.get("/v1/health").status == 200);

  // The device listener: its certificate chains to Vigil's private root, which a browser's
  // store does not hold, and it refuses the staff paths.
  CHECK_THROWS(Connection(w.server->port(), w.root_pem));
  Connection device(w.server->port());
  CHECK(device.get("/v1/health").status == 200);
  const Reply misdirected = device.get("/staff/");
  CHECK(misdirected.status == 421);
  CHECK(misdirected.body.find("staff listener") != std::string::npos);
}

TEST_CASE("SIGHUP loads a renewed staff certificate for new connections; open device and staff connections carry on") {
  World w;
  Connection device(w.server->port());
  REQUIRE(device.get("/v1/health").status == 200);
  Connection staff_before(w.staff_port, w.root_pem);
  REQUIRE(staff_before.get("/staff/").status == 200);
  REQUIRE(staff_before.serial() == w.pki.serial("first"));

  // The renewal as certbot delivers it, through the package's deploy hook.
  // (As root the hook gives the files to group vigil; this machine has no such group: the test's own.)
  const std::string hook = "VIGIL_GROUP=$(id -gn) RENEWED_LINEAGE='" + (w.pki.dir / "lineage").string() + "' VIGIL_STAFF_TLS_DIR='" +
                           w.tls_dir.string() + "' " + VIGIL_SOURCE_DIR "/packaging/deb/certbot-deploy-hook > /dev/null";
  fs::create_directories(w.pki.dir / "lineage");
  fs::copy_file(w.pki.dir / "renewed.pem", w.pki.dir / "lineage" / "fullchain.pem");
  fs::copy_file(w.pki.dir / "renewed.key", w.pki.dir / "lineage" / "privkey.pem");
  REQUIRE(std::system(hook.c_str()) == 0);
  const std::string line = w.reload();
  CHECK(line.find("certificates reloaded") != std::string::npos);

  Connection staff_after(w.staff_port, w.root_pem);
  CHECK(staff_after.serial() == w.pki.serial("renewed"));
  CHECK(staff_after.get("/staff/").status == 200);
  // The same sockets as before the reload, still answering: nothing was dropped.
  CHECK(staff_before.get("/staff/").status == 200);
  CHECK(staff_before.serial() == w.pki.serial("first"));
  CHECK(device.get("/v1/health").status == 200);
}

TEST_CASE("a broken renewal is refused on SIGHUP, and the certificate in use stays") {
  World w;
  Connection device(w.server->port());
  REQUIRE(device.get("/v1/health").status == 200);
  // A renewal whose key is not the certificate's (a deploy hook that copied half of it).
  install(w.pki, w.tls_dir, "renewed", "stranger");
  const std::string line = w.reload();
  CHECK(line.find("NOT reloaded") != std::string::npos);
  INFO(line);
  CHECK(line.find("staff listener: cannot load the server private key " + (w.tls_dir / "privkey.pem").string()) != std::string::npos);
  Connection staff(w.staff_port, w.root_pem);
  CHECK(staff.serial() == w.pki.serial("first"));
  CHECK(staff.get("/staff/").status == 200);
  CHECK(device.get("/v1/health").status == 200);

  // Mended, a second SIGHUP takes it.
  install(w.pki, w.tls_dir, "renewed", "renewed");
  CHECK(w.reload().find("certificates reloaded") != std::string::npos);
  Connection staff_after(w.staff_port, w.root_pem);
  CHECK(staff_after.serial() == w.pki.serial("renewed"));
}

TEST_CASE("a staff listener whose certificate is missing stops the server at start with a clear error") {
  vigil::testing::TempDir home;
  auto init = vigil::testing::run({VIGIL_SERVER_EXE, "init", home.path().string(), "--host", "127.0.0.1", "--port", "8443"});
  REQUIRE(init.exit_code == 0);
  json config = json::parse(vigil::testing::read_text(home / "config.json"));
  config["staff_listener"] = {{"address", "127.0.0.1"}, {"port", 0}, {"certificate_chain", "staff-tls/fullchain.pem"}, {"private_key", "staff-tls/privkey.pem"}};
  std::ofstream(home / "config.json") << config.dump(2);
  auto r = vigil::testing::run({VIGIL_SERVER_EXE, "serve", home.path().string(), "--port", "0"}, std::chrono::seconds(20));
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("the staff listener") != std::string::npos);
  CHECK(r.output.find((home / "staff-tls" / "fullchain.pem").string()) != std::string::npos);

  // An unknown key in staff_listener is refused too, naming it.
  config["staff_listener"]["certificate"] = "typo.pem";
  std::ofstream(home / "config.json") << config.dump(2);
  r = vigil::testing::run({VIGIL_SERVER_EXE, "serve", home.path().string(), "--port", "0"}, std::chrono::seconds(20));
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("certificate") != std::string::npos);
}
