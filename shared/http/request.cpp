#include "shared/http/request.hpp"

#include <algorithm>
#include <charconv>

#include <boost/url/decode_view.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/pct_string_view.hpp>
// Debian's Boost 1.81 ships no compiled Boost.URL library: this is the one translation unit that
// compiles it (its documented header-only mode).
#include <boost/url/src.hpp>

#include "shared/protocol/json_reader.hpp"

namespace vigil::http {

namespace urls = boost::urls;

namespace {

// A strictly percent-decoded piece of a path; an escape that is not % and two hex digits fails.
Result<std::string> decode_segment(std::string_view s) {
  auto pct = urls::make_pct_string_view(urls::string_view(s.data(), s.size()));
  if (!pct) return fail(Error(Errc::invalid_argument, "the address has a malformed %-escape", "path"));
  std::string out;
  out.reserve(pct->decoded_size());
  for (char c : **pct) out += c;
  return out;
}

}  // namespace

Result<std::vector<std::string>> path_segments(std::string_view path) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= path.size()) {
    const auto next = path.find('/', at);
    const auto piece = path.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at);
    if (!piece.empty()) {
      VIGIL_ASSIGN(auto decoded, decode_segment(piece));
      out.push_back(std::move(decoded));
    }
    if (next == std::string_view::npos) break;
    at = next + 1;
  }
  return out;
}

Result<Query> query_params(std::string_view query) {
  Query out;
  if (query.empty()) return out;
  const auto parsed = urls::parse_query(urls::string_view(query.data(), query.size()));
  if (!parsed) return fail(Error(Errc::invalid_argument, "the query string is malformed", "query"));
  urls::encoding_opts form;
  form.space_as_plus = true;
  for (const auto& p : *parsed) {
    std::string key = p.key.decode(form);
    if (key.empty()) continue;
    out[std::move(key)] = p.has_value ? p.value.decode(form) : std::string();
  }
  return out;
}

std::int64_t int_param(const Query& q, std::string_view name, std::int64_t dflt, std::int64_t lo, std::int64_t hi) {
  const auto it = q.find(name);
  if (it == q.end()) return dflt;
  std::int64_t v = dflt;
  const auto* end = it->second.data() + it->second.size();
  if (std::from_chars(it->second.data(), end, v).ptr != end) return dflt;
  return std::clamp(v, lo, hi);
}

std::string cookie_value(const protocol::HttpRequest& req, std::string_view name) {
  // Hand-written: Boost.URL has no Cookie-header parser and Beast's is not for shared/; the
  // header is a plain "a=b; c=d" list (RFC 6265 section 4.2.1).
  const std::string header = req.header("Cookie");
  std::string_view rest = header;
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    auto part = rest.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    if (semi == std::string_view::npos) break;
    rest.remove_prefix(semi + 1);
  }
  return {};
}

Result<std::uint64_t> header_uint(const protocol::HttpRequest& req, std::string_view name) {
  const std::string v = req.header(name);
  if (v.empty() || v.size() > 19 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return fail(Error(Errc::invalid_argument, "header " + std::string(name) + " must be a whole number", std::string(name)));
  }
  return std::stoull(v);
}

Status require_json(const protocol::HttpRequest& req) {
  if (req.header("Content-Type").rfind("application/json", 0) != 0) {
    return fail(Error(Errc::invalid_argument, "Content-Type must be application/json", "Content-Type"));
  }
  return {};
}

Result<nlohmann::json> json_body(const protocol::HttpRequest& req, std::size_t max_depth) {
  VIGIL_TRY(require_json(req));
  return protocol::parse_json(req.body, max_depth);
}

}  // namespace vigil::http
