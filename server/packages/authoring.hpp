#pragma once
// Authoring: reads and validates a content directory in the format of docs/CONTENT-FORMAT.md and
// splits it into what candidates get (assessment::Assessment, which goes into a package) and
// what stays on the server (assessment::MarkingScheme: answers, rationales, rubrics).
//
// Every error is Errc::invalid_argument with `field` "<file>: <JSON path>" and a message that
// starts with the file and names the path, e.g.
//   knowledge.json: field "items[12].answer": needs exactly one option index for a single item
// Unknown fields are errors: a typo must not silently drop content.
#include <filesystem>

#include "shared/assessment/model.hpp"
#include "shared/core/result.hpp"

namespace vigil::server {

inline constexpr std::string_view k_content_format = "vigil-assessment-source/1";

struct AuthoredAssessment {
  assessment::Assessment assessment;
  assessment::MarkingScheme scheme;
};

Result<AuthoredAssessment> load_content_dir(const std::filesystem::path& dir);

}  // namespace vigil::server
