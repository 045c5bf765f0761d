#include "shared/encoding/canonical.hpp"
#include "shared/core/utf8.hpp"

#include <cassert>
#include <limits>

namespace vigil::canonical {

// Hand-written: the format is ours (see header) and small; no packaged library encodes exactly
// this, and CBOR's canonical mode would still need our own strictness checks on top.

void Writer::put_u32(std::uint32_t n) {
  for (int s = 24; s >= 0; s -= 8) out_.push_back(static_cast<std::uint8_t>(n >> s));
}
void Writer::put_u64(std::uint64_t n) {
  for (int s = 56; s >= 0; s -= 8) out_.push_back(static_cast<std::uint8_t>(n >> s));
}
Writer& Writer::boolean(bool b) {
  out_.push_back(static_cast<std::uint8_t>(Tag::boolean));
  out_.push_back(b ? 1 : 0);
  return *this;
}
Writer& Writer::uint(std::uint64_t u) {
  out_.push_back(static_cast<std::uint8_t>(Tag::uint));
  put_u64(u);
  return *this;
}
Writer& Writer::integer(std::int64_t i) {
  out_.push_back(static_cast<std::uint8_t>(Tag::integer));
  put_u64(static_cast<std::uint64_t>(i));
  return *this;
}
Writer& Writer::text(std::string_view s) {
  assert(is_valid_utf8(s));
  assert(s.size() <= std::numeric_limits<std::uint32_t>::max());
  out_.push_back(static_cast<std::uint8_t>(Tag::text));
  put_u32(static_cast<std::uint32_t>(s.size()));
  out_.insert(out_.end(), s.begin(), s.end());
  return *this;
}
Writer& Writer::bytes(ByteView b) {
  assert(b.size() <= std::numeric_limits<std::uint32_t>::max());
  out_.push_back(static_cast<std::uint8_t>(Tag::bytes));
  put_u32(static_cast<std::uint32_t>(b.size()));
  out_.insert(out_.end(), b.begin(), b.end());
  return *this;
}
Writer& Writer::list(std::uint32_t count) {
  out_.push_back(static_cast<std::uint8_t>(Tag::list));
  put_u32(count);
  return *this;
}
Writer& Writer::map(std::uint32_t count) {
  out_.push_back(static_cast<std::uint8_t>(Tag::map));
  put_u32(count);
  return *this;
}
Writer& Writer::key(std::string_view k) {
  assert(is_valid_utf8(k));
  put_u32(static_cast<std::uint32_t>(k.size()));
  out_.insert(out_.end(), k.begin(), k.end());
  return *this;
}

namespace {

Status encode_into(Writer& w, const Value& v, std::size_t depth) {
  if (depth > k_max_depth) return fail(Errc::invalid_argument, "value nests deeper than 32 levels");
  constexpr auto k_max = std::numeric_limits<std::uint32_t>::max();
  return std::visit(
      [&](const auto& x) -> Status {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) {
          w.boolean(x);
        } else if constexpr (std::is_same_v<T, std::uint64_t>) {
          w.uint(x);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          w.integer(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          if (!is_valid_utf8(x)) return fail(Errc::invalid_argument, "text is not valid UTF-8");
          if (x.size() > k_max) return fail(Errc::invalid_argument, "text is longer than 4 GiB");
          w.text(x);
        } else if constexpr (std::is_same_v<T, Bytes>) {
          if (x.size() > k_max) return fail(Errc::invalid_argument, "bytes longer than 4 GiB");
          w.bytes(x);
        } else if constexpr (std::is_same_v<T, List>) {
          if (x.size() > k_max) return fail(Errc::invalid_argument, "list has too many items");
          w.list(static_cast<std::uint32_t>(x.size()));
          for (const auto& item : x) VIGIL_TRY(encode_into(w, item, depth + 1));
        } else {
          static_assert(std::is_same_v<T, Map>);
          if (x.size() > k_max) return fail(Errc::invalid_argument, "map has too many entries");
          w.map(static_cast<std::uint32_t>(x.size()));
          for (const auto& [k, item] : x) {
            if (!is_valid_utf8(k)) return fail(Errc::invalid_argument, "map key is not valid UTF-8");
            w.key(k);
            VIGIL_TRY(encode_into(w, item, depth + 1));
          }
        }
        return {};
      },
      v.v);
}

class Reader {
 public:
  explicit Reader(ByteView d) : d_(d) {}

  Result<Value> value(std::size_t depth) {
    if (depth > k_max_depth) return err("value nests deeper than 32 levels");
    if (pos_ >= d_.size()) return err("unexpected end of data, expected a tag");
    const std::uint8_t tag = d_[pos_++];
    switch (static_cast<Tag>(tag)) {
      case Tag::boolean: {
        if (pos_ >= d_.size()) return err("unexpected end of data in bool");
        const std::uint8_t b = d_[pos_];
        if (b > 1) return err("bool must be 0x00 or 0x01");
        ++pos_;
        return Value(b == 1);
      }
      case Tag::uint: {
        auto u = u64();
        if (!u) return fail(u.error());
        return Value(*u);
      }
      case Tag::integer: {
        auto u = u64();
        if (!u) return fail(u.error());
        return Value(static_cast<std::int64_t>(*u));
      }
      case Tag::text: {
        auto s = string_body("text");
        if (!s) return fail(s.error());
        return Value(std::move(*s));
      }
      case Tag::bytes: {
        auto n = u32();
        if (!n) return fail(n.error());
        if (*n > d_.size() - pos_) return err("bytes length runs past the end of data");
        Bytes b(d_.begin() + static_cast<std::ptrdiff_t>(pos_), d_.begin() + static_cast<std::ptrdiff_t>(pos_ + *n));
        pos_ += *n;
        return Value(std::move(b));
      }
      case Tag::list: {
        auto n = u32();
        if (!n) return fail(n.error());
        // Each item takes at least two bytes: refuse counts the data cannot hold before reserving.
        if (*n > (d_.size() - pos_) / 2) return err("list count runs past the end of data");
        List l;
        l.reserve(*n);
        for (std::uint32_t i = 0; i < *n; ++i) {
          auto item = value(depth + 1);
          if (!item) return item;
          l.push_back(std::move(*item));
        }
        return Value(std::move(l));
      }
      case Tag::map: {
        auto n = u32();
        if (!n) return fail(n.error());
        if (*n > (d_.size() - pos_) / 6) return err("map count runs past the end of data");
        Map m;
        std::string previous;
        for (std::uint32_t i = 0; i < *n; ++i) {
          const std::size_t key_at = pos_;
          auto k = string_body("map key");
          if (!k) return fail(k.error());
          if (i > 0 && !(previous < *k)) {
            pos_ = key_at;
            return err("map keys are not in strictly ascending order");
          }
          auto item = value(depth + 1);
          if (!item) return item;
          previous = *k;
          m.emplace(std::move(*k), std::move(*item));
        }
        return Value(std::move(m));
      }
    }
    --pos_;
    return err("unknown tag " + std::to_string(tag));
  }

  bool at_end() const noexcept { return pos_ == d_.size(); }
  std::size_t pos() const noexcept { return pos_; }

  tl::unexpected<Error> err(const std::string& what) const {
    return fail(Errc::invalid_argument, "canonical decode at byte " + std::to_string(pos_) + ": " + what);
  }

 private:
  Result<std::uint32_t> u32() {
    if (d_.size() - pos_ < 4) return err("unexpected end of data in length");
    std::uint32_t n = 0;
    for (int k = 0; k < 4; ++k) n = (n << 8) | d_[pos_++];
    return n;
  }
  Result<std::uint64_t> u64() {
    if (d_.size() - pos_ < 8) return err("unexpected end of data in integer");
    std::uint64_t n = 0;
    for (int k = 0; k < 8; ++k) n = (n << 8) | d_[pos_++];
    return n;
  }
  Result<std::string> string_body(const char* what) {
    auto n = u32();
    if (!n) return fail(n.error());
    if (*n > d_.size() - pos_) return err(std::string(what) + " length runs past the end of data");
    std::string s(reinterpret_cast<const char*>(d_.data() + pos_), *n);
    if (!is_valid_utf8(s)) return err(std::string(what) + " is not valid UTF-8");
    pos_ += *n;
    return s;
  }

  ByteView d_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<Bytes> encode(const Value& v) {
  Writer w;
  VIGIL_TRY(encode_into(w, v, 0));
  return std::move(w).take();
}

Result<Value> decode(ByteView data) {
  Reader r(data);
  auto v = r.value(0);
  if (!v) return v;
  if (!r.at_end()) return r.err("trailing bytes after the value");
  return v;
}

Result<Bytes> domain_separated(std::string_view domain, const Value& v) {
  assert(!domain.empty());
  Writer w;
  w.text(domain);
  VIGIL_TRY(encode_into(w, v, 0));
  return std::move(w).take();
}

Result<crypto::Digest> hash(std::string_view domain, const Value& v) {
  auto bytes = domain_separated(domain, v);
  if (!bytes) return fail(bytes.error());
  return crypto::sha256(*bytes);
}

}  // namespace vigil::canonical
