// What every served page must hold now that each side's pages are composed with one layout at
// build time (packaging/cmake/ComposePages.cmake, issue 14): a complete document in en-GB, one
// title that is the page's own, the skip link first in the body, the layout's landmarks, scripts
// only as files (the content security policy allows no inline script or style), and no slot left
// over. Shared by test_staff_pages (server) and test_client_ui (client), which cannot share one
// executable (plain SQLite against SQLCipher). Boost.Regex (header-only) rather than std::regex,
// whose GCC 12 headers warn (maybe-uninitialized) at -O2.
#pragma once

#include <boost/regex.hpp>
#include <catch2/catch_test_macros.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::testing {

// One side's layout: the skip link, which must open the body, and the landmarks each page has
// exactly once.
struct PageLayout {
  std::string skip_link;
  std::vector<std::string> landmarks;
};

inline std::size_t count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// The text of the page's one <title>, or "" when it has none or several.
inline std::string page_title(std::string_view html) {
  if (count(html, "<title>") != 1 || count(html, "</title>") != 1) return "";
  const auto from = html.find("<title>") + 7;
  return std::string(html.substr(from, html.find("</title>") - from));
}

// Every way the page falls short of a complete page from the layout, one sentence each.
inline std::vector<std::string> layout_problems(std::string_view html, const PageLayout& layout) {
  std::vector<std::string> out;
  const auto need = [&](bool ok, std::string what) {
    if (!ok) out.push_back(std::move(what));
  };
  need(html.starts_with("<!doctype html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"),
       "does not open with the doctype, <html lang=\"en-GB\"> and the charset");
  need(html.ends_with("</body>\n</html>\n"), "does not end with </body></html>");
  need(count(html, "<html") == 1 && count(html, "<head>") == 1 && count(html, "<body>") == 1,
       "has not exactly one <html>, <head> and <body>");
  need(!page_title(html).empty(), "has not exactly one non-empty <title>");
  need(html.find("<body>\n" + layout.skip_link + "\n") != std::string_view::npos,
       "does not open its body with the skip link " + layout.skip_link);
  need(count(html, layout.skip_link) == 1, "has not exactly one skip link");
  for (const auto& l : layout.landmarks) need(count(html, l) == 1, "has not exactly one " + l);
  need(count(html, "{{") == 0 && count(html, "<!-- slot:") == 0, "has a layout slot left in it");
  // The content security policy (script-src 'self'; style-src 'self') refuses inline code.
  const std::string text(html);
  static const boost::regex script_tag(R"re(<script (type="module" )?src="/[a-z_/]+\.js"( defer)?></script>)re");
  const auto scripts = static_cast<std::size_t>(
      std::distance(boost::sregex_iterator(text.begin(), text.end(), script_tag), boost::sregex_iterator()));
  need(scripts >= 1, "loads no script");
  need(scripts == count(html, "<script"), "has a <script> that is not one file loaded by src");
  need(count(html, "<style") == 0 && count(html, " style=") == 0, "has an inline style");
  static const boost::regex handler(R"re(\son[a-z]+=)re");
  need(!boost::regex_search(text, handler), "has an inline event handler");
  return out;
}

// Checks each served page (name -> body) against the layout, and that the pages are exactly the
// expected ones with their own titles (name -> title).
inline void check_served_pages(const std::map<std::string, std::string>& served, const PageLayout& layout,
                               const std::map<std::string, std::string>& titles) {
  std::map<std::string, std::string> seen;
  for (const auto& [name, html] : served) {
    INFO("page " << name);
    for (const auto& problem : layout_problems(html, layout)) FAIL_CHECK("the page " << problem);
    seen[name] = page_title(html);
  }
  CHECK(seen == titles);
}

}  // namespace vigil::testing
