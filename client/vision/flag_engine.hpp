#pragma once
// The flag engine: turns per-frame conditions ("no face in this frame") into flags with a start
// and an end ("no face from 12.4 s to 31.0 s"), the only thing a proctor sees. OpenCV-free.
//
// Invariants:
//  (1) A flag is raised only after its condition held for the check's raise_after_ms, counted
//      from the first frame of the run; gaps of at most gap_ms inside the run do not break it.
//  (2) A raised flag ends only after its condition has been absent for end_after_ms (hysteresis);
//      its end time is the last frame at which the condition held.
//  (3) Every raised flag ends exactly once: at the hysteresis, or at finish() (pause, stop).
//  (4) Times are whatever the caller passes (monotonic milliseconds of the frame); they must not
//      go backwards.
//  (5) A flag is a hypothesis for a human reviewer, never a verdict: confidence is the mean of
//      the per-frame confidences over the run, not a probability of misconduct.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/vision/config.hpp"

namespace vigil::client::vision {

enum class Check {
  no_face,
  multi_face,
  look_away,
  partial,
  dark,
  covered,
  frozen,
  loop,
  face_changed,
  camera_lost,
};
inline constexpr std::size_t k_check_count = 10;

// The journal name (docs/EVENTS.md `check`).
std::string_view check_name(Check c) noexcept;
std::optional<Check> parse_check(std::string_view name) noexcept;
const CheckRule& rule_for(const VisionConfig& config, Check c) noexcept;

// One frame's verdict on one check.
struct Condition {
  bool present = false;
  float confidence = 0;  // 0..1, how sure this frame is
};
using Conditions = std::array<Condition, k_check_count>;

struct FlagEvent {
  enum class Kind { raised, ended } kind = Kind::raised;
  Check check = Check::no_face;
  std::uint64_t flag_id = 0;     // 1, 2, ... per engine
  std::int64_t start_ms = 0;     // first frame of the run
  std::int64_t end_ms = 0;       // ended: last frame with the condition
  float confidence = 0;          // raised: mean so far; ended: peak
  const char* severity = "medium";
};

class FlagEngine {
 public:
  explicit FlagEngine(VisionConfig config) : config_(std::move(config)) {}

  // Feeds one frame's conditions at time t_ms; returns the flags raised or ended by it.
  std::vector<FlagEvent> update(std::int64_t t_ms, const Conditions& conditions);
  // Ends every raised flag at its last frame and forgets pending runs (pause, stop, end of clip).
  std::vector<FlagEvent> finish();

  bool active(Check c) const noexcept { return state_[static_cast<std::size_t>(c)].raised; }

 private:
  struct State {
    bool running = false;      // a run of the condition is in progress
    bool raised = false;
    std::int64_t start_ms = 0;
    std::int64_t last_seen_ms = 0;
    double confidence_sum = 0;
    std::uint64_t frames = 0;
    float peak = 0;
    std::uint64_t flag_id = 0;
  };
  VisionConfig config_;
  std::array<State, k_check_count> state_{};
  std::uint64_t next_id_ = 1;
};

}  // namespace vigil::client::vision
