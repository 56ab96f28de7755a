// Runs work(i) for i in [begin, end) on several threads and hands the results to consume(i, result)
// on the calling thread in index order. At most `window` results wait at once, which bounds memory
// when results are large (decoded videos, rendered meshes). Used by the packers.
#pragma once
#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace tetra::data {

template <typename T>
absl::Status run_ordered(size_t begin, size_t end, int64_t threads, size_t window,
                        const std::function<T(size_t)>& work,
                        const std::function<absl::Status(size_t, T&&)>& consume) {
  std::mutex mu;
  std::condition_variable changed;
  std::map<size_t, T> done;
  size_t next = begin;      // next index to hand to a worker
  size_t consumed = begin;  // next index to consume
  bool stop = false;
  window = std::max<size_t>(1, window);
  auto worker = [&] {
    while (true) {
      size_t i;
      {
        std::unique_lock<std::mutex> lock(mu);
        changed.wait(lock, [&] { return stop || next >= end || next < consumed + window; });
        if (stop || next >= end) return;
        i = next++;
      }
      T result = work(i);
      std::lock_guard<std::mutex> lock(mu);
      done.emplace(i, std::move(result));
      changed.notify_all();
    }
  };
  std::vector<std::thread> pool;
  const size_t count = end > begin ? end - begin : 0;
  for (int64_t t = 0; t < std::max<int64_t>(1, threads) && static_cast<size_t>(t) < count; ++t) {
    pool.emplace_back(worker);
  }
  absl::Status status;
  while (consumed < end && status.ok()) {
    T result;
    {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait(lock, [&] { return done.count(consumed) > 0; });
      auto it = done.find(consumed);
      result = std::move(it->second);
      done.erase(it);
    }
    status = consume(consumed, std::move(result));
    std::lock_guard<std::mutex> lock(mu);
    ++consumed;
    changed.notify_all();
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
    changed.notify_all();
  }
  for (std::thread& t : pool) t.join();
  return status;
}

}  // namespace tetra::data
