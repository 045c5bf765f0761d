#include "client/vision/frame_source.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include <opencv2/imgcodecs.hpp>

#include "client/platform/platform.hpp"

namespace vigil::client::vision {

namespace fs = std::filesystem;

namespace {

std::int64_t mono_ms(const time::Clock& clock) { return static_cast<std::int64_t>(clock.monotonic_ns() / 1'000'000u); }

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

// ---------------------------------------------------------------------------------- camera

CameraSource::CameraSource(CameraOptions options, const time::Clock& clock) : options_(options), clock_(clock) {}

std::string CameraSource::describe() const {
  return "camera " + std::to_string(options_.index) + " (" + std::to_string(options_.width) + "x" +
         std::to_string(options_.height) + ")";
}

Status CameraSource::open() {
  close();
  const platform::CameraDevice device = platform::camera_device(options_.index);
  if (!device.connected)
    return fail(Errc::unavailable, "no camera is connected as " + device.name +
                                       ": plug in a webcam (or choose another camera), then try again");
  // Linux: Video4Linux2. Windows: CAP_ANY tries Media Foundation, then DirectShow, whichever
  // the OpenCV build has.
#ifdef _WIN32
  constexpr int k_backend = cv::CAP_ANY;
#else
  constexpr int k_backend = cv::CAP_V4L2;
#endif
  try {
    if (!cap_.open(options_.index, k_backend) || !cap_.isOpened())
      return fail(Errc::busy, "the camera " + device.name +
                                  " exists but could not be opened: close any other program using it "
                                  "(video calls, another browser tab), then try again");
    cap_.set(cv::CAP_PROP_FRAME_WIDTH, options_.width);
    cap_.set(cv::CAP_PROP_FRAME_HEIGHT, options_.height);
    cap_.set(cv::CAP_PROP_BUFFERSIZE, 1);
  } catch (const cv::Exception& e) {
    return fail(Errc::busy, std::string("the camera could not be opened: ") + e.what());
  }
  index_ = 0;
  return {};
}

Result<std::optional<Frame>> CameraSource::read() {
  if (!cap_.isOpened()) return fail(Errc::unavailable, "the camera is not open");
  Frame f;
  try {
    if (!cap_.read(f.bgr) || f.bgr.empty())
      return fail(Errc::unavailable, "the camera stopped sending pictures: check that it is still plugged in");
  } catch (const cv::Exception& e) {
    return fail(Errc::unavailable, std::string("the camera stopped sending pictures: ") + e.what());
  }
  f.t_ms = std::max(last_t_ms_, mono_ms(clock_));
  last_t_ms_ = f.t_ms;
  f.index = index_++;
  return f;
}

void CameraSource::close() {
  if (cap_.isOpened()) cap_.release();
}

// ---------------------------------------------------------------------------------- file

FileSource::FileSource(FileOptions options, const time::Clock& clock) : options_(std::move(options)), clock_(clock) {}

std::string FileSource::describe() const { return "file " + options_.path.string(); }

namespace {
#ifdef _WIN32
// The Windows build's OpenCV reads video files with its own MJPEG reader alone (no FFmpeg, no Media
// Foundation: packaging/windows/deps.sh). Naming it skips the image-sequence backend, which
// CAP_ANY tries first and which throws on every (re)open of a looping file.
constexpr int k_file_backend = cv::CAP_OPENCV_MJPEG;
#else
constexpr int k_file_backend = cv::CAP_ANY;
#endif
}  // namespace

Status FileSource::open() {
  close();
  std::error_code ec;
  if (fs::is_directory(options_.path, ec)) {
    images_.clear();
    for (const auto& e : fs::directory_iterator(options_.path, ec)) {
      auto ext = e.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (ext == ".jpg" || ext == ".jpeg" || ext == ".png") images_.push_back(e.path());
    }
    std::sort(images_.begin(), images_.end());
    if (images_.empty()) return fail(Errc::not_found, "the folder " + options_.path.string() + " holds no .jpg or .png images");
    fps_ = options_.fps > 0 ? options_.fps : 5.0;
    image_pos_ = 0;
  } else {
    if (!fs::is_regular_file(options_.path, ec)) return fail(Errc::not_found, "the video " + options_.path.string() + " does not exist");
    try {
      if (!cap_.open(options_.path.string(), k_file_backend) || !cap_.isOpened())
        return fail(Errc::invalid_argument, "OpenCV cannot read the video " + options_.path.string());
    } catch (const cv::Exception& e) {
      return fail(Errc::invalid_argument, "OpenCV cannot read the video " + options_.path.string() + ": " + e.what());
    }
    const double file_fps = cap_.get(cv::CAP_PROP_FPS);
    fps_ = options_.fps > 0 ? options_.fps : (file_fps > 0 && file_fps < 1000 ? file_fps : 5.0);
  }
  opened_ = true;
  index_ = 0;
  base_ms_ = mono_ms(clock_);
  wall_start_ns_ = steady_ns();
  return {};
}

Result<std::optional<cv::Mat>> FileSource::next_image() {
  for (int attempt = 0; attempt < 2; ++attempt) {
    cv::Mat m;
    if (!images_.empty()) {
      if (image_pos_ < images_.size()) {
        m = cv::imread(images_[image_pos_++].string(), cv::IMREAD_COLOR);
        if (m.empty()) return fail(Errc::invalid_argument, "cannot decode " + images_[image_pos_ - 1].string());
        return std::optional<cv::Mat>(std::move(m));
      }
      if (!options_.loop) return std::optional<cv::Mat>();
      image_pos_ = 0;
      continue;
    }
    try {
      if (cap_.read(m) && !m.empty()) return std::optional<cv::Mat>(std::move(m));
      if (!options_.loop) return std::optional<cv::Mat>();
      cap_.release();  // reopening is reliable for every container; seeking is not
      if (!cap_.open(options_.path.string(), k_file_backend)) break;
    } catch (const cv::Exception& e) {
      return fail(Errc::invalid_argument, std::string("cannot decode the video: ") + e.what());
    }
  }
  return fail(Errc::invalid_argument, "the video " + options_.path.string() + " has no frames");
}

Result<std::optional<Frame>> FileSource::read() {
  if (!opened_) return fail(Errc::unavailable, "the file source is not open");
  VIGIL_ASSIGN(auto image, next_image());
  if (!image) return std::optional<Frame>();
  Frame f;
  f.bgr = std::move(*image);
  f.index = index_++;
  const double media_ms = static_cast<double>(f.index) * 1000.0 / fps_;
  f.t_ms = base_ms_ + static_cast<std::int64_t>(media_ms);
  if (options_.speed > 0) {  // pace: frame i is due at start + media time / speed
    const auto due = wall_start_ns_ + static_cast<std::int64_t>(media_ms * 1e6 / options_.speed);
    const auto now = steady_ns();
    if (due > now) std::this_thread::sleep_for(std::chrono::nanoseconds(due - now));
  }
  return f;
}

void FileSource::close() {
  if (cap_.isOpened()) cap_.release();
  opened_ = false;
}

}  // namespace vigil::client::vision
