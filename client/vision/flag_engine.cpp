#include "client/vision/flag_engine.hpp"

#include <algorithm>
#include <cassert>

namespace vigil::client::vision {

namespace {
constexpr std::array<std::string_view, k_check_count> k_names = {
    "no_face", "multi_face", "look_away", "partial", "dark", "covered", "frozen", "loop", "face_changed", "camera_lost"};
}  // namespace

std::string_view check_name(Check c) noexcept { return k_names[static_cast<std::size_t>(c)]; }

std::optional<Check> parse_check(std::string_view name) noexcept {
  for (std::size_t i = 0; i < k_names.size(); ++i)
    if (k_names[i] == name) return static_cast<Check>(i);
  return std::nullopt;
}

const CheckRule& rule_for(const VisionConfig& c, Check check) noexcept {
  switch (check) {
    case Check::no_face: return c.no_face;
    case Check::multi_face: return c.multi_face;
    case Check::look_away: return c.look_away;
    case Check::partial: return c.partial;
    case Check::dark: return c.dark;
    case Check::covered: return c.covered;
    case Check::frozen: return c.frozen;
    case Check::loop: return c.loop;
    case Check::face_changed: return c.face_changed;
    case Check::camera_lost: return c.camera_lost;
  }
  return c.no_face;
}

std::vector<FlagEvent> FlagEngine::update(std::int64_t t_ms, const Conditions& conditions) {
  std::vector<FlagEvent> out;
  for (std::size_t i = 0; i < k_check_count; ++i) {
    const Check check = static_cast<Check>(i);
    const CheckRule& rule = rule_for(config_, check);
    State& s = state_[i];
    const Condition& c = conditions[i];
    assert(!s.running || t_ms >= s.last_seen_ms);  // invariant 4
    if (c.present) {
      // A gap longer than gap_ms breaks a run that has not been raised yet (invariant 1).
      if (s.running && !s.raised && t_ms - s.last_seen_ms > rule.gap_ms) s.running = false;
      if (!s.running) {
        s = State{};
        s.running = true;
        s.start_ms = t_ms;
      }
      s.last_seen_ms = t_ms;
      s.confidence_sum += c.confidence;
      ++s.frames;
      s.peak = std::max(s.peak, c.confidence);
      if (!s.raised && t_ms - s.start_ms >= rule.raise_after_ms) {
        s.raised = true;
        s.flag_id = next_id_++;
        out.push_back({FlagEvent::Kind::raised, check, s.flag_id, s.start_ms, 0,
                       static_cast<float>(s.confidence_sum / static_cast<double>(s.frames)), rule.severity});
      }
    } else if (s.running) {
      if (s.raised && t_ms - s.last_seen_ms >= rule.end_after_ms) {  // invariant 2
        out.push_back({FlagEvent::Kind::ended, check, s.flag_id, s.start_ms, s.last_seen_ms, s.peak, rule.severity});
        s = State{};
      } else if (!s.raised && t_ms - s.last_seen_ms > rule.gap_ms) {
        s = State{};
      }
    }
  }
  return out;
}

std::vector<FlagEvent> FlagEngine::finish() {
  std::vector<FlagEvent> out;
  for (std::size_t i = 0; i < k_check_count; ++i) {
    State& s = state_[i];
    if (s.raised)
      out.push_back({FlagEvent::Kind::ended, static_cast<Check>(i), s.flag_id, s.start_ms, s.last_seen_ms, s.peak,
                     rule_for(config_, static_cast<Check>(i)).severity});
    s = State{};
  }
  return out;
}

}  // namespace vigil::client::vision
