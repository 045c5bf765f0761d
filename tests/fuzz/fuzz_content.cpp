// The content format (docs/CONTENT-FORMAT.md, server/packages/authoring.hpp): a content directory
// written from one input (format: fuzz_decoders_world.hpp) into a scratch directory under
// TMPDIR, then load_content_dir. Oracles:
//  - a refusal is invalid_argument whose message starts with the file it is about and is UTF-8;
//  - what is accepted is what a client can read: the candidate's part re-encodes through the
//    package plaintext's JSON (assessment::to_json, parse_assessment) to the same assessment, and
//    the marking scheme through its stored form to the same scheme;
//  - the scheme answers only items of the assessment, each at most once, and names its id and
//    version.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <unistd.h>

#include "server/packages/authoring.hpp"
#include "shared/assessment/json.hpp"
#include "shared/core/utf8.hpp"
#include "tests/fuzz/fuzz_decoders_world.hpp"

using namespace vigil;
namespace fs = std::filesystem;

namespace {

[[noreturn]] void die(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz_content: %s\n%.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

const fs::path& scratch() {
  static const fs::path dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    fs::path d = fs::path(tmp && *tmp ? tmp : "/tmp") / ("vigil-fuzz-content-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

bool plain_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && name[0] != '.' && name.find_first_of("/\\") == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The input's files, written into an emptied scratch directory.
void lay_out(std::string_view input) {
  const auto& dir = scratch();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) fs::remove_all(entry.path(), ec);
  std::size_t files = 0;
  bool first = true;
  while (files < 16) {
    const auto end = input.find(fuzz::k_file_separator);
    const std::string_view part = input.substr(0, end);
    if (first) {
      write_file(dir / "assessment.json", part);
      first = false;
    } else if (const auto nl = part.find('\n'); nl != std::string_view::npos && plain_name(part.substr(0, nl))) {
      write_file(dir / std::string(part.substr(0, nl)), part.substr(nl + 1));
    }
    ++files;
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
}

std::string scheme_json(const assessment::MarkingScheme& m) { return assessment::to_json(m).dump(); }

void check_accepted(const server::AuthoredAssessment& content) {
  const auto& a = content.assessment;
  const std::string json = assessment::to_json(a).dump();
  auto client = assessment::parse_assessment(json);
  if (!client) die("accepted content is not an assessment a client accepts", client.error().describe() + "\n" + json);
  if (assessment::to_json(*client).dump() != json) die("accepted content reads back as another assessment", json);

  const auto& s = content.scheme;
  if (s.assessment_id != a.id || s.version != a.version) die("the marking scheme names another assessment");
  const std::string stored = scheme_json(s);
  auto back = assessment::parse_marking_scheme(stored);
  if (!back) die("the marking scheme's stored form does not parse", back.error().describe() + "\n" + stored);
  if (scheme_json(*back) != stored) die("the marking scheme reads back as another one", stored);

  std::set<std::string, std::less<>> items, answered;
  for (const auto& sec : a.sections) {
    for (const auto& it : sec.items) items.insert(it.id);
  }
  for (const auto& k : s.keys) {
    if (!items.contains(k.item_id) || !answered.insert(k.item_id).second) die("a key for an unknown or repeated item", k.item_id);
  }
  for (const auto& r : s.rubrics) {
    if (!items.contains(r.item_id) || !answered.insert(r.item_id).second) die("a rubric for an unknown or repeated item", r.item_id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  lay_out(std::string_view(reinterpret_cast<const char*>(data), size));
  auto content = server::load_content_dir(scratch());
  if (!content) {
    const auto& e = content.error();
    if (e.code != Errc::invalid_argument) die("a refusal that is not invalid_argument", e.describe());
    if (!is_valid_utf8(e.message) || e.message.find(".json: ") == std::string::npos) {
      die("a refusal that does not name its file in UTF-8", e.describe());
    }
    return 0;
  }
  check_accepted(*content);
  return 0;
}
