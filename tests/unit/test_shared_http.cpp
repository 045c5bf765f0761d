// shared/http: the router, strict percent-decoding, the status table and the client's decoder.
#include <catch2/catch_test_macros.hpp>

#include <array>

#include "shared/http/request.hpp"
#include "shared/http/response.hpp"
#include "shared/http/router.hpp"
#include "shared/http/status.hpp"

using namespace vigil;

namespace {

struct Row {
  const char* method;
  const char* pattern;
  int id;
};

constexpr std::array<Row, 4> k_table{{
    {"GET", "/api/sessions/{device}/{session}", 1},
    {"POST", "/api/sessions/{device}/{session}/decision", 2},
    {"GET", "/api/sessions/{device}/{session}/evidence/{sha}", 3},
    {"GET", "/api/audit.csv", 4},
}};

Result<http::Routed<Row>> route(std::string_view method, std::string_view path) {
  auto segs = http::path_segments(path);
  if (!segs) return fail(segs.error());
  return http::route(std::span<const Row>(k_table), method, *segs);
}

}  // namespace

TEST_CASE("the router matches literal segments and fills captures") {
  auto r = route("GET", "/api/sessions/dev-1/sess_2.a");
  REQUIRE(r);
  CHECK(r->row->id == 1);
  CHECK(r->captures.at("device") == "dev-1");
  CHECK(r->captures.at("session") == "sess_2.a");
  auto e = route("GET", "//api/sessions/d/s/evidence/abc/");
  REQUIRE(e);
  CHECK(e->row->id == 3);
  CHECK(e->captures.at("sha") == "abc");
  CHECK(route("GET", "/api/audit.csv")->row->id == 4);
}

TEST_CASE("the router tells an unknown path from a known path with the wrong method") {
  CHECK(route("GET", "/api/nothing").error().code == Errc::not_found);
  CHECK(route("GET", "/api/sessions/d").error().code == Errc::not_found);
  CHECK(route("GET", "/api/sessions/d/s/x/y/z").error().code == Errc::not_found);
  CHECK(route("DELETE", "/api/sessions/d/s").error().code == Errc::invalid_argument);
}

TEST_CASE("the router refuses odd ids in captures") {
  for (const char* path : {"/api/sessions/a%2Fb/s", "/api/sessions/../s", "/api/sessions/./s", "/api/sessions/a%20b/s",
                           "/api/sessions/a%22b/s", "/api/sessions/a%00b/s", "/api/sessions/d/s%0A"}) {
    INFO(path);
    CHECK(route("GET", path).error().code == Errc::not_found);
  }
  CHECK(route("GET", "/api/sessions/" + std::string(129, 'x') + "/s").error().code == Errc::not_found);
  CHECK(route("GET", "/api/sessions/" + std::string(128, 'x') + "/s"));
  CHECK(http::plain_id("a.b-c_D9"));
  CHECK_FALSE(http::plain_id(""));
  CHECK_FALSE(http::plain_id("a/b"));
}

TEST_CASE("paths are percent-decoded strictly") {
  auto ok = http::path_segments("/v1/a%41b/%7e");
  REQUIRE(ok);
  CHECK(*ok == std::vector<std::string>{"v1", "aAb", "~"});
  for (const char* bad : {"/v1/%", "/v1/%4", "/v1/%zz", "/v1/a%g1", "/v1/%%41"}) {
    INFO(bad);
    auto r = http::path_segments(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::invalid_argument);
    CHECK(r.error().field == "path");
  }
}

TEST_CASE("queries are percent-decoded strictly, with + as a space") {
  auto q = http::query_params("a=1&b=x+y%21&c&a=2&d=%E2%9C%93");
  REQUIRE(q);
  CHECK(q->at("a") == "2");
  CHECK(q->at("b") == "x y!");
  CHECK(q->at("c").empty());
  CHECK(q->at("d") == "\xE2\x9C\x93");
  CHECK(http::int_param(*q, "a", 7, 0, 10) == 2);
  CHECK(http::int_param(*q, "b", 7, 0, 10) == 7);
  CHECK(http::int_param(*q, "zz", 7, 0, 10) == 7);
  CHECK(http::int_param(http::Query{{"n", "99"}}, "n", 7, 0, 10) == 10);
  for (const char* bad : {"a=%", "a=%4", "a=%zz", "%x1=b"}) {
    INFO(bad);
    auto r = http::query_params(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().field == "query");
  }
}

TEST_CASE("cookies and whole-number headers are read") {
  protocol::HttpRequest req;
  req.headers["Cookie"] = "other=1; vigil_ui=abc=def; x=2";
  CHECK(http::cookie_value(req, "vigil_ui") == "abc=def");
  CHECK(http::cookie_value(req, "vigil").empty());
  req.headers["Upload-Offset"] = "1024";
  CHECK(*http::header_uint(req, "Upload-Offset") == 1024);
  req.headers["Upload-Offset"] = "-1";
  CHECK(http::header_uint(req, "Upload-Offset").error().field == "Upload-Offset");
}

TEST_CASE("every error code round-trips through the status table") {
  for (int c = 0; c <= static_cast<int>(Errc::internal); ++c) {
    const auto code = static_cast<Errc>(c);
    const int status = http::status_for(code);
    INFO(errc_name(code) << " -> " << status);
    CHECK(http::status_for(http::errc_for_status(status)) == status);
  }
  CHECK(http::status_for(Errc::auth_failed) == 401);
  CHECK(http::status_for(Errc::busy) == 503);
  CHECK(http::errc_for_status(401) == Errc::auth_failed);
  CHECK(http::errc_for_status(502) == Errc::unavailable);
}

TEST_CASE("the client decodes every server error with one rule for 429 and 5xx") {
  auto refused = http::error_response(Error(Errc::forbidden, "revoked", "candidate"));
  CHECK(refused.status == 403);
  auto d = http::decode_error(refused);
  CHECK(d.error.code == Errc::forbidden);
  CHECK(d.error.message == "revoked");
  CHECK(d.error.field == "candidate");
  CHECK_FALSE(d.transient);

  auto limited = http::error_response(Error(Errc::rate_limited, "slow down"));
  limited.headers["Retry-After"] = "30";
  d = http::decode_error(limited);
  CHECK(d.transient);
  CHECK(d.error.code == Errc::rate_limited);  // as the server said, for a person to read
  CHECK(d.retry_later().code == Errc::unavailable);  // for code that retries by itself
  CHECK(d.retry_later().message == "slow down");
  CHECK(http::decode_error(refused).retry_later().code == Errc::forbidden);
  CHECK(d.retry_after == std::chrono::seconds(30));

  protocol::HttpResponse bare;
  bare.status = 502;
  bare.body = "<html>bad gateway</html>";
  d = http::decode_error(bare);
  CHECK(d.transient);
  CHECK(d.retry_later().code == Errc::unavailable);
  CHECK_FALSE(d.retry_after);
  bare.status = 404;
  CHECK(http::decode_error(bare).error.code == Errc::not_found);
}

TEST_CASE("server errors hide internals; the local UI shows them") {
  const Error e(Errc::io, "disk sector 7 failed");
  CHECK(http::error_response(e).body.find("sector") == std::string::npos);
  CHECK(http::error_response(e, http::Internals::show).body.find("sector") != std::string::npos);
  auto r = http::csv_download("a,b\r\n", "x.csv");
  CHECK(r.header("Content-Type") == "text/csv; charset=utf-8");
  CHECK(r.header("Content-Disposition") == "attachment; filename=\"x.csv\"");
  http::harden(r, {"default-src 'none'", false});
  CHECK(r.header("Cache-Control") == "no-store");
  CHECK(r.header("Strict-Transport-Security").empty());
  CHECK(r.header("X-Frame-Options") == "DENY");
}
