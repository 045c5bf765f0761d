#pragma once
// Bounded JSON from devices (issue 13, finding 4). A device's journal payloads are up to 1 MiB of
// bytes the server did not write; nlohmann's parser itself is iterative, but copying, dumping and
// comparing a parsed value recurse once per level of nesting, so a payload of a million '[' would
// overflow an I/O thread's stack when a proctor opens the session. Depth is therefore checked with
// nlohmann's own SAX interface (json::sax_parse, which aborts as soon as a handler returns false),
// before anything builds a DOM.
#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

namespace vigil::protocol {

// The deepest nesting a device payload may have. The client's own payloads nest at most 3 deep
// (an event with an array of objects); 32 leaves room for growth and none for abuse.
inline constexpr std::size_t k_max_payload_depth = 32;

enum class JsonShape { not_json, ok, too_deep };

// Whether text is JSON, and if so whether it nests deeper than max_depth. Text that starts a deep
// structure and then breaks is still too_deep: the depth is what the limit is about.
JsonShape json_shape(std::string_view text, std::size_t max_depth = k_max_payload_depth);

// text parsed when it is JSON within the depth limit; discarded (is_discarded()) otherwise.
nlohmann::json parse_bounded(std::string_view text, std::size_t max_depth = k_max_payload_depth);

}  // namespace vigil::protocol
