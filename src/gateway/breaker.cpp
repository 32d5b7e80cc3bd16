// The parts of the upstream client without I/O: the breaker, and base_url taken apart (built on
// their own into the fuzzer, tests/fuzz/fuzz_base_url.cpp).
#include <boost/asio/ip/address.hpp>
#include <mutex>

#include "hub/core/text.hpp"
#include "hub/gateway/upstream_client.hpp"

namespace hub::gateway {

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return hex_digit(c) >= 0; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A dotted quad without leading zeros: the one IPv4 form every resolver reads alike.
bool is_dotted_quad(std::string_view s) {
  int parts = 0;
  while (true) {
    std::size_t n = 0;
    while (n < s.size() && is_digit(s[n])) ++n;
    if (n == 0 || n > 3 || (n > 1 && s[0] == '0')) return false;
    if (std::stoi(std::string(s.substr(0, n))) > 255) return false;
    ++parts;
    s.remove_prefix(n);
    if (s.empty()) break;
    if (s[0] != '.') return false;
    s.remove_prefix(1);
  }
  return parts == 4;
}

// Dot-separated labels of [a-z0-9-] (1..63, no '-' at either end), at most 253 characters,
// the last label beginning with a letter.
bool is_host_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::string_view last;
  while (true) {
    const auto dot = s.find('.');
    const auto label = s.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!is_lower_alnum(c) && c != '-') return false;
    }
    last = label;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return last.front() >= 'a' && last.front() <= 'z';
}

bool is_path_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

std::optional<Upstream> refuse(std::string& why, std::string text) {
  why = std::move(text);
  return std::nullopt;
}

}  // namespace

std::string Upstream::key() const {
  std::string out = tls ? "https://" : "http://";
  const bool v6 = host.find(':') != std::string::npos;
  if (v6) out += '[';
  out += host;
  if (v6) out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

std::optional<Upstream> parse_base_url(std::string_view url, std::string& why) {
  if (url.size() > 2000) return refuse(why, "longer than 2000 characters");
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return refuse(why, "whitespace, control or non-ASCII character");
    if (c == '?' || c == '#') return refuse(why, "a query or fragment");
    if (c == '@') return refuse(why, "user info");
    if (c == '\\') return refuse(why, "a backslash");
  }
  Upstream up;
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return refuse(why, "no scheme");
  const auto scheme = lower(url.substr(0, sep));
  if (scheme == "https") {
    up.tls = true;
    up.port = 443;
  } else if (scheme == "http") {
    up.tls = false;
    up.port = 80;
  } else {
    return refuse(why, "the scheme is not http or https");
  }
  std::string_view rest = url.substr(sep + 3);
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);

  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return refuse(why, "an unclosed [");
    host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return refuse(why, "characters after ]");
      port = after.substr(1);
      has_port = true;
    }
    for (char c : host) {
      if (!is_hex(c) && c != ':' && c != '.') return refuse(why, "a bad IPv6 address");
    }
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address_v6(std::string(host), ec);
    if (ec || host.empty()) return refuse(why, "a bad IPv6 address");
    up.host = address.to_string();  // the one canonical spelling, lower-case
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      has_port = true;
    }
    up.host = lower(host);
    if (up.host.empty()) return refuse(why, "no host");
    const bool numeric = up.host.find_first_not_of("0123456789.") == std::string::npos;
    if (numeric ? !is_dotted_quad(up.host) : !is_host_name(up.host)) {
      return refuse(why, "a bad host");
    }
  }
  if (has_port) {
    if (port.empty() || port.size() > 5) return refuse(why, "a bad port");
    unsigned value = 0;
    for (char c : port) {
      if (!is_digit(c)) return refuse(why, "a bad port");
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value < 1 || value > 65535) return refuse(why, "a port out of 1..65535");
    up.port = static_cast<std::uint16_t>(value);
  }

  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  // Segments after the first '/': never empty, never "." or "..", percent-escapes only of
  // non-ASCII bytes (an escaped '.', '/' or '%' would be read differently by the upstream).
  std::string_view segs = path;
  while (!segs.empty()) {
    segs.remove_prefix(1);  // the '/'
    const auto next = segs.find('/');
    const auto seg = segs.substr(0, next);
    if (seg.empty()) return refuse(why, "an empty path segment");
    if (seg == "." || seg == "..") return refuse(why, "a dot segment in the path");
    for (std::size_t i = 0; i < seg.size(); ++i) {
      const char c = seg[i];
      if (c == '%') {
        if (i + 2 >= seg.size()) return refuse(why, "a cut percent-escape in the path");
        if (!is_hex(seg[i + 1]) || !is_hex(seg[i + 2])) {
          return refuse(why, "a bad percent-escape in the path");
        }
        if (hex_digit(seg[i + 1]) < 8) return refuse(why, "an escaped ASCII character in the path");
        i += 2;
      } else if (!is_path_char(c)) {
        return refuse(why, "a character the path may not hold");
      }
    }
    segs = next == std::string_view::npos ? std::string_view{} : segs.substr(next);
  }
  up.base_path = std::string(path);
  return up;
}

std::string_view failure_name(Failure f) {
  switch (f) {
    case Failure::none:
      return "none";
    case Failure::refused_address:
      return "refused_address";
    case Failure::resolve:
      return "resolve";
    case Failure::connect:
      return "connect";
    case Failure::broken:
      return "broken";
    case Failure::timeout:
      return "timeout";
    case Failure::too_large:
      return "too_large";
    case Failure::breaker_open:
      return "breaker_open";
  }
  return "unknown";
}

std::string_view state_name(Breaker::State s) {
  switch (s) {
    case Breaker::State::closed:
      return "closed";
    case Breaker::State::open:
      return "open";
    case Breaker::State::half_open:
      return "half_open";
  }
  return "unknown";
}

struct Breaker::Impl {
  Impl(unsigned n, std::chrono::milliseconds d) : failures_to_open(n), open_for(d) {}
  const unsigned failures_to_open;
  const std::chrono::milliseconds open_for;
  // closed with no failure counted: allow() and succeeded() need not lock.
  std::atomic<bool> clean{true};
  mutable std::mutex mutex;
  State state = State::closed;
  unsigned failures = 0;
  std::chrono::steady_clock::time_point opened_at;
  bool trial_out = false;  // half_open: the one call let through has not reported yet
  std::uint64_t times_opened = 0;
};

Breaker::Breaker(unsigned failures_to_open, std::chrono::milliseconds open_for)
    : impl_(std::make_shared<Impl>(failures_to_open, open_for)) {}

bool Breaker::allow(std::chrono::steady_clock::time_point now) {
  if (impl_->clean.load(std::memory_order_acquire)) return true;
  std::lock_guard lock(impl_->mutex);
  switch (impl_->state) {
    case State::closed:
      return true;
    case State::open:
      if (now - impl_->opened_at < impl_->open_for) return false;
      impl_->state = State::half_open;
      impl_->trial_out = true;
      return true;
    case State::half_open:
      if (impl_->trial_out) return false;
      impl_->trial_out = true;
      return true;
  }
  return false;
}

void Breaker::succeeded() {
  if (impl_->clean.load(std::memory_order_acquire)) return;
  std::lock_guard lock(impl_->mutex);
  if (impl_->state == State::open) return;  // began before it opened: not the trial
  impl_->state = State::closed;
  impl_->failures = 0;
  impl_->trial_out = false;
  impl_->clean.store(true, std::memory_order_release);
}

void Breaker::failed(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(impl_->mutex);
  if (impl_->failures_to_open == 0) return;
  impl_->clean.store(false, std::memory_order_release);
  switch (impl_->state) {
    case State::closed:
      if (++impl_->failures < impl_->failures_to_open) return;
      break;
    case State::half_open:
      break;
    case State::open:
      return;  // began before it opened
  }
  impl_->state = State::open;
  impl_->opened_at = now;
  impl_->trial_out = false;
  impl_->failures = 0;
  ++impl_->times_opened;
}

Breaker::State Breaker::state(std::chrono::steady_clock::time_point now) const {
  std::lock_guard lock(impl_->mutex);
  if (impl_->state == State::open && now - impl_->opened_at >= impl_->open_for) {
    return State::half_open;
  }
  return impl_->state;
}

std::uint64_t Breaker::times_opened() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->times_opened;
}

}  // namespace hub::gateway
