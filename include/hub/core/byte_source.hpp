#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>

namespace hub {

// Bytes that arrive over time (a request body as the connection delivers it, a file): read()
// fills up to n bytes and returns how many, 0 at the end. It throws the transport's errors (a
// body over its limit, too slow, broken) as ApiError. Bulk imports read one, so that a body of
// gigabytes is never held in memory.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual boost::asio::awaitable<std::size_t> read(char* out, std::size_t n) = 0;
};

}  // namespace hub
