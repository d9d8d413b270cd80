// Real cryptography for the ledger: SHA-256 (OpenSSL EVP, the digest fetched once) and Ed25519
// (libsodium), one key pair per node derived from the run seed, and a verification memo so that a
// signature checked by many validators is verified once for real while each is charged its CPU.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tradesim::ledger {

using Digest = std::array<uint8_t, 32>;
using PublicKey = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;

// Incremental SHA-256.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Sha256& update(std::span<const uint8_t> bytes);
  Sha256& update(std::string_view text) {
    return update({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  }
  Sha256& update(const Digest& d) { return update(std::span<const uint8_t>(d)); }
  Sha256& update_u64(uint64_t v);  // little-endian, 8 bytes
  Digest finish();

 private:
  void* ctx_;  // EVP_MD_CTX
};

Digest sha256(std::span<const uint8_t> bytes);
Digest sha256(std::string_view text);
std::string to_hex(std::span<const uint8_t> bytes);

class KeyPair {
 public:
  // The key pair of `node` in a run: Ed25519 from a 32-byte seed = SHA-256(run seed, node, tag),
  // so keys are reproducible and independent per node.
  static KeyPair derive(uint64_t run_seed, uint64_t node);
  // From an RFC 8032 secret key (32-byte seed), for test vectors.
  static KeyPair from_seed(const std::array<uint8_t, 32>& seed);

  const PublicKey& public_key() const { return public_; }
  Signature sign(std::span<const uint8_t> message) const;
  Signature sign(const Digest& digest) const { return sign(std::span<const uint8_t>(digest)); }

 private:
  PublicKey public_{};
  std::array<uint8_t, 64> secret_{};
};

bool verify(const PublicKey& key, std::span<const uint8_t> message, const Signature& signature);

// `real` (the default): Ed25519. `modelled`, for runs too large for real signatures (a thousand
// transactions a second each signed and verified once costs more real CPU than the simulation
// budget): a signature is SHA-256(public key, message) twice over, 64 bytes. Sizes and the
// simulated CPU charged are unchanged and a changed message or a wrong key still fails, but
// anyone who knows the public key can forge one: the run file records which mode was used.
// Process-wide: set it before any key is used (a run is one process).
enum class CryptoMode { kReal, kModelled };
void set_crypto_mode(CryptoMode mode);
CryptoMode crypto_mode();

// Digests are uniformly distributed: their first bytes are a good hash.
struct DigestHash {
  size_t operator()(const std::array<uint8_t, 32>& d) const {
    size_t h;
    static_assert(sizeof(h) <= 32);
    std::memcpy(&h, d.data(), sizeof h);
    return h;
  }
};

// Caches verification results keyed by (public key, digest, signature). Deterministic: the
// answer is a pure function of the key; only the real work is saved.
class VerificationMemo {
 public:
  bool verify(const PublicKey& key, const Digest& digest, const Signature& signature);
  uint64_t real_checks() const { return real_checks_; }
  uint64_t hits() const { return hits_; }
  size_t size() const { return size_; }
  size_t capacity() const { return entries_.size(); }
  // Bounded and allocation-free: `capacity` results (rounded up to a power of two, at least
  // kWays) in sets of kWays, like a CPU cache; a full set forgets its oldest result. A forgotten
  // result is computed again if asked: the answer cannot change.
  explicit VerificationMemo(size_t capacity = size_t{1} << 15);

 private:
  static constexpr size_t kWays = 4;
  // The whole triple is kept and compared (no hashing of it: a lookup must cost far less than
  // the check, and a match must be exact).
  struct Entry {
    Digest digest;
    Signature signature;
    PublicKey key;
    uint8_t state = 0;  // 0 empty, 1 valid signature, 2 invalid
  };
  std::vector<Entry> entries_;  // sets_ x kWays
  std::vector<uint8_t> next_;   // per set: the way to replace next (round robin)
  size_t set_mask_ = 0;
  size_t size_ = 0;
  uint64_t real_checks_ = 0;
  uint64_t hits_ = 0;
};

}  // namespace tradesim::ledger
