#include "client/vision/offline.hpp"

#include <opencv2/imgcodecs.hpp>

#include "client/vision/frame_source.hpp"

namespace vigil::client::vision {

Result<ClipResult> analyse_clip(const std::filesystem::path& clip, const VisionConfig& config) {
  VIGIL_ASSIGN(auto analyser, FrameAnalyser::create(config));
  FlagEngine engine(config);
  time::ManualClock clock;
  FileSource source(FileOptions{clip, false, 0, 0}, clock);
  VIGIL_TRY(source.open());
  ClipResult out;
  out.fps = source.fps();
  const double period_ms = config.analysis_fps > 0 ? 1000.0 / config.analysis_fps : 0;
  double next_due = 0;
  std::int64_t first = -1, last = 0;
  auto add = [&](const std::vector<FlagEvent>& events) {
    for (const FlagEvent& e : events) {
      if (e.kind == FlagEvent::Kind::raised) {
        out.flags.push_back({e.check, static_cast<double>(e.start_ms - first) / 1000.0, -1, e.confidence, e.severity});
        continue;
      }
      for (auto& f : out.flags)
        if (f.check == e.check && f.end_s < 0) f.end_s = static_cast<double>(e.end_ms - first) / 1000.0;
    }
  };
  for (;;) {
    VIGIL_ASSIGN(auto frame, source.read());
    if (!frame) break;
    if (first < 0) first = frame->t_ms;
    const double rel = static_cast<double>(frame->t_ms - first);
    if (rel + 1e-6 < next_due) continue;  // not due for analysis (live: not sampled)
    next_due += period_ms;
    if (next_due < rel) next_due = rel + period_ms;
    Observation o = analyser->analyse(frame->bgr, frame->t_ms);
    add(engine.update(frame->t_ms, o.conditions));
    last = frame->t_ms;
    out.frames.push_back(std::move(o));
  }
  (void)last;
  add(engine.finish());
  return out;
}

Result<Observation> analyse_image(FrameAnalyser& analyser, const std::filesystem::path& image) {
  cv::Mat m = cv::imread(image.string(), cv::IMREAD_COLOR);
  if (m.empty()) return fail(Errc::invalid_argument, "cannot read the image " + image.string());
  return analyser.analyse_still(m);
}

}  // namespace vigil::client::vision
