// The candidate UI's protection (client/ui/ui_api.hpp invariants 1, 2 and 4) on a real store,
// and the loopback listener over a real socket.
#include <catch2/catch_test_macros.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <filesystem>

#include <nlohmann/json.hpp>

#ifndef _WIN32  // the keep-alive test finds the listener's socket through /proc (Linux only)
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#endif

#include "client/ui/http_server.hpp"
#include "client/embedded/ui_web.hpp"
#include "client/ui/ui_api.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/crypto/x25519.hpp"
#include "tests/support/page_checks.hpp"
#include "tests/support/sample_assessment.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace vigil::client;
using protocol::HttpRequest;
using protocol::HttpResponse;
using vigil::testing::TempDir;

namespace {

constexpr std::uint16_t k_port = 40123;

struct Fixture {
  TempDir dir;
  time::ManualClock clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<ui::UiApi> api;

  Fixture() {
    store::StoreOptions so;
    so.dir = dir.path();
    so.key_storage = store::KeyStorePreference::file;
    so.clock = &clock;
    auto s = store::Store::open(std::move(so));
    REQUIRE(s);
    store = std::move(*s);
    api = std::make_unique<ui::UiApi>(*store, clock, dir.path(), ui::UiServices{});
    api->set_port(k_port);
  }

  HttpRequest request(std::string method, std::string target) const {
    HttpRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.headers["Host"] = "127.0.0.1:" + std::to_string(k_port);
    return r;
  }

  std::string token() {
    auto t = api->issue_launch_token();
    REQUIRE(t);
    return *t;
  }

  // The cookie /launch sets with a new launch token, as "vigil_ui=<value>".
  std::string launch() {
    auto res = api->handle(request("GET", "/launch?token=" + token()));
    REQUIRE(res.status == 303);
    CHECK(res.header("Location") == "/");
    const std::string set = res.header("Set-Cookie");
    REQUIRE(set.find("HttpOnly") != std::string::npos);
    REQUIRE(set.find("SameSite=Strict") != std::string::npos);
    return set.substr(0, set.find(';'));
  }
};

void check_protective_headers(const HttpResponse& r) {
  CHECK(r.header("Cache-Control") == "no-store");
  CHECK(r.header("X-Frame-Options") == "DENY");
  CHECK(r.header("Content-Security-Policy").find("default-src 'self'") != std::string::npos);
  CHECK(r.header("Access-Control-Allow-Origin").empty());
}

}  // namespace

TEST_CASE("the UI opens only with a launch token and then only with its cookie") {
  Fixture f;
  const std::string token = f.token();
  auto no_token = f.api->handle(f.request("GET", "/launch"));
  CHECK(no_token.status == 403);
  auto wrong = f.api->handle(f.request("GET", "/launch?token=" + token.substr(1) + "x"));
  CHECK(wrong.status == 403);
  check_protective_headers(wrong);
  CHECK(f.api->handle(f.request("GET", "/api/state")).status == 403);  // no cookie
  auto page = f.api->handle(f.request("GET", "/"));
  CHECK(page.status == 403);
  CHECK(page.header("Content-Type").rfind("text/html", 0) == 0);
  CHECK(page.body.find("Open your assessment from the Vigil app") != std::string::npos);
  auto forged = f.request("GET", "/api/state");
  forged.headers["Cookie"] = "vigil_ui=guessed";
  CHECK(f.api->handle(forged).status == 403);

  const std::string cookie = f.launch();
  auto state_req = f.request("GET", "/api/state");
  state_req.headers["Cookie"] = "other=1; " + cookie;
  auto state = f.api->handle(state_req);
  CHECK(state.status == 200);
  check_protective_headers(state);
  CHECK(state.body.find(R"("screen":"enrol")") != std::string::npos);
}

// The launch address is on the browser's command line, which any local user can read: its
// token must be dead once the browser used it, and soon even if it never did.
TEST_CASE("a launch token works once, a replay is refused and an unused token expires") {
  Fixture f;
  const std::string token = f.token();
  auto first = f.api->handle(f.request("GET", "/launch?token=" + token));
  REQUIRE(first.status == 303);
  const std::string set = first.header("Set-Cookie");
  CHECK(set.find("HttpOnly") != std::string::npos);
  CHECK(set.find("SameSite=Strict") != std::string::npos);
  CHECK(set.find("Path=/") != std::string::npos);

  // Replayed (another local user who read the command line): refused, no cookie.
  auto replay = f.api->handle(f.request("GET", "/launch?token=" + token));
  CHECK(replay.status == 403);
  CHECK(replay.body.find(R"("code":"forbidden")") != std::string::npos);
  CHECK(replay.body.find("already been used") != std::string::npos);
  CHECK(replay.header("Set-Cookie").empty());
  check_protective_headers(replay);

  // An unused token dies after its lifetime; one issued later still works, once.
  const std::string late = f.token();
  const std::string fresh_later = [&] {
    f.clock.advance_ms(std::chrono::duration_cast<std::chrono::milliseconds>(ui::k_launch_token_lifetime).count() - 1);
    return f.token();
  }();
  f.clock.advance_ms(1);
  auto expired = f.api->handle(f.request("GET", "/launch?token=" + late));
  CHECK(expired.status == 410);
  CHECK(expired.body.find(R"("code":"expired")") != std::string::npos);
  CHECK(expired.header("Set-Cookie").empty());
  CHECK(f.api->handle(f.request("GET", "/launch?token=" + fresh_later)).status == 303);
  CHECK(f.api->handle(f.request("GET", "/launch?token=" + fresh_later)).status == 403);

  // The cookie is what keeps working, for every window of this launch.
  auto state = f.request("GET", "/api/state");
  state.headers["Cookie"] = set.substr(0, set.find(';'));
  CHECK(f.api->handle(state).status == 200);

  // Only the newest tokens are kept.
  const std::string oldest = f.token();
  for (std::size_t i = 0; i < ui::k_max_launch_tokens; ++i) (void)f.token();
  CHECK(f.api->handle(f.request("GET", "/launch?token=" + oldest)).status == 403);
}

// Each .html in client/ui/web holds only its own parts; the build composes it with
// client/ui/web/layout.html (issue 14). What the UI serves must be the whole page.
TEST_CASE("every page the UI serves is whole: the layout's head, skip link and landmarks around its own title") {
  Fixture f;
  const std::string cookie = f.launch();
  std::map<std::string, std::string> served;
  for (const auto& file : ui::ui_web()) {
    if (!file.name.ends_with(".html")) continue;
    auto req = f.request("GET", "/" + std::string(file.name));
    req.headers["Cookie"] = cookie;
    const auto r = f.api->handle(req);
    CHECK(r.status == 200);
    CHECK(r.header("Content-Type").rfind("text/html", 0) == 0);
    check_protective_headers(r);
    served.emplace(file.name, r.body);
  }
  const vigil::testing::PageLayout layout{
      R"(<a class="skip-link" href="#main">Skip to main content</a>)",
      {R"(<header class="site-header">)", R"(<main id="main" class="main" tabindex="-1">)", R"(<footer class="site-footer">)",
       R"(<link rel="stylesheet" href="/app.css">)"}};
  vigil::testing::check_served_pages(served, layout,
                                     {{"index.html", "Vigil"},
                                      {"equalities.html", "Equalities monitoring (optional) – Vigil"},
                                      {"result.html", "Your result – Vigil"}});
  // The layout itself is not served, and the candidate's page keeps its own header and dialog.
  auto layout_req = f.request("GET", "/layout.html");
  layout_req.headers["Cookie"] = cookie;
  CHECK(f.api->handle(layout_req).status == 404);
  CHECK(served["index.html"].find(R"(<p id="save-status" class="save-status" role="status"></p>)") != std::string::npos);
  CHECK(served["index.html"].find("</footer>\n<dialog id=\"dialog\" class=\"dialog\"></dialog>\n</body>") != std::string::npos);
}

TEST_CASE("requests naming another host are refused (DNS rebinding)") {
  Fixture f;
  const std::string cookie = f.launch();
  for (std::string host : {"evil.example:40123", "127.0.0.1:1", "localhost", ""}) {
    auto r = f.request("GET", "/api/state");
    r.headers["Cookie"] = cookie;
    r.headers["Host"] = host;
    CHECK(f.api->handle(r).status == 421);
  }
  auto local = f.request("GET", "/api/state");
  local.headers["Cookie"] = cookie;
  local.headers["Host"] = "localhost:40123";
  CHECK(f.api->handle(local).status == 200);
}

TEST_CASE("changes must be JSON from the UI's own origin") {
  Fixture f;
  const std::string cookie = f.launch();
  auto post = [&](std::string content_type, std::string origin) {
    auto r = f.request("POST", "/api/flag");
    r.headers["Cookie"] = cookie;
    if (!content_type.empty()) r.headers["Content-Type"] = content_type;
    if (!origin.empty()) r.headers["Origin"] = origin;
    r.body = R"({"item_id":"k-1","flagged":true})";
    return f.api->handle(r);
  };
  CHECK(post("text/plain", "").status == 403);                                   // a cross-site form post
  CHECK(post("application/x-www-form-urlencoded", "").status == 403);
  CHECK(post("application/json", "http://evil.example").status == 403);
  CHECK(post("application/json", "null").status == 403);
  // Allowed through to the action, which says plainly that nothing is unlocked yet.
  auto ok = post("application/json", "http://127.0.0.1:40123");
  CHECK(ok.status == 409);
  CHECK(ok.body.find("not unlocked") != std::string::npos);
}

TEST_CASE("bad requests get a plain error naming the field and nothing changes") {
  Fixture f;
  const std::string cookie = f.launch();
  auto r = f.request("POST", "/api/enrol");
  r.headers["Cookie"] = cookie;
  r.headers["Content-Type"] = "application/json";
  r.body = R"({"code": 12})";
  auto res = f.api->handle(r);
  CHECK(res.status == 400);
  CHECK(res.body.find(R"("field":"code")") != std::string::npos);
  r.body = R"({"code": "A", "code": "B"})";  // duplicate keys are refused, not guessed at
  CHECK(f.api->handle(r).status == 400);
  r.body = "{not json";
  CHECK(f.api->handle(r).status == 400);
  // Read strictly (ObjectReader): a member the action does not take is named too.
  r.body = R"({"code": "ACDE-FGHJ-KMNP-QRTU", "cdoe": "x"})";
  res = f.api->handle(r);
  CHECK(res.status == 400);
  CHECK(res.body.find(R"("field":"cdoe")") != std::string::npos);
  // A malformed %-escape in the path is a 400, not passed through.
  for (const std::string target : {"/api/answers/k%zz1", "/api/answers/%4", "/%zz"}) {
    auto bad = f.request(target.rfind("/api/", 0) == 0 ? "PUT" : "GET", target);
    bad.headers["Cookie"] = cookie;
    bad.headers["Content-Type"] = "application/json";
    bad.body = R"({"value":{}})";
    const auto answered = f.api->handle(bad);
    INFO(target << " -> " << answered.body);
    CHECK(answered.status == 400);
    CHECK(answered.body.find(R"("field":"path")") != std::string::npos);
  }
  auto enrolment = f.store->enrolment();
  REQUIRE(enrolment);
  CHECK_FALSE(enrolment->has_value());
}

TEST_CASE("the listener answers on 127.0.0.1 and refuses an oversized request") {
  auto server = ui::LocalHttpServer::start([](const HttpRequest& req) {
    HttpResponse r;
    r.headers["Content-Type"] = "text/plain";
    r.body = "seen " + req.method + " " + req.target;
    return r;
  });
  REQUIRE(server);
  const std::uint16_t port = (*server)->port();
  CHECK(port != 0);

  auto exchange = [&](const std::string& raw) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    s.connect({boost::asio::ip::address_v4::loopback(), port});
    boost::system::error_code ec;
    boost::asio::write(s, boost::asio::buffer(raw), ec);  // the server may answer before reading it all
    std::string out;
    char buf[4096];
    for (;;) {
      const std::size_t n = s.read_some(boost::asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec) break;
    }
    return out;
  };
  const std::string ok = exchange("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(ok.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(ok.find("seen GET /hello") != std::string::npos);
  const std::string big = exchange("PUT /api/answers/w HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n" +
                                   std::string(2'000'000, 'a'));
  CHECK(big.rfind("HTTP/1.1 413", 0) == 0);
}

#ifndef _WIN32  // not in the Windows build: /proc/self/fd has no Windows counterpart worth a seam
namespace {

// The listener runs in this process: its side of a connection is the socket here whose local end
// is the listener's port and whose remote end is the client's (found through /proc/self/fd).
int accepted_socket_for(const boost::asio::ip::tcp::endpoint& listener, const boost::asio::ip::tcp::endpoint& client) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_in local{}, remote{};
    socklen_t n1 = sizeof local, n2 = sizeof remote;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &n1) != 0 || local.sin_family != AF_INET) continue;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &n2) != 0) continue;
    if (ntohs(local.sin_port) == listener.port() && ntohs(remote.sin_port) == client.port()) return fd;
  }
  return -1;
}

}  // namespace

TEST_CASE("the listener keeps a connection for many requests and sends without Nagle's delay") {
  auto server = ui::LocalHttpServer::start([](const HttpRequest& req) {
    HttpResponse r;
    r.headers["Content-Type"] = "application/json";
    r.body = R"({"seen":")" + req.target + "\"}";
    return r;
  });
  REQUIRE(server);
  const boost::asio::ip::tcp::endpoint listener{boost::asio::ip::address_v4::loopback(), (*server)->port()};
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  s.connect(listener);

  // 20 requests one after another on the one connection, as the page's saves go: each answered
  // with keep-alive, and the listener's side of the connection stays the same socket.
  int accepted = -1;
  for (int i = 0; i < 20; ++i) {
    const std::string target = "/api/answers/q" + std::to_string(i);
    const std::string body = R"({"value":{"choice":1}})";
    const std::string raw = "PUT " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body;
    boost::asio::write(s, boost::asio::buffer(raw));
    const std::string expected = R"({"seen":")" + target + "\"}";
    std::string got;
    char buf[4096];
    while (got.size() < expected.size() || got.compare(got.size() - expected.size(), expected.size(), expected) != 0) {
      boost::system::error_code ec;
      const std::size_t n = s.read_some(boost::asio::buffer(buf), ec);
      REQUIRE_FALSE(ec);  // the listener must not close the connection
      got.append(buf, n);
    }
    CHECK(got.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(got.find("Connection: close") == std::string::npos);
    const int fd = accepted_socket_for(listener, s.local_endpoint());
    REQUIRE(fd >= 0);
    if (i == 0) accepted = fd;
    CHECK(fd == accepted);
  }

  // TCP_NODELAY on the listener's side (the client socket here leaves it off, as a default does).
  int on = 0;
  socklen_t len = sizeof on;
  REQUIRE(::getsockopt(accepted, IPPROTO_TCP, TCP_NODELAY, &on, &len) == 0);
  CHECK(on == 1);
  int client_on = -1;
  len = sizeof client_on;
  REQUIRE(::getsockopt(s.native_handle(), IPPROTO_TCP, TCP_NODELAY, &client_on, &len) == 0);
  CHECK(client_on == 0);
}
#endif


namespace {

// Issue 16 part 2, follow-up: the identity photos are sealed with the session id as context, as
// the monitor seals evidence, so that the server opens a photo only for the session it was taken
// in (server/staff/staff_identity.cpp; the server's side is in test_staff_identity.cpp).
TEST_CASE("an identity photo is sealed to the server's evidence key for its own session only") {
  Fixture f;
  const auto evidence = crypto::x25519_generate().value();
  store::Enrolment e;
  e.candidate_id = "c-1";
  e.evidence_public_key = evidence.public_key;
  REQUIRE(f.store->save_enrolment(e));
  ui::UiServices services;
  services.unlock = [](std::string_view) -> Result<runner::RunnerOptions> {
    runner::RunnerOptions o;
    o.session_id = "sitting-photo";
    o.assessment = testing::small_assessment();
    return o;
  };
  services.capture_photo = [](std::string_view kind) -> Result<Bytes> {
    const std::string jpeg = "\xFF\xD8\xFF photo: " + std::string(kind);
    return Bytes(jpeg.begin(), jpeg.end());
  };
  f.api = std::make_unique<ui::UiApi>(*f.store, f.clock, f.dir.path(), services);
  f.api->set_port(k_port);
  const std::string cookie = f.launch();
  const auto post = [&](const std::string& target, const std::string& body) {
    auto r = f.request("POST", target);
    r.headers["Cookie"] = cookie;
    r.headers["Content-Type"] = "application/json";
    r.body = body;
    return f.api->handle(r);
  };
  REQUIRE(post("/api/unlock", "{}").status == 200);
  const auto captured = post("/api/camera/capture", R"({"kind":"face"})");
  REQUIRE(captured.status == 200);
  const auto sha_hex = nlohmann::json::parse(captured.body)["sha256"].get<std::string>();
  const auto sha = from_hex(sha_hex).value();
  journal::Hash h{};
  std::copy(sha.begin(), sha.end(), h.begin());
  const auto sealed = f.store->blob_chunk(h, 0, 1 << 20).value();
  const auto opened = crypto::open_sealed(evidence, sealed, as_bytes(std::string_view("sitting-photo")));
  REQUIRE(opened);
  CHECK(std::string(as_chars(*opened)) == "\xFF\xD8\xFF photo: face");
  CHECK_FALSE(crypto::open_sealed(evidence, sealed));                                            // no context
  CHECK_FALSE(crypto::open_sealed(evidence, sealed, as_bytes(std::string_view("sitting-other"))));  // another session
}

}  // namespace
