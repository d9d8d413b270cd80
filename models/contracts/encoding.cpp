// Call-data encoding and the field reader/writer (see encoding.hpp).
#include "models/contracts/encoding.hpp"

#include <bit>
#include <stdexcept>

namespace tradesim::contracts {

namespace {
constexpr uint8_t kTagString = 1, kTagInt64 = 2, kTagUint64 = 3, kTagBytes = 4;

template <typename T>
const T& typed(const std::vector<Value>& values, size_t i, const char* type) {
  if (i >= values.size()) {
    throw std::invalid_argument("argument " + std::to_string(i) + " missing");
  }
  const T* v = std::get_if<T>(&values[i]);
  if (v == nullptr) {
    throw std::invalid_argument("argument " + std::to_string(i) + " is not " + type);
  }
  return *v;
}
}  // namespace

const std::string& Args::str(size_t i) const {
  return typed<std::string>(values_, i, "a string");
}
int64_t Args::i64(size_t i) const {
  return typed<int64_t>(values_, i, "an int64");
}
uint64_t Args::u64(size_t i) const {
  return typed<uint64_t>(values_, i, "a uint64");
}
const Bytes& Args::bytes(size_t i) const {
  return typed<Bytes>(values_, i, "bytes");
}

Writer& Writer::u32(uint32_t v) {
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return *this;
}
Writer& Writer::u64(uint64_t v) {
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return *this;
}
Writer& Writer::f64(double v) {
  return u64(std::bit_cast<uint64_t>(v));
}
Writer& Writer::raw(std::span<const uint8_t> bytes) {
  out_.insert(out_.end(), bytes.begin(), bytes.end());
  return *this;
}
Writer& Writer::blob(std::span<const uint8_t> bytes) {
  u32(static_cast<uint32_t>(bytes.size()));
  return raw(bytes);
}
Writer& Writer::str(std::string_view s) {
  return blob({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

bool Reader::need(size_t n) {
  if (failed_ || in_.size() - at_ < n) {
    failed_ = true;
    return false;
  }
  return true;
}
uint8_t Reader::u8() {
  return need(1) ? in_[at_++] : 0;
}
uint32_t Reader::u32() {
  if (!need(4)) return 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{in_[at_++]} << (8 * i);
  return v;
}
uint64_t Reader::u64() {
  if (!need(8)) return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{in_[at_++]} << (8 * i);
  return v;
}
double Reader::f64() {
  return std::bit_cast<double>(u64());
}
bool Reader::raw(std::span<uint8_t> out) {
  if (!need(out.size())) return false;
  for (uint8_t& b : out) b = in_[at_++];
  return true;
}
Bytes Reader::blob() {
  const uint32_t n = u32();
  if (!need(n)) return {};
  Bytes out(in_.begin() + static_cast<std::ptrdiff_t>(at_),
            in_.begin() + static_cast<std::ptrdiff_t>(at_ + n));
  at_ += n;
  return out;
}
std::string Reader::str() {
  const Bytes b = blob();
  return std::string(b.begin(), b.end());
}

Bytes encode_call(const CallData& call) {
  Writer w;
  w.u64(call.gas_limit).u64(call.gas_price).str(call.method);
  w.u32(static_cast<uint32_t>(call.args.size()));
  for (const Value& v : call.args.values()) {
    if (const auto* s = std::get_if<std::string>(&v)) {
      w.u8(kTagString).str(*s);
    } else if (const auto* i = std::get_if<int64_t>(&v)) {
      w.u8(kTagInt64).i64(*i);
    } else if (const auto* u = std::get_if<uint64_t>(&v)) {
      w.u8(kTagUint64).u64(*u);
    } else {
      w.u8(kTagBytes).blob(std::get<Bytes>(v));
    }
  }
  return w.take();
}

std::optional<CallData> decode_call(std::span<const uint8_t> bytes) {
  Reader r(bytes);
  CallData call;
  call.gas_limit = r.u64();
  call.gas_price = r.u64();
  call.method = r.str();
  const uint32_t count = r.u32();
  if (r.failed() || count > kMaxArgs) return std::nullopt;
  std::vector<Value> values;
  values.reserve(count);
  for (uint32_t i = 0; i < count && !r.failed(); ++i) {
    switch (r.u8()) {
      case kTagString:
        values.emplace_back(r.str());
        break;
      case kTagInt64:
        values.emplace_back(r.i64());
        break;
      case kTagUint64:
        values.emplace_back(r.u64());
        break;
      case kTagBytes:
        values.emplace_back(r.blob());
        break;
      default:
        return std::nullopt;
    }
  }
  if (!r.done()) return std::nullopt;
  call.args = Args(std::move(values));
  return call;
}

}  // namespace tradesim::contracts
