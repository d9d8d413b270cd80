// OpenSSL and libsodium behind the ledger's crypto API.
#include "models/ledger/crypto.hpp"

#include <algorithm>
#include <cstring>

#include <openssl/evp.h>
#include <sodium.h>

#include <stdexcept>
#include <vector>

namespace tradesim::ledger {

namespace {

// The SHA-256 implementation, fetched once (a fetch per hash costs more than the hash).
const EVP_MD* sha256_md() {
  static const EVP_MD* md = [] {
    const EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) throw std::runtime_error("OpenSSL: SHA-256 is not available");
    return m;
  }();
  return md;
}

void init_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

}  // namespace

namespace {
// Digest contexts are reused: creating and freeing one per hash cost more than hashing a vote.
std::vector<EVP_MD_CTX*>& context_pool() {
  thread_local struct Pool {
    std::vector<EVP_MD_CTX*> free;
    ~Pool() {
      for (EVP_MD_CTX* c : free) EVP_MD_CTX_free(c);
    }
  } pool;
  return pool.free;
}
}  // namespace

Sha256::Sha256() {
  std::vector<EVP_MD_CTX*>& pool = context_pool();
  EVP_MD_CTX* ctx = nullptr;
  if (!pool.empty()) {
    ctx = pool.back();
    pool.pop_back();
  } else {
    ctx = EVP_MD_CTX_new();
  }
  ctx_ = ctx;
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, sha256_md(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL: cannot start a SHA-256 digest");
  }
}
Sha256::~Sha256() {
  std::vector<EVP_MD_CTX*>& pool = context_pool();
  if (pool.size() < 16) {
    pool.push_back(static_cast<EVP_MD_CTX*>(ctx_));
  } else {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
  }
}

Sha256& Sha256::update(std::span<const uint8_t> bytes) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data(), bytes.size());
  return *this;
}

Sha256& Sha256::update_u64(uint64_t v) {
  std::array<uint8_t, 8> le{};
  for (int i = 0; i < 8; ++i) le[static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
  return update(std::span<const uint8_t>(le));
}

Digest Sha256::finish() {
  Digest d{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), d.data(), &n);
  return d;
}

Digest sha256(std::span<const uint8_t> bytes) {
  Digest d{};
  unsigned int n = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), d.data(), &n, sha256_md(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL: SHA-256 failed");
  }
  return d;
}

Digest sha256(std::string_view text) {
  return sha256({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

KeyPair KeyPair::from_seed(const std::array<uint8_t, 32>& seed) {
  init_sodium();
  KeyPair k;
  crypto_sign_seed_keypair(k.public_.data(), k.secret_.data(), seed.data());
  return k;
}

KeyPair KeyPair::derive(uint64_t run_seed, uint64_t node) {
  const Digest seed =
      Sha256().update("tradesim ed25519 key").update_u64(run_seed).update_u64(node).finish();
  return from_seed(seed);
}

namespace {
CryptoMode g_mode = CryptoMode::kReal;

Signature modelled_signature(const PublicKey& key, std::span<const uint8_t> message) {
  const Digest a = Sha256()
                       .update("tradesim modelled signature")
                       .update(std::span<const uint8_t>(key))
                       .update(message)
                       .finish();
  const Digest b = Sha256().update(a).finish();
  Signature s{};
  std::copy(a.begin(), a.end(), s.begin());
  std::copy(b.begin(), b.end(), s.begin() + 32);
  return s;
}
}  // namespace

void set_crypto_mode(CryptoMode mode) {
  g_mode = mode;
}
CryptoMode crypto_mode() {
  return g_mode;
}

Signature KeyPair::sign(std::span<const uint8_t> message) const {
  if (g_mode == CryptoMode::kModelled) return modelled_signature(public_, message);
  Signature s{};
  crypto_sign_detached(s.data(), nullptr, message.data(), message.size(), secret_.data());
  return s;
}

bool verify(const PublicKey& key, std::span<const uint8_t> message, const Signature& signature) {
  if (g_mode == CryptoMode::kModelled) return modelled_signature(key, message) == signature;
  init_sodium();
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     key.data()) == 0;
}

VerificationMemo::VerificationMemo(size_t capacity) {
  size_t sets = 1;
  while (sets * kWays < capacity) sets *= 2;
  entries_.resize(sets * kWays);
  next_.resize(sets);
  set_mask_ = sets - 1;
}

bool VerificationMemo::verify(const PublicKey& key, const Digest& digest,
                              const Signature& signature) {
  uint64_t a, b;
  std::memcpy(&a, digest.data(), sizeof a);
  std::memcpy(&b, signature.data(), sizeof b);
  const size_t set = static_cast<size_t>((a ^ (b * 0x9e3779b97f4a7c15ULL)) >> 7) & set_mask_;
  Entry* ways = &entries_[set * kWays];
  for (size_t w = 0; w < kWays; ++w) {
    const Entry& e = ways[w];
    if (e.state != 0 && e.digest == digest && e.signature == signature && e.key == key) {
      ++hits_;
      return e.state == 1;
    }
  }
  ++real_checks_;
  const bool ok = ledger::verify(key, std::span<const uint8_t>(digest), signature);
  Entry& slot = ways[next_[set]];
  next_[set] = static_cast<uint8_t>((next_[set] + 1) % kWays);
  if (slot.state == 0) ++size_;
  slot = Entry{digest, signature, key, static_cast<uint8_t>(ok ? 1 : 2)};
  return ok;
}

}  // namespace tradesim::ledger
