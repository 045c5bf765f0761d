// Why this is hand-written: the identity hint used cv::face::LBPHFaceRecognizer, from OpenCV's
// contrib `face` module. Debian packages `face` only inside libopencv-contrib-dev, which pulls in
// every other contrib module and VTK, Qt5, GDAL and friends (~44 packages, ~300 MB); the Windows
// build would need all of opencv_contrib for it too. These ~90 lines replace that whole tree.
//
// What it matches: LBPHFaceRecognizer::create(1, 8, 8, 8) followed by predict(), i.e. extended
// (circular) LBP with bilinear interpolation, per-cell 256-bin histograms normalised by the cell
// size, and the minimum chi-square "alt" distance over the training histograms. It is written from
// the published algorithm, and the same arithmetic (float weights and sums, float epsilon for
// "equal") gives identical histograms and the same distances to float rounding (checked against
// cv::face on the fixture faces when the module was replaced; figures in docs/VISION.md).
#include "client/vision/lbp.hpp"

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>

namespace vigil::client::vision {

namespace {

constexpr int k_neighbours = 8;
constexpr int k_bins = 1 << k_neighbours;

// Where neighbour n is read: the four pixels around it (offsets from the centre) and their
// bilinear weights.
struct Tap {
  int x0, y0, x1, y1;
  float w00, w10, w01, w11;
};

Tap tap(int n, int radius) {
  const double angle = 2.0 * CV_PI * n / k_neighbours;
  const float x = static_cast<float>(radius * std::cos(angle));
  const float y = static_cast<float>(-radius * std::sin(angle));
  Tap t{static_cast<int>(std::floor(x)), static_cast<int>(std::floor(y)),
        static_cast<int>(std::ceil(x)), static_cast<int>(std::ceil(y)), 0, 0, 0, 0};
  const float fx = x - static_cast<float>(t.x0), fy = y - static_cast<float>(t.y0);
  t.w00 = (1 - fx) * (1 - fy);
  t.w10 = fx * (1 - fy);
  t.w01 = (1 - fx) * fy;
  t.w11 = fx * fy;
  return t;
}

}  // namespace

cv::Mat lbp_codes(const cv::Mat& grey, int radius) {
  if (grey.type() != CV_8UC1 || radius < 1 || grey.rows <= 2 * radius || grey.cols <= 2 * radius) return {};
  std::array<Tap, k_neighbours> taps;
  for (int n = 0; n < k_neighbours; ++n) taps[n] = tap(n, radius);
  cv::Mat codes(grey.rows - 2 * radius, grey.cols - 2 * radius, CV_8UC1);
  for (int i = radius; i < grey.rows - radius; ++i) {
    auto* out = codes.ptr<std::uint8_t>(i - radius);
    for (int j = radius; j < grey.cols - radius; ++j) {
      const float centre = grey.at<std::uint8_t>(i, j);
      unsigned code = 0;
      for (int n = 0; n < k_neighbours; ++n) {
        const Tap& t = taps[n];
        const std::uint8_t* r0 = grey.ptr<std::uint8_t>(i + t.y0) + j;
        const std::uint8_t* r1 = grey.ptr<std::uint8_t>(i + t.y1) + j;
        const float v = t.w00 * r0[t.x0] + t.w10 * r0[t.x1] + t.w01 * r1[t.x0] + t.w11 * r1[t.x1];
        if (v > centre || std::abs(v - centre) < std::numeric_limits<float>::epsilon()) code |= 1u << n;
      }
      out[j - radius] = static_cast<std::uint8_t>(code);
    }
  }
  return codes;
}

LbpHistogram lbp_histogram(const cv::Mat& grey, const LbpGrid& grid) {
  const cv::Mat codes = lbp_codes(grey, grid.radius);
  if (codes.empty() || grid.cells_x < 1 || grid.cells_y < 1) return {};
  const int w = codes.cols / grid.cells_x, h = codes.rows / grid.cells_y;
  if (w == 0 || h == 0) return {};
  LbpHistogram hist(static_cast<std::size_t>(grid.cells_x) * grid.cells_y * k_bins, 0.0f);
  const float per_pixel = static_cast<float>(1.0 / (w * h));
  for (int cy = 0; cy < grid.cells_y; ++cy) {
    for (int cx = 0; cx < grid.cells_x; ++cx) {
      float* bins = hist.data() + (static_cast<std::size_t>(cy) * grid.cells_x + cx) * k_bins;
      std::array<int, k_bins> count{};
      for (int y = cy * h; y < (cy + 1) * h; ++y)
        for (int x = cx * w; x < (cx + 1) * w; ++x) ++count[codes.at<std::uint8_t>(y, x)];
      for (int b = 0; b < k_bins; ++b) bins[b] = static_cast<float>(count[b]) * per_pixel;
    }
  }
  return hist;
}

double lbp_distance(const LbpHistogram& a, const LbpHistogram& b) {
  if (a.size() != b.size() || a.empty()) return std::numeric_limits<double>::infinity();
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double s = static_cast<double>(a[i]) + b[i], d = static_cast<double>(a[i]) - b[i];
    if (s > DBL_EPSILON) sum += d * d / s;
  }
  return 2 * sum;
}

void LbpModel::train(const std::vector<cv::Mat>& crops) {
  references_.clear();
  for (const cv::Mat& crop : crops) references_.push_back(lbp_histogram(crop, grid_));
}

double LbpModel::distance(const cv::Mat& crop) const {
  const LbpHistogram h = lbp_histogram(crop, grid_);
  double best = std::numeric_limits<double>::infinity();
  for (const LbpHistogram& r : references_) best = std::min(best, lbp_distance(r, h));
  return best;
}

}  // namespace vigil::client::vision
