// hubctl demo-upstream: the demo providers' APIs (cli::StubUpstream::demo) in the foreground, for
// the demo's interface services to call, offline. Its CA is kept in DIR, so the ca_pem the demo
// registers with the hub stays right across restarts.
#include <pthread.h>
#include <signal.h>

#include <charconv>
#include <fstream>
#include <ostream>
#include <stdexcept>

#include "command.hpp"
#include "hub/cli/stub_upstream.hpp"

namespace hub::cli {

namespace {

// HOST:PORT, [V6]:PORT or :PORT (host 127.0.0.1).
std::pair<std::string, std::uint16_t> parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  const std::string port_text = colon == std::string::npos ? "" : text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    throw std::invalid_argument("--listen wants HOST:PORT, not '" + text + "'");
  }
  std::string host = text.substr(0, colon);
  if (host.empty()) host = "127.0.0.1";
  return {host, static_cast<std::uint16_t>(port)};
}

// The host of the URL to call it by: localhost for loopback and wildcard addresses (the
// certificate names it, and "localhost:PORT" in services.allowed_hosts admits loopback).
std::string url_host(std::string host) {
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host == "localhost" || host == "0.0.0.0" || host == "::" || host == "::1" ||
      host.starts_with("127.")) {
    return "localhost";
  }
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

int cmd_demo_upstream(const Options& o, std::ostream& out, std::ostream& err) {
  if (o.rest.size() != 1) {
    err << "usage: hubctl demo-upstream [--listen HOST:PORT] [--dir DIR]\n";
    return 2;
  }
  const auto [host, port] = parse_listen(
      o.flag("listen", false).empty() ? std::string("127.0.0.1:8444") : o.flag("listen"));
  const fs::path dir =
      o.flag("dir", false).empty() ? o.data_dir / "demo-upstream" : fs::path(o.flag("dir"));

  // SIGINT and SIGTERM wait for sigwait below: blocked before the stub's thread starts, so that
  // it inherits the mask and neither signal interrupts it.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);
  struct Restore {
    const sigset_t& mask;
    ~Restore() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore{previous};

  StubOptions options;
  options.listen_host = host;
  options.port = port;
  options.state_dir = dir;
  const auto stub = StubUpstream::demo(options);
  const std::string base_url = stub->base_url(url_host(host));
  // base_url without a newline: a file to read as it is.
  {
    std::ofstream file(dir / "base_url", std::ios::trunc);
    file << base_url;
    if (!file.flush()) throw std::runtime_error("cannot write " + (dir / "base_url").string());
  }
  const std::string listening =
      host.find(':') != std::string::npos && host.front() != '[' ? "[" + host + "]" : host;
  out << "demo-upstream: the demo providers' APIs on " << base_url << " (listening on " << listening
      << ":" << stub->port() << "; " << (stub->kept_state() ? "its CA" : "a new CA") << " in "
      << (dir / "ca.pem").string() << "); Ctrl-C stops it" << std::endl;

  int signal = 0;
  sigwait(&stop_signals, &signal);
  // Stopped: no base_url, so that `hubctl demo` sees no upstream to register (ca.pem stays, with
  // the CA the next start keeps).
  std::error_code ignored;
  fs::remove(dir / "base_url", ignored);
  out << "demo-upstream: stopped (" << (signal == SIGINT ? "SIGINT" : "SIGTERM") << ")"
      << std::endl;
  return 0;
}

}  // namespace hub::cli
