#include "shared/protocol/json_limits.hpp"

namespace vigil::protocol {

namespace {

using json = nlohmann::json;

// Counts nesting; returning false from a handler stops nlohmann's parser at once.
class DepthCounter final : public nlohmann::json_sax<json> {
 public:
  explicit DepthCounter(std::size_t max) : max_(max) {}
  bool too_deep() const { return too_deep_; }

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return open(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  bool open() {
    if (++depth_ > max_) too_deep_ = true;
    return !too_deep_;
  }
  bool close() {
    --depth_;
    return true;
  }
  std::size_t max_;
  std::size_t depth_ = 0;
  bool too_deep_ = false;
};

}  // namespace

JsonShape json_shape(std::string_view text, std::size_t max_depth) {
  DepthCounter counter(max_depth);
  const bool parsed = json::sax_parse(text.begin(), text.end(), &counter, json::input_format_t::json, true);
  if (counter.too_deep()) return JsonShape::too_deep;
  return parsed ? JsonShape::ok : JsonShape::not_json;
}

json parse_bounded(std::string_view text, std::size_t max_depth) {
  if (json_shape(text, max_depth) != JsonShape::ok) return json(json::value_t::discarded);
  return json::parse(text, nullptr, false);
}

}  // namespace vigil::protocol
