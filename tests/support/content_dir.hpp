#pragma once
// A small, valid content directory in the authoring format (docs/CONTENT-FORMAT.md), written by
// the tests themselves so they do not depend on the sample content. Tests break one field at a
// time through ContentFiles::set before writing.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace vigil::testing {

struct ContentFiles {
  std::map<std::string, nlohmann::json> files;

  static ContentFiles sample(const std::string& id = "practitioner-test", int version = 1) {
    using nlohmann::json;
    ContentFiles c;
    c.files["assessment.json"] = json{
        {"format", "vigil-assessment-source/1"},
        {"id", id},
        {"version", version},
        {"title", "Child and family practitioner: test assessment"},
        {"level", "practitioner"},
        {"sections",
         json::array({json{{"id", "knowledge"}, {"kind", "knowledge"}, {"title", "Knowledge"}, {"minutes", 90},
                           {"intro", json::array({"Answer every question."})}, {"file", "knowledge.json"}},
                      json{{"id", "scenario-1"}, {"kind", "scenario"}, {"title", "Scenario: the Ash family"}, {"minutes", 90},
                           {"intro", json::array({"Read the case material first."})}, {"file", "scenario-1.json"}},
                      json{{"id", "written"}, {"kind", "written"}, {"title", "Written assessment"}, {"minutes", 60},
                           {"intro", json::array({"Write your answer."})}, {"file", "written.json"}}})},
        {"breaks", json::array({json{{"after_section", "knowledge"}, {"minutes", 10}}})}};
    c.files["knowledge.json"] = json{
        {"items",
         json::array({json{{"id", "k-001"}, {"type", "single"}, {"kss", json::array({"P3"})},
                           {"stem", json::array({"Which is the best first step?"})},
                           {"options", json::array({"First", "Second", "Third", "Fourth"})},
                           {"answer", json::array({2})},
                           {"rationale", "The third option is the best first step."}},
                      json{{"id", "k-002"}, {"type", "multiple"}, {"select", 2}, {"kss", json::array({"P8"})},
                           {"stem", json::array({"Which two apply?"})},
                           {"options", json::array({"A", "B", "C", "D", "E"})},
                           {"answer", json::array({0, 3})},
                           {"rationale", "A and D apply."}}})}};
    c.files["scenario-1.json"] = json{
        {"case_material",
         json::array({json{{"title", "Referral from school, 3 March"}, {"paragraphs", json::array({"A fictional referral."})}}})},
        {"items", json::array({json{{"id", "s1-001"}, {"type", "single"}, {"kss", json::array({"P1", "P2"})},
                                    {"stem", json::array({"What do you do next?"})},
                                    {"options", json::array({"Visit", "Phone", "Write"})},
                                    {"answer", json::array({0})},
                                    {"rationale", "A visit."}}})}};
    c.files["written.json"] = json{
        {"items", json::array({json{{"id", "w-001"}, {"type", "written"}, {"kss", json::array({"P6", "P7"})},
                                    {"stem", json::array({"Write a case summary."})},
                                    {"words", json{{"min", 400}, {"max", 800}}},
                                    {"rubric", json{{"P6", json::array({"Analyses the risk."})},
                                                    {"P7", json::array({"Plans next steps."})}}}}})}};
    return c;
  }

  // Sets (or, with a discarded value, removes) the value at a JSON pointer in one file.
  ContentFiles& set(const std::string& file, const std::string& pointer, nlohmann::json value) {
    files.at(file)[nlohmann::json::json_pointer(pointer)] = std::move(value);
    return *this;
  }
  ContentFiles& erase(const std::string& file, const std::string& pointer) {
    const nlohmann::json::json_pointer p(pointer);
    files.at(file)[p.parent_pointer()].erase(p.back());
    return *this;
  }

  void write(const std::filesystem::path& dir) const {
    std::filesystem::create_directories(dir);
    for (const auto& [name, j] : files) {
      std::ofstream(dir / name) << j.dump(2) << "\n";
    }
  }
};

}  // namespace vigil::testing
