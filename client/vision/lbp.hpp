#pragma once
// Local binary pattern histograms (Ahonen, Hadid and Pietikäinen, "Face recognition with local
// binary patterns", ECCV 2004) for the identity hint: written here rather than taken from OpenCV's
// contrib `face` module, which Debian ships only inside libopencv-contrib-dev (lbp.cpp says why).
// Distances equal those of cv::face::LBPHFaceRecognizer::create(radius, 8, cells_x, cells_y)
// to float rounding, so the thresholds in docs/VISION.md carry over.
//
// Invariants:
//  (1) Only 8-bit one-channel images are described; anything else (or an image too small for one
//      code per cell) gives an empty histogram. Nothing here throws.
//  (2) lbp_distance is symmetric, 0 for equal histograms, and +infinity for histograms of
//      different lengths (an empty one included): never "the same face" by accident.
#include <vector>

#include <opencv2/core.hpp>

namespace vigil::client::vision {

// Radius of the sampling circle (8 neighbours on it) and the grid of histogram cells.
struct LbpGrid {
  int radius = 1;
  int cells_x = 8;
  int cells_y = 8;
};

// cells_x * cells_y histograms of 256 bins, each normalised by its cell's pixel count, in
// row-major cell order.
using LbpHistogram = std::vector<float>;

// The circular LBP code of every pixel at least `radius` from the edge: a CV_8UC1 image of
// (rows - 2 radius) x (cols - 2 radius). Bit n compares the neighbour at angle 2 pi n / 8
// (counter-clockwise from the right, bilinearly interpolated) with the centre: set when the
// neighbour is brighter or equal within float epsilon. Empty if `grey` is not CV_8UC1 or too small.
cv::Mat lbp_codes(const cv::Mat& grey, int radius = 1);

// The spatial histogram of lbp_codes(grey): cells of (cols / cells_x) x (rows / cells_y) codes
// from the top-left (the remainder on the right and bottom is not counted).
LbpHistogram lbp_histogram(const cv::Mat& grey, const LbpGrid& grid = {});

// Chi-square "alternative": 2 * sum over bins of (a - b)^2 / (a + b), bins with a + b = 0 skipped.
double lbp_distance(const LbpHistogram& a, const LbpHistogram& b);

// The reference faces: distance() is the smallest distance to any of them.
class LbpModel {
 public:
  explicit LbpModel(LbpGrid grid = {}) : grid_(grid) {}
  // Replaces the references with these crops (64x64 equalised grey in the analyser).
  void train(const std::vector<cv::Mat>& crops);
  bool empty() const noexcept { return references_.empty(); }
  // +infinity when there is no reference.
  double distance(const cv::Mat& crop) const;

 private:
  LbpGrid grid_;
  std::vector<LbpHistogram> references_;
};

}  // namespace vigil::client::vision
