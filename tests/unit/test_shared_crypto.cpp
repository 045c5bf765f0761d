// Known-answer tests use the published vectors verbatim (FIPS 180-2, RFC 5869, the GCM
// specification, RFC 8032, RFC 7748, RFC 7914), so a wrong algorithm, parameter or byte order
// cannot pass by agreeing with itself.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "shared/core/bytes.hpp"
#include "shared/crypto/aead.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/kdf.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/crypto/secure.hpp"
#include "shared/crypto/x25519.hpp"

using vigil::Bytes;
using vigil::ByteView;
using vigil::Errc;
namespace crypto = vigil::crypto;

namespace {

Bytes hex(std::string_view text) {
  auto b = vigil::from_hex(text);
  REQUIRE(b.has_value());
  return *b;
}

std::string hex_of(ByteView b) { return vigil::to_hex(b); }
std::string hex_of(const crypto::SecretBytes& b) { return vigil::to_hex(crypto::view(b)); }

Bytes repeated(std::uint8_t value, std::size_t n) { return Bytes(n, value); }

Bytes counting(std::uint8_t first, std::size_t n) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(first + i);
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// secure.hpp

TEST_CASE("ct_equal is true only for equal contents of equal length") {
  const Bytes a = hex("00112233");
  CHECK(crypto::ct_equal(a, hex("00112233")));
  CHECK_FALSE(crypto::ct_equal(a, hex("00112234")));
  CHECK_FALSE(crypto::ct_equal(a, hex("80112233")));
  CHECK_FALSE(crypto::ct_equal(a, hex("001122")));
  CHECK_FALSE(crypto::ct_equal(a, hex("0011223300")));
  CHECK(crypto::ct_equal(ByteView{}, ByteView{}));
  CHECK_FALSE(crypto::ct_equal(ByteView{}, a));
}

TEST_CASE("wipe overwrites every byte with zero") {
  Bytes data = counting(1, 64);
  crypto::wipe(data);
  CHECK(std::all_of(data.begin(), data.end(), [](std::uint8_t b) { return b == 0; }));
  crypto::wipe({});  // an empty span is fine
}

TEST_CASE("SecretBytes behaves like a byte vector and its allocators are interchangeable") {
  const crypto::SecretBytes s = crypto::to_secret(vigil::as_bytes("secret"));
  CHECK(vigil::as_chars(crypto::view(s)) == "secret");
  crypto::SecretBytes grown = s;
  for (int i = 0; i < 1000; ++i) grown.push_back(0x5a);  // forces reallocations through the allocator
  CHECK(grown.size() == 1006);
  CHECK(crypto::SecureAllocator<std::uint8_t>{} == crypto::SecureAllocator<int>{});
  CHECK_FALSE(crypto::SecureAllocator<std::uint8_t>{} != crypto::SecureAllocator<std::uint8_t>{});
}

// ---------------------------------------------------------------------------------------------
// random.hpp

TEST_CASE("random bytes have the requested length and differ between calls") {
  auto a = crypto::random_bytes(32);
  auto b = crypto::random_bytes(32);
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->size() == 32);
  CHECK(*a != *b);
  auto s = crypto::random_secret(16);
  REQUIRE(s.has_value());
  CHECK(s->size() == 16);
  auto empty = crypto::random_bytes(0);
  REQUIRE(empty.has_value());
  CHECK(empty->empty());
}

// ---------------------------------------------------------------------------------------------
// hash.hpp

TEST_CASE("SHA-256 matches the FIPS 180-2 examples") {
  CHECK(hex_of(crypto::sha256(vigil::as_bytes("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex_of(crypto::sha256(vigil::as_bytes(""))) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex_of(crypto::sha256(vigil::as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("streaming SHA-256 gives the one-shot digest however the input is split") {
  const std::string_view msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  const crypto::Digest expected = crypto::sha256(vigil::as_bytes(msg));
  for (std::size_t split = 0; split <= msg.size(); ++split) {
    crypto::Sha256 h;
    h.update(vigil::as_bytes(msg.substr(0, split)));
    h.update(vigil::as_bytes(msg.substr(split)));
    CHECK(h.finish() == expected);
  }
}

TEST_CASE("a Sha256 resets after finish and keeps its state when moved") {
  crypto::Sha256 h;
  h.update(vigil::as_bytes("ab"));
  crypto::Sha256 moved = std::move(h);
  moved.update(vigil::as_bytes("c"));
  CHECK(moved.finish() == crypto::sha256(vigil::as_bytes("abc")));
  CHECK(moved.finish() == crypto::sha256({}));  // reset to empty

  crypto::Sha256 assigned;
  assigned.update(vigil::as_bytes("junk"));
  crypto::Sha256 source;
  source.update(vigil::as_bytes("abc"));
  assigned = std::move(source);
  CHECK(assigned.finish() == crypto::sha256(vigil::as_bytes("abc")));
}

// ---------------------------------------------------------------------------------------------
// kdf.hpp

TEST_CASE("HKDF-SHA256 matches RFC 5869 test case 1") {
  auto okm = crypto::hkdf_sha256(repeated(0x0b, 22), hex("000102030405060708090a0b0c"),
                                 hex("f0f1f2f3f4f5f6f7f8f9"), 42);
  REQUIRE(okm.has_value());
  CHECK(hex_of(*okm) ==
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST_CASE("HKDF-SHA256 matches RFC 5869 test case 2 with long inputs") {
  auto okm = crypto::hkdf_sha256(counting(0x00, 80), counting(0x60, 80), counting(0xb0, 80), 82);
  REQUIRE(okm.has_value());
  CHECK(hex_of(*okm) ==
        "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
        "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
        "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

TEST_CASE("HKDF-SHA256 matches RFC 5869 test case 3 with empty salt and info") {
  auto okm = crypto::hkdf_sha256(repeated(0x0b, 22), {}, {}, 42);
  REQUIRE(okm.has_value());
  CHECK(hex_of(*okm) ==
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST_CASE("HKDF-SHA256 rejects output lengths outside 1..8160") {
  const Bytes ikm = repeated(0x0b, 22);
  CHECK(crypto::hkdf_sha256(ikm, {}, {}, 0).error().code == Errc::invalid_argument);
  CHECK(crypto::hkdf_sha256(ikm, {}, {}, 8161).error().code == Errc::invalid_argument);
  auto longest = crypto::hkdf_sha256(ikm, {}, {}, 8160);
  REQUIRE(longest.has_value());
  CHECK(longest->size() == 8160);
}

TEST_CASE("HKDF-SHA256 outputs are prefixes of each other and depend on info") {
  const Bytes ikm = repeated(0x0b, 22);
  auto a = crypto::hkdf_sha256(ikm, {}, vigil::as_bytes("a"), 64);
  auto a_short = crypto::hkdf_sha256(ikm, {}, vigil::as_bytes("a"), 16);
  auto b = crypto::hkdf_sha256(ikm, {}, vigil::as_bytes("b"), 64);
  REQUIRE((a && a_short && b));
  CHECK(std::equal(a_short->begin(), a_short->end(), a->begin()));
  CHECK(*a != *b);
}

TEST_CASE("scrypt matches RFC 7914 section 12 vector 1") {
  auto dk = crypto::scrypt({}, {}, crypto::ScryptParams{16, 1, 1}, 64);
  REQUIRE(dk.has_value());
  CHECK(hex_of(*dk) ==
        "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
        "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
}

TEST_CASE("scrypt matches RFC 7914 section 12 vector 2") {
  auto dk = crypto::scrypt(vigil::as_bytes("password"), vigil::as_bytes("NaCl"), crypto::ScryptParams{1024, 8, 16}, 64);
  REQUIRE(dk.has_value());
  CHECK(hex_of(*dk) ==
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
        "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
}

TEST_CASE("scrypt rejects N that is not a power of two above 1 and other bad parameters") {
  const auto pw = vigil::as_bytes("pw");
  CHECK(crypto::scrypt(pw, {}, crypto::ScryptParams{0, 1, 1}, 32).error().code == Errc::invalid_argument);
  CHECK(crypto::scrypt(pw, {}, crypto::ScryptParams{1, 1, 1}, 32).error().code == Errc::invalid_argument);
  CHECK(crypto::scrypt(pw, {}, crypto::ScryptParams{24, 1, 1}, 32).error().code == Errc::invalid_argument);
  CHECK(crypto::scrypt(pw, {}, crypto::ScryptParams{16, 0, 1}, 32).error().code == Errc::invalid_argument);
  CHECK(crypto::scrypt(pw, {}, crypto::ScryptParams{16, 1, 0}, 32).error().code == Errc::invalid_argument);
  CHECK(crypto::scrypt(pw, {}, crypto::ScryptParams{16, 1, 1}, 0).error().code == Errc::invalid_argument);
  CHECK(crypto::scrypt(pw, {}, crypto::ScryptParams{1u << 16, 1, 1}, 32).error().code == Errc::invalid_argument);
  CHECK(crypto::scrypt(pw, {}, crypto::ScryptParams{2, 1, 1}, 32).has_value());
}

// ---------------------------------------------------------------------------------------------
// aead.hpp

namespace {

struct GcmVector {
  const char* name;
  std::string_view key, iv, aad, plaintext, ciphertext, tag;
};

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases 13-16 (AES-256).
constexpr std::string_view k_gcm_key_15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
constexpr std::string_view k_gcm_p15 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
constexpr std::string_view k_gcm_c15 =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";

const GcmVector k_gcm_vectors[] = {
    {"test case 13", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"test case 14", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "00000000000000000000000000000000", "cea7403d4d606b6e074ec5d3baf39d18",
     "d0d1c8a799996bf0265b98b5d48ab919"},
    {"test case 15", k_gcm_key_15, "cafebabefacedbaddecaf888", "", k_gcm_p15, k_gcm_c15,
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"test case 16", k_gcm_key_15, "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     k_gcm_p15.substr(0, 120), k_gcm_c15.substr(0, 120), "76fc6ece0f4e1768cddf8853bb2d551b"},
};

}  // namespace

TEST_CASE("AES-256-GCM matches the GCM specification test cases 13 to 16 in both directions") {
  for (const auto& v : k_gcm_vectors) {
    INFO(v.name);
    const Bytes key = hex(v.key), iv = hex(v.iv), aad = hex(v.aad), pt = hex(v.plaintext);
    const std::string expected = std::string(v.ciphertext) + std::string(v.tag);

    auto sealed = crypto::aes256gcm_seal(key, iv, aad, pt);
    REQUIRE(sealed.has_value());
    CHECK(hex_of(*sealed) == expected);

    auto opened = crypto::aes256gcm_open(key, iv, aad, hex(expected));
    REQUIRE(opened.has_value());
    CHECK(*opened == pt);
  }
}

TEST_CASE("AES-256-GCM refuses modified ciphertext, tag or AAD and a wrong key") {
  const auto& v = k_gcm_vectors[3];
  const Bytes key = hex(v.key), iv = hex(v.iv), aad = hex(v.aad);
  const Bytes sealed = hex(std::string(v.ciphertext) + std::string(v.tag));

  auto expect_auth_failed = [](const vigil::Result<Bytes>& r) {
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::auth_failed);
    CHECK(r.error().message == "authentication failed: the data was modified or the key is wrong");
  };

  // A copy of `b` with the bits of `mask` flipped in byte `i`.
  auto flipped = [](Bytes b, std::size_t i, std::uint8_t mask) {
    b.at(i) ^= mask;
    return b;
  };

  SECTION("a flipped ciphertext bit") {
    expect_auth_failed(crypto::aes256gcm_open(key, iv, aad, flipped(sealed, 5, 0x01)));
  }
  SECTION("a flipped tag bit") {
    expect_auth_failed(crypto::aes256gcm_open(key, iv, aad, flipped(sealed, sealed.size() - 1, 0x80)));
  }
  SECTION("modified AAD") {
    expect_auth_failed(crypto::aes256gcm_open(key, iv, flipped(aad, 0, 0x01), sealed));
    expect_auth_failed(crypto::aes256gcm_open(key, iv, {}, sealed));
  }
  SECTION("a wrong key") {
    expect_auth_failed(crypto::aes256gcm_open(flipped(key, 31, 0x01), iv, aad, sealed));
  }
  SECTION("a wrong nonce") {
    expect_auth_failed(crypto::aes256gcm_open(key, flipped(iv, 0, 0x01), aad, sealed));
  }
}

TEST_CASE("AES-256-GCM rejects wrong key and nonce sizes and input shorter than a tag") {
  const Bytes key(32), iv(12);
  CHECK(crypto::aes256gcm_seal(Bytes(16), iv, {}, {}).error().code == Errc::invalid_argument);
  CHECK(crypto::aes256gcm_seal(key, Bytes(16), {}, {}).error().code == Errc::invalid_argument);
  CHECK(crypto::aes256gcm_open(Bytes(31), iv, {}, Bytes(16)).error().code == Errc::invalid_argument);
  CHECK(crypto::aes256gcm_open(key, Bytes(8), {}, Bytes(16)).error().code == Errc::invalid_argument);
  CHECK(crypto::aes256gcm_open(key, iv, {}, Bytes(15)).error().code == Errc::invalid_argument);
  CHECK(crypto::aes256gcm_open(key, iv, {}, {}).error().code == Errc::invalid_argument);
}

TEST_CASE("AES-256-GCM round-trips messages of many lengths") {
  auto key = crypto::random_bytes(32);
  auto iv = crypto::random_bytes(12);
  REQUIRE((key && iv));
  for (std::size_t n : {0u, 1u, 15u, 16u, 17u, 1000u, 65536u}) {
    const Bytes pt = counting(7, n);
    auto sealed = crypto::aes256gcm_seal(*key, *iv, vigil::as_bytes("ctx"), pt);
    REQUIRE(sealed.has_value());
    CHECK(sealed->size() == n + crypto::k_aead_tag_size);
    auto opened = crypto::aes256gcm_open(*key, *iv, vigil::as_bytes("ctx"), *sealed);
    REQUIRE(opened.has_value());
    CHECK(*opened == pt);
  }
}

// ---------------------------------------------------------------------------------------------
// ed25519.hpp

namespace {

struct Ed25519Vector {
  const char* name;
  std::string_view seed, public_key, message, signature;
};

// RFC 8032 section 7.1.
const Ed25519Vector k_ed25519_vectors[] = {
    {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    {"TEST SHA(abc)", "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
     "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
};

}  // namespace

TEST_CASE("Ed25519 matches the RFC 8032 section 7.1 test vectors") {
  for (const auto& v : k_ed25519_vectors) {
    INFO(v.name);
    const Bytes seed = hex(v.seed), message = hex(v.message);

    auto pair = crypto::ed25519_from_seed(seed);
    REQUIRE(pair.has_value());
    CHECK(hex_of(pair->public_key) == v.public_key);
    CHECK(hex_of(pair->seed) == v.seed);

    auto sig = crypto::ed25519_sign(seed, message);
    REQUIRE(sig.has_value());
    CHECK(hex_of(*sig) == v.signature);
    CHECK(crypto::ed25519_verify(hex(v.public_key), message, hex(v.signature)));
  }
}

TEST_CASE("Ed25519 verification fails after flipping any bit of message, signature or key") {
  const auto& v = k_ed25519_vectors[2];
  const Bytes pub = hex(v.public_key), message = hex(v.message), sig = hex(v.signature);
  REQUIRE(crypto::ed25519_verify(pub, message, sig));

  for (std::size_t bit = 0; bit < message.size() * 8; ++bit) {
    Bytes bad = message;
    bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    CHECK_FALSE(crypto::ed25519_verify(pub, bad, sig));
  }
  for (std::size_t bit = 0; bit < sig.size() * 8; ++bit) {
    Bytes bad = sig;
    bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    CHECK_FALSE(crypto::ed25519_verify(pub, message, bad));
  }
  for (std::size_t bit = 0; bit < pub.size() * 8; ++bit) {
    Bytes bad = pub;
    bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    CHECK_FALSE(crypto::ed25519_verify(bad, message, sig));
  }
  Bytes longer = message;
  longer.push_back(0);
  CHECK_FALSE(crypto::ed25519_verify(pub, longer, sig));
}

TEST_CASE("Ed25519 rejects inputs of the wrong size") {
  const auto& v = k_ed25519_vectors[1];
  const Bytes pub = hex(v.public_key), message = hex(v.message), sig = hex(v.signature);
  CHECK_FALSE(crypto::ed25519_verify(ByteView(pub).first(31), message, sig));
  CHECK_FALSE(crypto::ed25519_verify(pub, message, ByteView(sig).first(63)));
  CHECK_FALSE(crypto::ed25519_verify({}, message, {}));
  CHECK(crypto::ed25519_from_seed(Bytes(31)).error().code == Errc::invalid_argument);
  CHECK(crypto::ed25519_sign(Bytes(33), message).error().code == Errc::invalid_argument);
}

TEST_CASE("a generated Ed25519 key pair signs and verifies") {
  auto pair = crypto::ed25519_generate();
  REQUIRE(pair.has_value());
  CHECK(pair->seed.size() == crypto::k_ed25519_seed_size);
  CHECK(pair->public_key.size() == crypto::k_ed25519_public_size);
  auto again = crypto::ed25519_from_seed(crypto::view(pair->seed));
  REQUIRE(again.has_value());
  CHECK(again->public_key == pair->public_key);

  const auto msg = vigil::as_bytes("journal entry 42");
  auto sig = crypto::ed25519_sign(crypto::view(pair->seed), msg);
  REQUIRE(sig.has_value());
  CHECK(crypto::ed25519_verify(pair->public_key, msg, *sig));
  auto other = crypto::ed25519_generate();
  REQUIRE(other.has_value());
  CHECK(other->public_key != pair->public_key);
  CHECK_FALSE(crypto::ed25519_verify(other->public_key, msg, *sig));
}

// ---------------------------------------------------------------------------------------------
// x25519.hpp

TEST_CASE("X25519 matches the RFC 7748 section 5.2 scalar multiplication vectors") {
  auto out1 = crypto::x25519(hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                             hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"));
  REQUIRE(out1.has_value());
  CHECK(hex_of(*out1) == "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");

  // The u-coordinate has its top bit set, which RFC 7748 requires implementations to ignore.
  auto out2 = crypto::x25519(hex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
                             hex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"));
  REQUIRE(out2.has_value());
  CHECK(hex_of(*out2) == "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
}

TEST_CASE("X25519 matches the RFC 7748 section 5.2 iterated vectors after 1 and 1000 rounds") {
  Bytes k = repeated(0, 32);
  k[0] = 9;
  Bytes u = k;
  for (int i = 1; i <= 1000; ++i) {
    auto next = crypto::x25519(k, u);
    REQUIRE(next.has_value());
    u = std::move(k);
    k.assign(next->begin(), next->end());
    if (i == 1) CHECK(hex_of(k) == "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
  }
  CHECK(hex_of(k) == "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

TEST_CASE("X25519 matches the RFC 7748 section 6.1 Diffie-Hellman example") {
  const Bytes alice_priv = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const Bytes bob_priv = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  const std::string shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

  auto alice = crypto::x25519_from_private(alice_priv);
  auto bob = crypto::x25519_from_private(bob_priv);
  REQUIRE((alice && bob));
  CHECK(hex_of(alice->public_key) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  CHECK(hex_of(bob->public_key) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");

  auto ab = crypto::x25519(alice_priv, bob->public_key);
  auto ba = crypto::x25519(bob_priv, alice->public_key);
  REQUIRE((ab && ba));
  CHECK(hex_of(*ab) == shared);
  CHECK(hex_of(*ba) == shared);
}

TEST_CASE("X25519 refuses small-order peer points and wrong sizes") {
  auto pair = crypto::x25519_generate();
  REQUIRE(pair.has_value());
  const ByteView priv = crypto::view(pair->private_key);
  // u = 0, u = 1 and a point of order 8: each gives the all-zero shared secret.
  for (std::string_view u : {"0000000000000000000000000000000000000000000000000000000000000000",
                             "0100000000000000000000000000000000000000000000000000000000000000",
                             "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"}) {
    INFO(u);
    auto r = crypto::x25519(priv, hex(u));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::crypto);
  }
  CHECK(crypto::x25519(priv, Bytes(31)).error().code == Errc::invalid_argument);
  CHECK(crypto::x25519(Bytes(33), pair->public_key).error().code == Errc::invalid_argument);
  CHECK(crypto::x25519_from_private(Bytes(16)).error().code == Errc::invalid_argument);
}

TEST_CASE("two generated X25519 key pairs agree on a shared secret") {
  auto a = crypto::x25519_generate();
  auto b = crypto::x25519_generate();
  REQUIRE((a && b));
  CHECK(a->public_key != b->public_key);
  auto ab = crypto::x25519(crypto::view(a->private_key), b->public_key);
  auto ba = crypto::x25519(crypto::view(b->private_key), a->public_key);
  REQUIRE((ab && ba));
  CHECK(*ab == *ba);
}

// ---------------------------------------------------------------------------------------------
// sealed_box.hpp

TEST_CASE("a sealed box opens with the recipient key and the same aad") {
  auto recipient = crypto::x25519_generate();
  REQUIRE(recipient.has_value());
  for (std::string_view text : {"", "x", "webcam frame 0001: a few kilobytes of JPEG in real use"}) {
    const Bytes pt = vigil::to_bytes(text);
    auto box = crypto::seal(recipient->public_key, pt, vigil::as_bytes("session 7"));
    REQUIRE(box.has_value());
    CHECK(box->size() == pt.size() + crypto::k_sealed_box_overhead);
    CHECK((*box)[0] == 0x01);
    auto opened = crypto::open_sealed(*recipient, *box, vigil::as_bytes("session 7"));
    REQUIRE(opened.has_value());
    CHECK(*opened == pt);
  }
  auto box = crypto::seal(recipient->public_key, vigil::as_bytes("no context"));
  REQUIRE(box.has_value());
  auto opened = crypto::open_sealed(*recipient, *box);
  REQUIRE(opened.has_value());
  CHECK(vigil::as_chars(*opened) == "no context");
}

TEST_CASE("a sealed box cannot be opened by a different recipient or with different aad") {
  auto recipient = crypto::x25519_generate();
  auto other = crypto::x25519_generate();
  REQUIRE((recipient && other));
  auto box = crypto::seal(recipient->public_key, vigil::as_bytes("evidence"), vigil::as_bytes("session 7"));
  REQUIRE(box.has_value());

  auto wrong_recipient = crypto::open_sealed(*other, *box, vigil::as_bytes("session 7"));
  REQUIRE_FALSE(wrong_recipient.has_value());
  CHECK(wrong_recipient.error().code == Errc::auth_failed);

  auto wrong_aad = crypto::open_sealed(*recipient, *box, vigil::as_bytes("session 8"));
  REQUIRE_FALSE(wrong_aad.has_value());
  CHECK(wrong_aad.error().code == Errc::auth_failed);

  auto no_aad = crypto::open_sealed(*recipient, *box);
  REQUIRE_FALSE(no_aad.has_value());
  CHECK(no_aad.error().code == Errc::auth_failed);
}

TEST_CASE("changing any byte of a sealed box makes it fail to open") {
  auto recipient = crypto::x25519_generate();
  REQUIRE(recipient.has_value());
  auto box = crypto::seal(recipient->public_key, vigil::as_bytes("hi"), vigil::as_bytes("ctx"));
  REQUIRE(box.has_value());
  REQUIRE(box->size() == 2 + crypto::k_sealed_box_overhead);

  // 0x80 on the last byte of the ephemeral key flips the bit X25519 ignores; the HKDF salt
  // still catches it.
  for (std::uint8_t mask : {std::uint8_t{0x01}, std::uint8_t{0x80}}) {
    for (std::size_t i = 0; i < box->size(); ++i) {
      INFO("byte " << i << " mask " << int{mask});
      Bytes bad = *box;
      bad[i] ^= mask;
      auto r = crypto::open_sealed(*recipient, bad, vigil::as_bytes("ctx"));
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == (i == 0 ? Errc::unsupported_version : Errc::auth_failed));
    }
  }
}

TEST_CASE("sealing the same plaintext twice gives different boxes") {
  auto recipient = crypto::x25519_generate();
  REQUIRE(recipient.has_value());
  auto a = crypto::seal(recipient->public_key, vigil::as_bytes("same"));
  auto b = crypto::seal(recipient->public_key, vigil::as_bytes("same"));
  REQUIRE((a && b));
  CHECK(*a != *b);
  CHECK(!std::equal(a->begin() + 1, a->begin() + 33, b->begin() + 1));  // fresh ephemeral keys
}

TEST_CASE("a truncated or unknown sealed box gives a clear error") {
  auto recipient = crypto::x25519_generate();
  REQUIRE(recipient.has_value());
  auto box = crypto::seal(recipient->public_key, vigil::as_bytes("evidence"));
  REQUIRE(box.has_value());

  auto empty = crypto::open_sealed(*recipient, {});
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error().code == Errc::invalid_argument);

  for (std::size_t n = 1; n < crypto::k_sealed_box_overhead; ++n) {
    auto r = crypto::open_sealed(*recipient, ByteView(*box).first(n));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::invalid_argument);
    CHECK(r.error().message.find("truncated") != std::string::npos);
  }
  // Long enough to parse but missing plaintext bytes: the tag no longer matches.
  auto cut = crypto::open_sealed(*recipient, ByteView(*box).first(box->size() - 1));
  REQUIRE_FALSE(cut.has_value());
  CHECK(cut.error().code == Errc::auth_failed);

  Bytes future = *box;
  future[0] = 0x02;
  auto r = crypto::open_sealed(*recipient, future);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::unsupported_version);
}

TEST_CASE("sealing to a malformed or small-order recipient key fails") {
  CHECK(crypto::seal(Bytes(31), vigil::as_bytes("x")).error().code == Errc::invalid_argument);
  auto r = crypto::seal(Bytes(32), vigil::as_bytes("x"));  // u = 0
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::crypto);
}
