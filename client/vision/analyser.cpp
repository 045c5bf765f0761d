#include "client/vision/analyser.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "client/vision/lbp.hpp"

namespace vigil::client::vision {

namespace {

constexpr int k_identity_side = 64;

// FNV-1a over the bytes of a continuous 8-bit image: the frame's identity for replay detection.
std::uint64_t fnv1a(const cv::Mat& m) {
  std::uint64_t h = 1469598103934665603ull;
  const auto* p = m.ptr<std::uint8_t>();
  const std::size_t n = m.total() * m.elemSize();
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

const Face* largest(const std::vector<Face>& faces) {
  const Face* best = nullptr;
  for (const Face& f : faces)
    if (best == nullptr || f.box.area() > best->box.area()) best = &f;
  return best;
}

std::optional<HeadPose> pose_of(const Face& f) {
  if (!f.has_keypoints) return std::nullopt;
  const cv::Point2f re = f.keypoints[0], le = f.keypoints[1], nose = f.keypoints[2], mouth = f.keypoints[3];
  const cv::Point2f eye_mid = (re + le) * 0.5f;
  const cv::Point2f axis = le - re;  // subject's right eye -> left eye (left to right in the image)
  const float eye_dist = std::hypot(axis.x, axis.y);
  if (eye_dist < 1e-3f) return std::nullopt;
  const cv::Point2f ux = axis / eye_dist;           // along the eyes
  const cv::Point2f uy(-ux.y, ux.x);                // down the face
  const cv::Point2f n = nose - eye_mid, m = mouth - eye_mid;
  HeadPose p;
  p.yaw = (n.x * ux.x + n.y * ux.y) / eye_dist;
  p.drop = (m.x * uy.x + m.y * uy.y) / eye_dist;
  p.eye_width_ratio = f.box.width > 0 ? eye_dist / f.box.width : 1;
  // Both ears on the same side of the eye midpoint: the head is seen from the side.
  const float rear = ((f.keypoints[4] - eye_mid).x * ux.x + (f.keypoints[4] - eye_mid).y * ux.y);
  const float lear = ((f.keypoints[5] - eye_mid).x * ux.x + (f.keypoints[5] - eye_mid).y * ux.y);
  p.ears_one_side = rear > 0 || lear < 0;
  return p;
}

// A roll-corrected, size-normalised grey crop of a face for LBPH (empty if it cannot be made).
cv::Mat identity_crop(const cv::Mat& bgr, const Face& f) {
  cv::Mat grey;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  cv::Point2f centre(f.box.x + f.box.width / 2, f.box.y + f.box.height / 2);
  double angle = 0;
  float side = std::max(f.box.width, f.box.height);
  if (f.has_keypoints) {
    const cv::Point2f re = f.keypoints[0], le = f.keypoints[1];
    angle = std::atan2(le.y - re.y, le.x - re.x) * 180.0 / CV_PI;
    const float eye_dist = std::hypot(le.x - re.x, le.y - re.y);
    centre = (re + le) * 0.5f + (f.keypoints[3] - (re + le) * 0.5f) * 0.45f;
    side = std::max(side * 0.8f, eye_dist * 2.4f);
  }
  if (side < 16) return {};
  cv::Mat rot = cv::getRotationMatrix2D(centre, angle, k_identity_side / static_cast<double>(side));
  rot.at<double>(0, 2) += k_identity_side / 2.0 - centre.x;
  rot.at<double>(1, 2) += k_identity_side / 2.0 - centre.y;
  cv::Mat out;
  cv::warpAffine(grey, out, rot, cv::Size(k_identity_side, k_identity_side), cv::INTER_AREA, cv::BORDER_REPLICATE);
  cv::equalizeHist(out, out);
  return out;
}

}  // namespace

struct FrameAnalyser::Identity {
  LbpModel model{LbpGrid{1, 8, 8}};  // radius 1, 8 neighbours, 8x8 cells (lbp.hpp)
  std::vector<cv::Mat> pending;  // auto-reference crops, until enough are collected
  bool trained = false;
  bool explicit_reference = false;

  void train(const std::vector<cv::Mat>& crops) {
    model.train(crops);
    trained = true;
  }
  double distance(const cv::Mat& crop) const { return model.distance(crop); }
};

bool ReplayDetector::seen(const cv::Mat& bgr, std::int64_t t_ms) {
  if (bgr.empty()) return false;
  cv::cvtColor(bgr, grey_, cv::COLOR_BGR2GRAY);
  cv::resize(grey_, small_, cv::Size(160, 120), 0, 0, cv::INTER_AREA);
  return seen_small(small_, t_ms);
}

bool ReplayDetector::seen_small(const cv::Mat& small, std::int64_t t_ms) {
  const std::uint64_t h = fnv1a(small);
  const bool repeat_of_previous = has_prev_ && h == prev_;
  const bool replayed = !repeat_of_previous && counts_.count(h) > 0;
  if (!repeat_of_previous) {
    order_.emplace_back(t_ms, h);
    ++counts_[h];
  }
  prev_ = h;
  has_prev_ = true;
  while (!order_.empty() && (order_.front().first < t_ms - window_ms_ || order_.size() > k_max_entries)) {
    auto it = counts_.find(order_.front().second);
    if (it != counts_.end() && --it->second == 0) counts_.erase(it);
    order_.pop_front();
  }
  return replayed;
}

void ReplayDetector::reset() {
  order_.clear();
  counts_.clear();
  has_prev_ = false;
}

std::string Observation::flags() const {
  std::string s;
  for (std::size_t i = 0; i < k_check_count; ++i) {
    if (!conditions[i].present) continue;
    if (!s.empty()) s += ';';
    s += check_name(static_cast<Check>(i));
  }
  return s;
}

Result<std::unique_ptr<FrameAnalyser>> FrameAnalyser::create(const VisionConfig& config) {
  std::unique_ptr<FrameAnalyser> a(new FrameAnalyser());
  a->config_ = config;
  VIGIL_ASSIGN(a->detector_, FaceDetector::create(config));
  a->identity_ = std::make_unique<Identity>();
  a->replay_ = std::make_unique<ReplayDetector>(config.loop_history_ms);
  return a;
}

FrameAnalyser::~FrameAnalyser() = default;

bool FrameAnalyser::has_reference() const noexcept { return identity_->trained; }

void FrameAnalyser::reset_feed() {
  prev_grey_.release();
  replay_->reset();
}

Status FrameAnalyser::set_reference(const cv::Mat& bgr) {
  if (bgr.empty()) return fail(Errc::invalid_argument, "the reference photo is empty or could not be decoded");
  std::vector<Face> faces;
  for (const Face& f : detector_->detect(bgr, FaceDetector::Mode::still))
    if (f.in_frame >= config_.face_min_in_frame && !f.profile) faces.push_back(f);
  if (faces.empty()) return fail(Errc::invalid_argument, "no face is visible in the reference photo: take it again facing the camera");
  if (faces.size() > 1) return fail(Errc::invalid_argument, "more than one face is visible in the reference photo: take it again alone");
  cv::Mat crop = identity_crop(bgr, faces.front());
  if (crop.empty()) return fail(Errc::invalid_argument, "the face in the reference photo is too small: move closer to the camera");
  identity_->train({crop});
  identity_->explicit_reference = true;
  identity_->pending.clear();
  return {};
}

Observation FrameAnalyser::analyse(const cv::Mat& bgr, std::int64_t t_ms, std::optional<bool> replayed) {
  return run(bgr, t_ms, FaceDetector::Mode::video, true, replayed);
}

Observation FrameAnalyser::analyse_still(const cv::Mat& bgr) {
  return run(bgr, 0, FaceDetector::Mode::still, false, std::nullopt);
}

Observation FrameAnalyser::run(const cv::Mat& bgr, std::int64_t t_ms, FaceDetector::Mode mode, bool use_history,
                               std::optional<bool> replayed) {
  Observation o;
  o.t_ms = t_ms;
  auto set = [&o](Check c, float confidence) {
    o.conditions[static_cast<std::size_t>(c)] = {true, std::clamp(confidence, 0.0f, 1.0f)};
  };
  if (bgr.empty()) return o;

  // ---- lighting ----
  cv::cvtColor(bgr, grey_, cv::COLOR_BGR2GRAY);
  cv::resize(grey_, small_, cv::Size(160, 120), 0, 0, cv::INTER_AREA);
  cv::resize(small_, tiny_, cv::Size(80, 60), 0, 0, cv::INTER_AREA);
  cv::GaussianBlur(tiny_, tiny_, cv::Size(3, 3), 0);
  cv::Scalar mean, stddev;
  cv::meanStdDev(tiny_, mean, stddev);
  cv::Sobel(tiny_, grad_x_, CV_16S, 1, 0);
  cv::Sobel(tiny_, grad_y_, CV_16S, 0, 1);
  o.light.mean = mean[0];
  o.light.stddev = stddev[0];
  o.light.detail = (cv::mean(cv::abs(grad_x_))[0] + cv::mean(cv::abs(grad_y_))[0]) / 8.0;  // Sobel gain is 4
  const double rel_detail = o.light.detail / std::max(1.0, o.light.mean);
  const bool covered = o.light.detail < config_.covered_detail ||
                       (o.light.mean < config_.covered_dark_mean && rel_detail < config_.covered_dark_rel_detail) ||
                       (o.light.stddev < config_.uniform_stddev && o.light.detail < config_.uniform_detail &&
                        rel_detail < config_.uniform_rel_detail);
  if (covered) set(Check::covered, 0.9f);

  // ---- feed: frozen and replayed frames ----
  if (use_history) {
    if (!prev_grey_.empty()) o.feed_diff = cv::mean(cv::abs(small_ - prev_grey_))[0];
    o.replayed = replayed ? *replayed : replay_->seen_small(small_, t_ms);
    if (o.feed_diff >= 0 && o.feed_diff <= config_.frozen_max_diff) set(Check::frozen, 0.9f);
    if (o.replayed) set(Check::loop, 0.9f);
    small_.copyTo(prev_grey_);
  }
  if (covered) return o;  // invariant 2

  // ---- faces ----
  const std::vector<Face> candidates = detector_->detect(bgr, mode);
  bool strong = false;
  for (const Face& f : candidates)
    if (f.score >= config_.face_min_score && f.in_frame >= config_.face_min_in_frame) strong = true;
  for (const Face& f : candidates) {
    if (f.in_frame >= config_.face_min_in_frame) {
      if (f.score >= config_.face_min_score || (!strong && o.faces.empty() && f.score >= config_.face_lone_score))
        o.faces.push_back(f);
    } else if (f.in_frame >= 0.2f && f.score >= config_.partial_min_score) {
      ++o.partial_faces;
    }
  }
  // A weak proposal cut by the frame edge also counts as a partial face.
  for (const Face& f : candidates)
    if (f.in_frame >= config_.face_min_in_frame && f.in_frame < config_.partial_max_in_frame &&
        f.score >= config_.partial_min_score && f.score < config_.face_lone_score)
      ++o.partial_faces;
  const int n = o.face_count();
  if (n == 0 && o.partial_faces == 0) set(Check::no_face, 0.85f);
  if (n == 0 && o.partial_faces > 0) set(Check::partial, 0.7f);
  if (n >= 2) {
    std::vector<float> scores;
    for (const Face& f : o.faces) scores.push_back(f.score);
    std::sort(scores.rbegin(), scores.rend());
    set(Check::multi_face, scores[1]);
  }
  const Face* main = largest(o.faces);
  if (main != nullptr) {
    const cv::Rect face_px = cv::Rect(main->box) & cv::Rect(0, 0, grey_.cols, grey_.rows);
    if (face_px.area() > 0) o.light.face_mean = cv::mean(grey_(face_px))[0];
    o.pose = pose_of(*main);
    if (main->profile) {
      set(Check::look_away, 0.6f);
    } else if (o.pose) {
      const float yaw_excess = std::abs(o.pose->yaw) - config_.yaw_limit;
      const float width_excess = (config_.min_eye_width_ratio - o.pose->eye_width_ratio) * 4;
      const float drop_excess = config_.pitch_down_limit - o.pose->drop;
      const float worst = std::max({yaw_excess, width_excess, drop_excess});
      if (worst > 0 || o.pose->ears_one_side) set(Check::look_away, 0.5f + std::max(0.0f, worst));
    }
    // ---- identity hint (invariant 3) ----
    if (identity_hint_ && use_history && n == 1 && !main->profile && main->has_keypoints && !o.has(Check::look_away)) {
      cv::Mat crop = identity_crop(bgr, *main);
      if (!crop.empty()) {
        if (identity_->trained) {
          o.identity_distance = identity_->distance(crop);
          if (*o.identity_distance > config_.identity_max_distance)
            set(Check::face_changed,
                std::min(0.6f, static_cast<float>(0.3 + (*o.identity_distance - config_.identity_max_distance) / 100.0)));
        } else {
          identity_->pending.push_back(crop);
          if (static_cast<int>(identity_->pending.size()) >= std::max(1, config_.identity_reference_frames)) {
            identity_->train(identity_->pending);
            identity_->pending.clear();
          }
        }
      }
    }
  }
  const bool dim_face = o.light.face_mean < 0 || o.light.face_mean < config_.dark_face_mean;
  if (o.light.mean < config_.dark_scene_mean && dim_face)
    set(Check::dark, static_cast<float>(0.5 + 0.5 * (config_.dark_scene_mean - o.light.mean) / config_.dark_scene_mean));
  return o;
}

std::string lighting_advice(const Observation& o) {
  if (o.has(Check::covered))
    return "The camera seems to be covered or switched off. Uncover the lens (or open its privacy shutter).";
  if (o.has(Check::dark))
    return "Your picture is too dark. Turn on a light in front of you (not behind you), or face a window.";
  if (o.light.mean > 215)
    return "Your picture is very bright. Move away from a bright window behind or beside you.";
  if (o.face_count() == 0 && o.partial_faces > 0)
    return "Only part of your face is in the picture. Move so that your whole face is in the middle.";
  if (o.face_count() == 0) return "We cannot see a face. Sit in front of the camera, facing it.";
  if (o.face_count() > 1) return "We can see more than one face. Only you should be in view during the assessment.";
  if (o.has(Check::look_away)) return "We can see your face, turned away. Face the screen during the assessment.";
  return "We can see your face clearly.";
}

}  // namespace vigil::client::vision
