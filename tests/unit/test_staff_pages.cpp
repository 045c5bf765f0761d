// The staff pages as the binary serves them (server/staff/staff_api.cpp page() answers with the
// embedded text as it is): each one composed with server/staff/pages/layout.html (issue 14).
#include <catch2/catch_test_macros.hpp>

#include <fstream>
#include <sstream>

#include "server/embedded/staff_pages.hpp"
#include "tests/support/page_checks.hpp"

using vigil::testing::PageLayout;

namespace {

const PageLayout k_staff_layout{
    R"(<a class="skip" href="#main">Skip to main content</a>)",
    {R"(<header class="site">)", R"(<nav id="nav" aria-label="Main">)", R"(<main id="main" tabindex="-1">)",
     R"(<link rel="stylesheet" href="/staff/staff.css">)", R"(<script src="/staff/staff.js" defer></script>)"}};

}  // namespace

TEST_CASE("every staff page is served whole: the layout's head, skip link and landmarks around its own title") {
  std::map<std::string, std::string> served;
  for (const auto& f : vigil::server::staff_pages()) {
    if (f.name.ends_with(".html")) served.emplace(f.name, f.text);
  }
  vigil::testing::check_served_pages(served, k_staff_layout,
                                     {{"index.html", "Sign in – Vigil"},
                                      {"council.html", "Candidates – Vigil"},
                                      {"review.html", "Review queue – Vigil"},
                                      {"session.html", "Review a session – Vigil"},
                                      {"admin.html", "Administration – Vigil"},
                                      {"marking.html", "Marking – Vigil"},
                                      {"results.html", "Results – Vigil"},
                                      {"reports.html", "Reports – Vigil"},
                                      {"account.html", "Your account – Vigil"},
                                      {"identity.html", "Identity checks – Vigil"},
                                      {"identity_check.html", "Identity check – Vigil"},
                                      {"withheld.html", "Withheld results – Vigil"},
                                      {"my_work.html", "My work – Vigil"},
                                      {"workload.html", "Workload – Vigil"},
                                      {"appeals.html", "Appeals – Vigil"},
                                      {"appeal.html", "Appeal – Vigil"}});
  // Each page still loads its own script after the shared one.
  CHECK(served["council.html"].find("<script src=\"/staff/staff.js\" defer></script>\n"
                                    "<script src=\"/staff/council_results.js\" defer></script>\n"
                                    "<script src=\"/staff/council.js\" defer></script>\n</head>") != std::string::npos);
  CHECK(served["marking.html"].find("<h1>Marking</h1>") != std::string::npos);
}

TEST_CASE("a page file served without its layout fails the page checks") {
  // The source file holds only the page's own parts: served as it is, it must be caught.
  std::ifstream in(VIGIL_SOURCE_DIR "/server/staff/pages/review.html");
  REQUIRE(in);
  std::stringstream source;
  source << in.rdbuf();
  const auto problems = vigil::testing::layout_problems(source.str(), k_staff_layout);
  CHECK(problems.size() >= 5);
  CHECK(vigil::testing::page_title(source.str()).empty());
  // And a composed page with an inline script is caught too.
  std::string page;
  for (const auto& f : vigil::server::staff_pages()) {
    if (f.name == "review.html") page = f.text;
  }
  REQUIRE(vigil::testing::layout_problems(page, k_staff_layout).empty());
  page.insert(page.find("</head>"), "<script>alert(1)</script>\n");
  CHECK(vigil::testing::layout_problems(page, k_staff_layout) ==
        std::vector<std::string>{"has a <script> that is not one file loaded by src"});
}
