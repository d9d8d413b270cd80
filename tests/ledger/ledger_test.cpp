// The ledger's building blocks against published test vectors and hand-worked cases.
#include <gtest/gtest.h>

#include <set>

#include "models/ledger/block.hpp"
#include "models/ledger/chain.hpp"
#include "models/ledger/crypto.hpp"
#include "models/ledger/mempool.hpp"
#include "models/ledger/merkle.hpp"
#include "models/ledger/world_state.hpp"

namespace tradesim::ledger {
namespace {

std::array<uint8_t, 32> from_hex32(const std::string& hex) {
  std::array<uint8_t, 32> out{};
  for (size_t i = 0; i < 32; ++i)
    out[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  return out;
}

// FIPS 180-2 appendix B.1 and the empty string.
TEST(Crypto, Sha256KnownVectors) {
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256().update("a").update("bc").finish(), sha256("abc"));
}

// RFC 8032 section 7.1, TEST 1 (empty message).
TEST(Crypto, Ed25519Rfc8032Vector) {
  const KeyPair k = KeyPair::from_seed(
      from_hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  EXPECT_EQ(to_hex(k.public_key()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const Signature s = k.sign(std::span<const uint8_t>());
  EXPECT_EQ(to_hex(s),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
            "701cf9b4"
            "6bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(verify(k.public_key(), std::span<const uint8_t>(), s));
}

TEST(Crypto, DerivedKeysAreReproducibleAndDistinct) {
  EXPECT_EQ(KeyPair::derive(1, 7).public_key(), KeyPair::derive(1, 7).public_key());
  EXPECT_NE(KeyPair::derive(1, 7).public_key(), KeyPair::derive(1, 8).public_key());
  EXPECT_NE(KeyPair::derive(1, 7).public_key(), KeyPair::derive(2, 7).public_key());
  const KeyPair k = KeyPair::derive(1, 7);
  const Digest d = sha256("block 12");
  Signature s = k.sign(d);
  EXPECT_TRUE(verify(k.public_key(), std::span<const uint8_t>(d), s));
  s[10] ^= 1;
  EXPECT_FALSE(verify(k.public_key(), std::span<const uint8_t>(d), s));
  EXPECT_FALSE(verify(KeyPair::derive(1, 8).public_key(), std::span<const uint8_t>(d), k.sign(d)));
}

TEST(Crypto, MemoChecksEachTripleOnce) {
  VerificationMemo memo;
  const KeyPair k = KeyPair::derive(3, 1);
  const Digest d = sha256("vote");
  const Signature good = k.sign(d);
  Signature bad = good;
  bad[0] ^= 0x80;
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(memo.verify(k.public_key(), d, good));
    EXPECT_FALSE(memo.verify(k.public_key(), d, bad));
  }
  EXPECT_EQ(memo.real_checks(), 2u);
  EXPECT_EQ(memo.hits(), 18u);
}

// A long run verifies millions of signatures: the memo keeps at most `capacity` results and
// computes a forgotten one again, with the same answer.
TEST(Crypto, MemoIsBoundedAndStillRight) {
  VerificationMemo memo(4);
  EXPECT_EQ(memo.capacity(), 4u);
  const KeyPair k = KeyPair::derive(3, 2);
  for (int i = 0; i < 20; ++i) {
    const Digest d = sha256("message " + std::to_string(i));
    Signature s = k.sign(d);
    if (i % 2) s[1] ^= 1;
    EXPECT_EQ(memo.verify(k.public_key(), d, s), i % 2 == 0);
    EXPECT_LE(memo.size(), memo.capacity());
  }
  EXPECT_EQ(memo.real_checks(), 20u);
  const Digest first = sha256("message 0");
  EXPECT_TRUE(memo.verify(k.public_key(), first, k.sign(first)));  // forgotten, checked again
  EXPECT_EQ(memo.real_checks(), 21u);
}

std::vector<Digest> leaves(size_t n) {
  std::vector<Digest> out;
  for (size_t i = 0; i < n; ++i) out.push_back(merkle_leaf(sha256("tx" + std::to_string(i))));
  return out;
}

TEST(Merkle, EveryProofVerifiesAndTamperingFails) {
  for (size_t n = 1; n <= 33; ++n) {
    const auto ls = leaves(n);
    const Digest root = merkle_root(ls);
    for (size_t i = 0; i < n; ++i) {
      const MerkleProof p = merkle_proof(ls, i);
      ASSERT_TRUE(verify_merkle_proof(ls[i], p, root)) << n << " " << i;
      EXPECT_FALSE(verify_merkle_proof(ls[(i + 1) % n], p, root) && n > 1) << n << " " << i;
      if (!p.path.empty()) {
        MerkleProof bad = p;
        bad.path[0].sibling[0] ^= 1;
        EXPECT_FALSE(verify_merkle_proof(ls[i], bad, root));
        bad = p;
        bad.path.pop_back();
        EXPECT_FALSE(verify_merkle_proof(ls[i], bad, root));
      }
    }
  }
}

TEST(Merkle, RootByHand) {
  const auto ls = leaves(3);
  // Three leaves: node(node(l0, l1), l2), the odd leaf carried up unchanged.
  EXPECT_EQ(merkle_root(ls), merkle_node(merkle_node(ls[0], ls[1]), ls[2]));
  EXPECT_EQ(merkle_root(std::span<const Digest>(ls.data(), 1)), ls[0]);
  // A duplicated last leaf gives another root (no CVE-2012-2459 ambiguity).
  auto dup = ls;
  dup.push_back(ls[2]);
  EXPECT_NE(merkle_root(dup), merkle_root(ls));
}

TxPtr payment(uint64_t sender, uint64_t nonce, uint64_t fee, int64_t submitted,
              int64_t amount = 10) {
  Transaction tx;
  tx.kind = TxKind::kPayment;
  tx.sender = sender;
  tx.nonce = nonce;
  tx.fee = fee;
  tx.recipient = 99;
  tx.amount = amount;
  tx.declared_bytes = 200;
  tx.submitted_ns = submitted;
  tx.sign_with(KeyPair::derive(1, sender));
  return std::make_shared<const Transaction>(tx);
}

TEST(Transaction, IdCoversEveryFieldAndSignatureChecks) {
  const TxPtr a = payment(1, 1, 5, 100);
  Transaction b = *a;
  EXPECT_TRUE(b.verify_signature());
  b.amount = 11;
  EXPECT_NE(b.id(), a->id());
  EXPECT_FALSE(b.verify_signature());  // the signature was over the old contents
  EXPECT_EQ(a->wire_size(), 1 + 56 + 32 + 8 + 64 + 200u);
}

// A sealed transaction is checked once, whoever asks; a changed copy of it is checked afresh.
TEST(Transaction, SealedTransactionRemembersItsSignatureCheck) {
  VerificationMemo memo;
  const TxPtr sealed = seal(*payment(2, 1, 5, 100));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(sealed->verify_signature(&memo));
  EXPECT_EQ(memo.real_checks(), 1u);
  EXPECT_EQ(memo.hits(), 0u);  // the later four read the transaction's own record
  Transaction forged = *sealed;
  forged.amount = 1'000'000;
  EXPECT_FALSE(forged.verify_signature(&memo));
  EXPECT_EQ(memo.real_checks(), 2u);
  const TxPtr forged_sealed = seal(forged);
  EXPECT_FALSE(forged_sealed->verify_signature(&memo));
  EXPECT_FALSE(forged_sealed->verify_signature(&memo));
}

TEST(Transaction, BatchFindsItsTransactionsByIdAndNothingElse) {
  std::vector<TxPtr> txs;
  for (uint64_t nonce = 1; nonce <= 50; ++nonce) txs.push_back(seal(*payment(3, nonce, 1, 10)));
  const TxBatch batch(std::vector<TxPtr>(txs.begin(), txs.begin() + 40));
  for (size_t i = 0; i < 40; ++i) EXPECT_EQ(batch.find(txs[i]->id()), std::optional<size_t>(i));
  for (size_t i = 40; i < 50; ++i) EXPECT_FALSE(batch.find(txs[i]->id()).has_value());
  Mempool pool(100, 1 << 20);
  for (size_t i = 35; i < 50; ++i) ASSERT_EQ(pool.admit(txs[i], nullptr), Admission::kAdmitted);
  pool.remove_committed(batch);  // the pool holds fewer than the batch: 35..39 go, 40..49 stay
  EXPECT_EQ(pool.size(), 10u);
  for (size_t i = 35; i < 50; ++i) EXPECT_EQ(pool.contains(txs[i]->id()), i >= 40);
  EXPECT_EQ(pool.admit(txs[0], nullptr), Admission::kReplay);  // committed, though never held
}

TEST(Mempool, OrdersByFeeThenAgeAndRefusesDuplicatesAndReplays) {
  Mempool pool(100, 1 << 20);
  VerificationMemo memo;
  const TxPtr cheap_old = payment(1, 1, 1, 10), rich = payment(2, 1, 9, 50),
              cheap_new = payment(3, 1, 1, 20);
  for (const TxPtr& tx : {cheap_new, rich, cheap_old})
    EXPECT_EQ(pool.admit(tx, &memo), Admission::kAdmitted);
  EXPECT_EQ(pool.admit(rich, &memo), Admission::kDuplicate);
  EXPECT_EQ(pool.admit(payment(2, 1, 3, 60), &memo), Admission::kReplay);  // same sender and nonce
  Transaction forged = *payment(4, 1, 1, 1);
  forged.amount = 1000000;
  EXPECT_EQ(pool.admit(std::make_shared<const Transaction>(forged), &memo),
            Admission::kBadSignature);
  const auto order = pool.select(10, 1 << 20);
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0], rich);
  EXPECT_EQ(order[1], cheap_old);
  EXPECT_EQ(order[2], cheap_new);
  EXPECT_EQ(pool.select(2, 1 << 20).size(), 2u);
  EXPECT_EQ(pool.select(10, rich->wire_size()).size(), 1u);  // byte limit
  pool.remove_committed({rich});
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.admit(rich, &memo), Admission::kReplay);  // committed: a replay now
  EXPECT_EQ(pool.admit(payment(2, 2, 1, 70), &memo), Admission::kAdmitted);
}

// A sender's transactions can commit out of nonce order (one was lost and sent again): a lower
// nonce is a replay only once it has been committed itself.
TEST(Mempool, OutOfOrderCommitsAreNotReplays) {
  Mempool pool(100, 1 << 20);
  VerificationMemo memo;
  const TxPtr first = payment(5, 1, 1, 1), second = payment(5, 2, 1, 2),
              third = payment(5, 3, 1, 3);
  pool.remove_committed({third});
  EXPECT_EQ(pool.admit(first, &memo), Admission::kAdmitted);
  EXPECT_EQ(pool.admit(third, &memo), Admission::kReplay);
  pool.remove_committed({first});
  EXPECT_EQ(pool.admit(first, &memo), Admission::kReplay);
  EXPECT_EQ(pool.admit(second, &memo), Admission::kAdmitted);
  pool.remove_committed({second});
  EXPECT_EQ(pool.admit(second, &memo), Admission::kReplay);
  EXPECT_EQ(pool.size(), 0u);
}

TEST(Mempool, FullPoolEvictsTheLowestRanked) {
  Mempool pool(2, 1 << 20);
  VerificationMemo memo;
  EXPECT_EQ(pool.admit(payment(1, 1, 5, 1), &memo), Admission::kAdmitted);
  EXPECT_EQ(pool.admit(payment(2, 1, 1, 1), &memo), Admission::kAdmitted);
  EXPECT_EQ(pool.admit(payment(3, 1, 1, 2), &memo), Admission::kFull);  // ranks below both
  const TxPtr rich = payment(4, 1, 7, 3);
  EXPECT_EQ(pool.admit(rich, &memo), Admission::kAdmitted);
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.select(10, 1 << 20)[0], rich);
}

TEST(WorldState, PaymentsMoveMoneyAndTheRootFollowsTheState) {
  WorldState a, b;
  a.set_balance(1, 100);
  b.set_balance(1, 100);
  EXPECT_EQ(a.root(), b.root());
  EXPECT_TRUE(a.apply(*payment(1, 1, 2, 0, 30), 500));
  EXPECT_EQ(a.balance(1), 68);
  EXPECT_EQ(a.balance(99), 30);
  EXPECT_EQ(a.balance(500), 2);
  EXPECT_NE(a.root(), b.root());
  const Digest before = a.root();
  EXPECT_FALSE(a.apply(*payment(1, 2, 0, 0, 1000), 500));  // cannot pay: nothing changes
  EXPECT_EQ(a.root(), before);
  // Same state reached in another order: same root.
  WorldState c;
  c.set_balance(500, 2);
  c.set_balance(99, 30);
  c.set_balance(1, 68);
  c.put("nonce/1", "1");
  WorldState d;
  d.set_balance(1, 68);
  d.set_balance(99, 30);
  d.set_balance(500, 2);
  d.put("nonce/1", "1");
  EXPECT_EQ(c.root(), d.root());
}

// The running sum of balances follows every way a balance is written, copies keep their own,
// and it equals the sum over the balance entries.
TEST(WorldState, MoneyIsTheSumOfAllBalancesAfterEveryWrite) {
  WorldState a;
  a.set_balance(1, 100);
  a.set_balance(2, 50);
  EXPECT_EQ(a.money(), 150);
  EXPECT_TRUE(a.apply(*payment(1, 1, 2, 0, 30), 500));  // amount and fee move, none is made
  EXPECT_EQ(a.money(), 150);
  EXPECT_FALSE(a.apply(*payment(1, 2, 0, 0, 1000), 500));
  EXPECT_EQ(a.money(), 150);
  WorldState b = a;
  b.put("balance/2", "75");  // written as a raw key, as the contract runtime does: counted
  EXPECT_EQ(b.money(), 175);
  EXPECT_EQ(a.money(), 150);
  b.put("nonce/2", "7");  // not a balance
  EXPECT_EQ(b.money(), 175);
  int64_t sum = 0;
  b.for_each_prefix("balance/", [&](const std::string& key, const WorldState::Entry&) {
    sum += b.balance(std::stoull(key.substr(8)));
  });
  EXPECT_EQ(sum, b.money());
}

// Sensor anchors are records: appended, shared between copies of a state, in the root.
TxPtr anchor(uint64_t sender, uint64_t nonce, uint8_t fill) {
  Transaction tx;
  tx.kind = TxKind::kSensorAnchor;
  tx.sender = sender;
  tx.nonce = nonce;
  tx.fee = 0;
  tx.payload.assign(68, fill);
  tx.declared_bytes = 132;
  tx.sign_with(KeyPair::derive(1, sender));
  return seal(std::move(tx));
}

TEST(WorldState, RecordsAreAppendedSharedByCopiesAndForkedApart) {
  WorldState parent;
  const TxPtr r1 = anchor(7, 1, 0xa1);
  ASSERT_TRUE(parent.apply(*r1, 500));
  EXPECT_EQ(parent.record_count(), 1u);
  ASSERT_TRUE(parent.record(r1->id()));
  EXPECT_EQ(parent.record(r1->id())->payload, std::string(68, '\xa1'));
  // Two states extend the same parent with different records (a fork): each sees its own only,
  // their roots differ, and the parent is untouched.
  WorldState left = parent, right = parent;
  const TxPtr a = anchor(7, 2, 0xb2), b = anchor(7, 2, 0xc3);
  const Digest parent_root = parent.root();
  ASSERT_TRUE(left.apply(*a, 500));
  ASSERT_TRUE(right.apply(*b, 500));
  EXPECT_TRUE(left.record(a->id()));
  EXPECT_FALSE(left.record(b->id()));
  EXPECT_TRUE(right.record(b->id()));
  EXPECT_FALSE(right.record(a->id()));
  EXPECT_FALSE(parent.record(a->id()));
  EXPECT_EQ(parent.record_count(), 1u);
  EXPECT_EQ(parent.root(), parent_root);
  EXPECT_NE(left.root(), right.root());
  EXPECT_NE(left.root(), parent_root);
  // The same records in the same order give the same root, however the copies were made.
  WorldState again;
  ASSERT_TRUE(again.apply(*r1, 500));
  ASSERT_TRUE(again.apply(*a, 500));
  EXPECT_EQ(again.root(), left.root());
  // Order matters; and a parent appending after its child forked off keeps both apart.
  WorldState swapped;
  ASSERT_TRUE(swapped.apply(*a, 500));
  ASSERT_TRUE(swapped.apply(*r1, 500));
  EXPECT_NE(swapped.root(), left.root());
  const Digest left_root = left.root();
  ASSERT_TRUE(parent.apply(*b, 500));  // the parent appends after `left` did
  EXPECT_EQ(parent.root(), right.root());
  EXPECT_EQ(left.root(), left_root);
  EXPECT_FALSE(left.record(b->id()));
  EXPECT_EQ(parent.record_bytes(), 2u * (32 + 68));
  // Many records: the root changes with every one.
  std::set<Digest> roots;
  for (uint64_t n = 3; n < 40; ++n) {
    ASSERT_TRUE(again.apply(*anchor(7, n, static_cast<uint8_t>(n)), 500));
    roots.insert(again.root());
  }
  EXPECT_EQ(roots.size(), 37u);
  EXPECT_EQ(again.record_count(), 39u);
}

Block next_block(const Chain& chain, std::vector<TxPtr> txs, uint64_t proposer) {
  Block b;
  b.header.height = chain.height() + 1;
  b.header.parent = chain.tip().hash();
  b.header.proposer = proposer;
  b.header.tx_count = static_cast<uint32_t>(txs.size());
  b.body = make_batch(std::move(txs));
  b.header.tx_root = b.body->root();
  b.sign_with(KeyPair::derive(1, proposer));
  return b;
}

TEST(Chain, LinksBlocksAndDetectsForks) {
  Chain chain;
  const Block b1 = next_block(chain, {payment(1, 1, 1, 0)}, 0);
  EXPECT_TRUE(b1.verify_proposer(KeyPair::derive(1, 0).public_key()));
  EXPECT_FALSE(b1.verify_proposer(KeyPair::derive(1, 1).public_key()));
  Block conflicting = next_block(chain, {payment(2, 1, 1, 0)}, 1);
  EXPECT_EQ(chain.append(b1), Append::kAppended);
  EXPECT_EQ(chain.append(b1), Append::kAlreadyHave);
  EXPECT_EQ(chain.append(conflicting), Append::kFork);
  EXPECT_EQ(chain.forks_detected(), 1u);
  Block orphan = next_block(chain, {}, 0);
  orphan.header.parent = sha256("elsewhere");
  EXPECT_EQ(chain.append(orphan), Append::kWrongParent);
  Block bad_root = next_block(chain, {payment(3, 1, 1, 0)}, 0);
  bad_root.body = make_batch({payment(3, 1, 1, 0), payment(4, 1, 1, 0)});  // not the header's root
  EXPECT_EQ(chain.append(bad_root), Append::kBadTxRoot);
  Block gap = next_block(chain, {}, 0);
  gap.header.height += 1;
  EXPECT_EQ(chain.append(gap), Append::kNotNext);
  EXPECT_EQ(chain.height(), 1u);
}

}  // namespace
}  // namespace tradesim::ledger
