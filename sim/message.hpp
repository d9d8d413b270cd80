// Messages between nodes: a typed, immutable payload plus its size on the wire.
// The payload is shared, never copied: a broadcast to n nodes holds one payload.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <utility>

namespace tradesim::sim {

class Message {
 public:
  // An empty message: no payload, zero bytes (PHOLD's events, pings).
  Message() = default;

  // A message holding `value`, said to be `bytes` long on the wire (its real encoded size).
  template <class T>
  static Message make(T value, uint32_t bytes) {
    return Message(&tag<T>, bytes, std::make_shared<const T>(std::move(value)));
  }
  template <class T>
  static Message shared(std::shared_ptr<const T> payload, uint32_t bytes) {
    return Message(&tag<T>, bytes, std::move(payload));
  }

  // The payload if it is a T, else nullptr: a checked access, never a downcast guess.
  template <class T>
  const T* get_if() const {
    return type_ == &tag<T> ? static_cast<const T*>(payload_.get()) : nullptr;
  }
  template <class T>
  bool is() const {
    return type_ == &tag<T>;
  }
  // The payload as a T; a message of another type is a programming error in the model.
  template <class T>
  const T& get() const {
    if (const T* p = get_if<T>()) return *p;
    throw std::logic_error(std::string("message does not hold a ") + typeid(T).name());
  }

  uint32_t bytes() const { return bytes_; }
  bool empty() const { return type_ == nullptr; }
  long use_count() const { return payload_.use_count(); }

 private:
  // One tag object per payload type; its address identifies the type.
  template <class T>
  static constexpr char tag = 0;

  Message(const char* type, uint32_t bytes, std::shared_ptr<const void> payload)
      : type_(type), bytes_(bytes), payload_(std::move(payload)) {}

  const char* type_ = nullptr;
  uint32_t bytes_ = 0;
  std::shared_ptr<const void> payload_;
};

}  // namespace tradesim::sim
