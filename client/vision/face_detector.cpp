#include "client/vision/face_detector.hpp"

#include "client/platform/platform.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "shared/core/log.hpp"
#include "shared/core/bytes.hpp"
#include "shared/crypto/hash.hpp"

#ifndef VIGIL_MODELS_DIR
#define VIGIL_MODELS_DIR ""
#endif

namespace vigil::client::vision {

namespace fs = std::filesystem;

namespace {

constexpr int k_input = 128;

struct Anchor {
  float x, y;
};

// 16x16 grid x 2 anchors (stride 8), then 8x8 grid x 6 anchors (stride 16); size fixed at 1.
std::vector<Anchor> make_anchors() {
  std::vector<Anchor> a;
  a.reserve(896);
  auto grid = [&](int n, int per_cell) {
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x)
        for (int k = 0; k < per_cell; ++k)
          a.push_back({(static_cast<float>(x) + 0.5f) / static_cast<float>(n), (static_cast<float>(y) + 0.5f) / static_cast<float>(n)});
  };
  grid(16, 2);
  grid(8, 6);
  return a;
}

float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-std::clamp(v, -80.0f, 80.0f))); }

float in_frame_fraction(const cv::Rect2f& box, cv::Size frame) {
  const float area = box.area();
  if (area <= 0) return 0;
  const cv::Rect2f inside = box & cv::Rect2f(0, 0, static_cast<float>(frame.width), static_cast<float>(frame.height));
  return inside.area() / area;
}

// A square window of the frame, `side` frame pixels, top-left at (x, y) (may lie partly outside).
struct Window {
  float x, y, side;
};

// Overlap of two boxes relative to the smaller one: a small box inside a big one counts as the
// same face (a tile sees half a face that the whole-frame pass sees whole).
float overlap_of_smaller(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float inter = (a & b).area();
  const float smaller = std::min(a.area(), b.area());
  return smaller > 0 ? inter / smaller : 0;
}

}  // namespace

Result<std::string> file_sha256_hex(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::not_found, "cannot read " + path.string());
  crypto::Sha256 h;
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = in.gcount();
    if (n > 0) h.update(ByteView(reinterpret_cast<const std::uint8_t*>(buf.data()), static_cast<std::size_t>(n)));
  }
  const auto d = h.finish();
  return to_hex(ByteView(d.data(), d.size()));
}

Result<fs::path> find_face_model(const fs::path& configured) {
  std::error_code ec;
  if (!configured.empty()) {
    if (fs::is_regular_file(configured, ec)) return configured;
    return fail(Errc::not_found, "the face model " + configured.string() + " does not exist");
  }
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("VIGIL_FACE_MODEL"); env != nullptr && *env != '\0') candidates.emplace_back(env);
  const fs::path installed = platform::resource_dir() / "models" / k_blazeface_file;
#ifdef _WIN32
  candidates.push_back(installed);  // beside the executable: the installed program's own first
#endif
  if (*VIGIL_MODELS_DIR != '\0') candidates.push_back(fs::path(VIGIL_MODELS_DIR) / k_blazeface_file);
#ifndef _WIN32
  candidates.push_back(installed);
#endif
  for (const auto& c : candidates)
    if (fs::is_regular_file(c, ec)) return c;
  return fail(Errc::not_found,
              "the BlazeFace face model is not installed (run packaging/install-deps.sh, or set VIGIL_FACE_MODEL)");
}

struct FaceDetector::Impl {
  using Mode = FaceDetector::Mode;
  VisionConfig config;
  bool model = false;
  std::string description;
  cv::dnn::Net net;
  std::vector<cv::String> out_names;
  std::vector<Anchor> anchors = make_anchors();
  cv::CascadeClassifier frontal;   // fallback when the model is missing
  cv::CascadeClassifier profile;   // turned faces BlazeFace (frontal) misses
  // Scratch buffers reused frame to frame (no allocation in the steady state).
  cv::Mat small, canvas, rgb, input;
  // Video mode state.
  struct Carried {
    Face face;
    std::size_t frames_left;
  };
  std::vector<Carried> carried;
  int next_tile = 0;
  int next_flip = 0;

  // Runs the network on one 128x128 BGR patch; appends decoded faces mapped through `w`.
  void run_patch(const cv::Mat& patch, const Window& w, cv::Size frame, std::vector<Face>& out) {
    cv::cvtColor(patch, rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(input, CV_32FC3, 1.0 / 127.5, -1.0);
    const int dims[] = {1, k_input, k_input, 3};
    cv::Mat blob(4, dims, CV_32F, input.ptr<float>());  // NHWC view of the continuous HxWx3 data
    net.setInput(blob);
    std::vector<cv::Mat> outs;
    net.forward(outs, out_names);
    // outs: scores16 (1x512x1), scores8 (1x384x1), boxes16 (1x512x16), boxes8 (1x384x16)
    const float* scores[2] = {outs[0].ptr<float>(), outs[1].ptr<float>()};
    const float* regs[2] = {outs[2].ptr<float>(), outs[3].ptr<float>()};
    const int counts[2] = {512, 384};
    const float scale = w.side / static_cast<float>(k_input);
    std::size_t anchor = 0;
    for (int g = 0; g < 2; ++g) {
      for (int i = 0; i < counts[g]; ++i, ++anchor) {
        const float s = sigmoid(scores[g][i]);
        if (s < config.face_candidate_score) continue;
        const float* r = regs[g] + static_cast<std::ptrdiff_t>(i) * 16;
        const Anchor& a = anchors[anchor];
        const float cx = a.x * k_input + r[0], cy = a.y * k_input + r[1];
        const float bw = r[2], bh = r[3];
        Face f;
        f.score = s;
        f.box = cv::Rect2f(w.x + (cx - bw / 2) * scale, w.y + (cy - bh / 2) * scale, bw * scale, bh * scale);
        f.has_keypoints = true;
        for (int k = 0; k < 6; ++k)
          f.keypoints[static_cast<std::size_t>(k)] = {w.x + (a.x * k_input + r[4 + 2 * k]) * scale,
                                                      w.y + (a.y * k_input + r[5 + 2 * k]) * scale};
        f.in_frame = in_frame_fraction(f.box, frame);
        out.push_back(f);
      }
    }
  }

  // Window origins along one axis: cover [0, n) with 128-px windows (>= 25 % overlap), centred
  // if n < 128.
  static std::vector<int> origins(int n) {
    std::vector<int> o;
    if (n <= k_input) {
      o.push_back((n - k_input) / 2);
      return o;
    }
    const int count = (n - 1) / (k_input * 3 / 4) + 1;
    for (int i = 0; i < count; ++i) o.push_back(count == 1 ? 0 : i * (n - k_input) / (count - 1));
    return o;
  }

  // The frame scaled so that a `side`-pixel window becomes 128 px, then the 128x128 windows of it
  // (all of them, or only window `only` when only >= 0). Returns the number of windows.
  int run_scale(const cv::Mat& bgr, float side, std::vector<Face>& out, int only = -1) {
    const cv::Size frame = bgr.size();
    const double f = k_input / static_cast<double>(side);
    const int sw = std::max(1, static_cast<int>(std::lround(frame.width * f)));
    const int sh = std::max(1, static_cast<int>(std::lround(frame.height * f)));
    const std::vector<int> xs = origins(sw), ys = origins(sh);
    const int count = static_cast<int>(xs.size() * ys.size());
    cv::resize(bgr, small, cv::Size(sw, sh), 0, 0, cv::INTER_AREA);
    for (int i = 0; i < count; ++i) {
      if (only >= 0 && i != only % count) continue;
      const int ox = xs[static_cast<std::size_t>(i) % xs.size()], oy = ys[static_cast<std::size_t>(i) / xs.size()];
      canvas.create(k_input, k_input, CV_8UC3);
      canvas.setTo(cv::Scalar::all(0));
      const cv::Rect src = cv::Rect(ox, oy, k_input, k_input) & cv::Rect(0, 0, sw, sh);
      small(src).copyTo(canvas(cv::Rect(src.x - ox, src.y - oy, src.width, src.height)));
      const Window w{static_cast<float>(ox / f), static_cast<float>(oy / f), side};
      run_patch(canvas, w, frame, out);
    }
    return count;
  }

  // Keeps the first of every group of overlapping boxes, in the order `better` sorts them.
  template <class T, class Better, class BoxOf>
  std::vector<T> suppress_overlaps(std::vector<T> items, Better better, BoxOf box_of) const {
    std::sort(items.begin(), items.end(), better);
    std::vector<T> kept;
    for (const T& item : items) {
      const bool dup = std::any_of(kept.begin(), kept.end(), [&](const T& k) {
        return overlap_of_smaller(box_of(item), box_of(k)) > config.face_nms_overlap;
      });
      if (!dup) kept.push_back(item);
    }
    return kept;
  }

  std::vector<Face> merge(std::vector<Face> faces) const {
    return suppress_overlaps(
        std::move(faces), [](const Face& a, const Face& b) { return a.score > b.score; },
        [](const Face& f) { return f.box; });
  }

  std::vector<Face> detect_model(const cv::Mat& bgr, Mode mode) {
    std::vector<Face> raw;
    const float longest = static_cast<float>(std::max(bgr.cols, bgr.rows));
    run_scale(bgr, longest, raw);  // whole frame: faces filling 20-100 % of it
    if (mode == Mode::still) {
      run_scale(bgr, longest * 0.5f, raw);  // tiles: smaller faces (people further back)
      return merge(std::move(raw));
    }
    // Video: one tile this frame; small faces from the other tiles are carried for one round.
    std::vector<Face> tile;
    const int tiles = run_scale(bgr, longest * 0.5f, tile, next_tile);
    next_tile = (next_tile + 1) % tiles;
    const std::size_t round = static_cast<std::size_t>(tiles);
    for (const Face& f : tile) carried.push_back({f, round});
    std::vector<Face> merged = merge(raw);  // the current whole-frame faces win over carried ones
    std::vector<Carried> keep;
    for (Carried& c : carried) {
      if (c.frames_left == 0) continue;
      --c.frames_left;
      bool dup = false;
      for (const Face& m : merged)
        if ((m.box & c.face.box).area() > 0) { dup = true; break; }
      if (!dup) merged.push_back(c.face);
      keep.push_back(c);
    }
    carried = merge_carried(std::move(keep));
    return merge(std::move(merged));
  }

  // Carried tile faces: one per place (the freshest), so the list stays bounded.
  std::vector<Carried> merge_carried(std::vector<Carried> in) const {
    return suppress_overlaps(
        std::move(in), [](const Carried& a, const Carried& b) { return a.frames_left > b.frames_left; },
        [](const Carried& c) { return c.face.box; });
  }

  // Profile cascade: both orientations (still), or one per call, alternating (video).
  std::vector<Face> detect_haar(cv::CascadeClassifier& cascade, const cv::Mat& bgr, bool is_profile, Mode mode) {
    std::vector<Face> out;
    if (cascade.empty()) return out;
    cv::Mat grey;
    const double f = 320.0 / std::max(1, bgr.cols);
    cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
    cv::resize(grey, grey, cv::Size(), f, f, cv::INTER_AREA);
    cv::equalizeHist(grey, grey);
    const int first = (is_profile && mode == Mode::video) ? next_flip : 0;
    const int last = is_profile ? (mode == Mode::video ? next_flip : 1) : 0;
    if (is_profile && mode == Mode::video) next_flip ^= 1;
    for (int flip = first; flip <= last; ++flip) {
      cv::Mat g = grey;
      if (flip) cv::flip(grey, g, 1);
      std::vector<cv::Rect> boxes;
      std::vector<int> levels;
      std::vector<double> weights;
      cascade.detectMultiScale(g, boxes, levels, weights, 1.1, is_profile ? 5 : 4, 0, cv::Size(36, 36),
                               cv::Size(), true);
      for (std::size_t i = 0; i < boxes.size(); ++i) {
        cv::Rect2f b(boxes[i]);
        if (flip) b.x = static_cast<float>(g.cols) - b.x - b.width;
        Face face;
        face.box = cv::Rect2f(b.x / static_cast<float>(f), b.y / static_cast<float>(f), b.width / static_cast<float>(f),
                              b.height / static_cast<float>(f));
        face.score = static_cast<float>(std::clamp(0.5 + weights[i] / 10.0, 0.5, 0.95));
        face.profile = is_profile;
        face.in_frame = in_frame_fraction(face.box, bgr.size());
        out.push_back(face);
      }
    }
    return merge(std::move(out));
  }
};

FaceDetector::FaceDetector() : impl_(std::make_unique<Impl>()) {}
FaceDetector::~FaceDetector() = default;

Result<std::unique_ptr<FaceDetector>> FaceDetector::create(const VisionConfig& config) {
  std::unique_ptr<FaceDetector> d(new FaceDetector());
  Impl& m = *d->impl_;
  m.config = config;
  std::string why_not;
  if (auto path = find_face_model(config.model_path); !path) {
    why_not = path.error().message;
  } else if (auto sha = file_sha256_hex(*path); !sha) {
    why_not = sha.error().message;
  } else if (*sha != k_blazeface_sha256) {
    why_not = "the face model " + path->string() + " is not the expected file (SHA-256 " + *sha + ")";
  } else {
    try {
      m.net = cv::dnn::readNetFromONNX(path->string());
      m.net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
      m.net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
      m.out_names = {"Identity:0", "Identity_1:0", "Identity_2:0", "Identity_3:0"};
      m.model = true;
      m.description = "BlazeFace front model (" + path->string() + ")";
    } catch (const cv::Exception& e) {
      why_not = "OpenCV could not load the face model " + path->string() + ": " + e.what();
    }
  }
  m.profile.load((platform::haar_cascade_dir() / "haarcascade_profileface.xml").string());
  if (!m.model) {
    if (!m.frontal.load((platform::haar_cascade_dir() / "haarcascade_frontalface_default.xml").string()))
      return fail(Errc::not_found, why_not + "; and the Haar cascades from opencv-data are missing too "
                                            "(install opencv-data)");
    m.description = "Haar cascade fallback (less accurate, no head-turn check): " + why_not;
    log::warn("vision_detector_fallback", {{"detail", m.description}});
  }
  return d;
}

std::vector<Face> FaceDetector::detect(const cv::Mat& bgr, Mode mode) {
  if (bgr.empty()) return {};
  try {
    std::vector<Face> faces =
        impl_->model ? impl_->detect_model(bgr, mode) : impl_->detect_haar(impl_->frontal, bgr, false, mode);
    const bool frontal = std::any_of(faces.begin(), faces.end(), [&](const Face& f) { return f.score >= impl_->config.face_lone_score; });
    if (!frontal && impl_->config.profile_fallback) {
      for (Face& f : impl_->detect_haar(impl_->profile, bgr, true, mode)) {
        f.score = std::max(f.score, impl_->config.face_lone_score);  // counts as a lone face
        faces.insert(faces.begin(), f);
      }
    }
    return faces;
  } catch (const cv::Exception& e) {
    log::warn("vision_detection_failed", {{"detail", e.what()}});
    return {};
  }
}

bool FaceDetector::using_model() const noexcept { return impl_->model; }
const std::string& FaceDetector::description() const noexcept { return impl_->description; }

}  // namespace vigil::client::vision
