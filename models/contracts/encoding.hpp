// The canonical call-data encoding of contract calls: (gas limit, gas price, method, arguments)
// as length-prefixed little-endian fields, so that every validator decodes the same bytes into
// the same call, and anything malformed is refused rather than guessed at.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tradesim::contracts {

using Bytes = std::vector<uint8_t>;
// One argument. Its tag in the encoding: 1 string, 2 int64, 3 uint64, 4 bytes.
using Value = std::variant<std::string, int64_t, uint64_t, Bytes>;

// A call's arguments, read by position; a missing or mistyped argument aborts the call (see
// Api::fail) with a message that names the position.
class Args {
 public:
  Args() = default;
  Args(std::initializer_list<Value> values) : values_(values) {}
  explicit Args(std::vector<Value> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  const std::vector<Value>& values() const { return values_; }
  const std::string& str(size_t i) const;
  int64_t i64(size_t i) const;
  uint64_t u64(size_t i) const;
  const Bytes& bytes(size_t i) const;
  bool operator==(const Args&) const = default;

 private:
  std::vector<Value> values_;
};

struct CallData {
  uint64_t gas_limit = 0;
  uint64_t gas_price = 0;  // currency units per gas
  std::string method;
  Args args;
  bool operator==(const CallData&) const = default;
};

// Layout: gas_limit u64, gas_price u64, method (u32 length + bytes), argument count u32, then
// each argument: tag u8, and an 8-byte integer or a u32 length + bytes. All little-endian.
Bytes encode_call(const CallData& call);
// Null if the bytes are not exactly one well-formed call (truncated, unknown tag, trailing
// bytes, a length past the end, more than kMaxArgs arguments).
std::optional<CallData> decode_call(std::span<const uint8_t> bytes);
inline constexpr uint32_t kMaxArgs = 4096;

// Field helpers, shared with the oracle-proof and storage encodings.
class Writer {
 public:
  Writer& u8(uint8_t v) {
    out_.push_back(v);
    return *this;
  }
  Writer& u32(uint32_t v);
  Writer& u64(uint64_t v);
  Writer& i64(int64_t v) { return u64(static_cast<uint64_t>(v)); }
  Writer& f64(double v);
  Writer& raw(std::span<const uint8_t> bytes);
  Writer& blob(std::span<const uint8_t> bytes);  // u32 length + bytes
  Writer& str(std::string_view s);               // u32 length + bytes
  Bytes take() { return std::move(out_); }
  std::string take_string() { return std::string(out_.begin(), out_.end()); }

 private:
  Bytes out_;
};

// Reads fields in order; any read past the end sets failed() and returns zeros.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : in_(bytes) {}
  explicit Reader(std::string_view s) : in_(reinterpret_cast<const uint8_t*>(s.data()), s.size()) {}
  uint8_t u8();
  uint32_t u32();
  uint64_t u64();
  int64_t i64() { return static_cast<int64_t>(u64()); }
  double f64();
  bool raw(std::span<uint8_t> out);
  Bytes blob();
  std::string str();
  bool failed() const { return failed_; }
  bool done() const { return !failed_ && at_ == in_.size(); }

 private:
  bool need(size_t n);
  std::span<const uint8_t> in_;
  size_t at_ = 0;
  bool failed_ = false;
};

}  // namespace tradesim::contracts
