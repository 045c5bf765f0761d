#pragma once
// A bounded, thread-safe hand-over queue between the capture thread and the analysis thread.
//
// Invariants:
//  (1) push() never blocks: when the queue is full it drops the OLDEST item (the freshest frame
//      is the one worth analysing) and counts the drop.
//  (2) pop() blocks until an item is available or the queue is closed; after close() it returns
//      the items still queued, then nullopt.
//  (3) The queue never holds more than its capacity (>= 1).
//  (4) push_wait() is for sources that are not live (a file read as fast as the analysis goes): it
//      waits for room instead of dropping. A live camera never uses it.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

namespace vigil::client::vision {

template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Returns true if an older item was dropped to make room.
  bool push(T item) {
    bool dropped = false;
    {
      std::lock_guard lock(mu_);
      if (closed_) return false;
      if (items_.size() >= capacity_) {
        items_.pop_front();
        ++dropped_;
        dropped = true;
      }
      items_.push_back(std::move(item));
    }
    cv_.notify_one();
    return dropped;
  }

  // Waits for room (invariant 4); returns false if the queue was closed meanwhile.
  bool push_wait(T item) {
    {
      std::unique_lock lock(mu_);
      room_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
      if (closed_) return false;
      items_.push_back(std::move(item));
    }
    cv_.notify_one();
    return true;
  }

  std::optional<T> pop() {
    std::optional<T> item;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return closed_ || !items_.empty(); });
      if (items_.empty()) return std::nullopt;
      item = std::move(items_.front());
      items_.pop_front();
    }
    room_.notify_one();
    return item;
  }

  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
    room_.notify_all();
  }
  void clear() {
    {
      std::lock_guard lock(mu_);
      items_.clear();
    }
    room_.notify_all();
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }
  std::uint64_t dropped() const {
    std::lock_guard lock(mu_);
    return dropped_;
  }
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;    // an item arrived, or closed
  std::condition_variable room_;  // room freed, or closed
  std::deque<T> items_;
  std::uint64_t dropped_ = 0;
  bool closed_ = false;
};

}  // namespace vigil::client::vision
