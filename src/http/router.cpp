#include "hub/http/router.hpp"

#include <stdexcept>

namespace hub::http {

namespace {
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.empty() || path.front() != '/') return parts;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// "{name*}", last in a pattern: the rest of the path, slashes and all (static files).
bool is_tail(std::string_view segment) {
  return segment.size() > 3 && segment.front() == '{' && segment.ends_with("*}");
}
}  // namespace

void Router::add(Verb verb, std::string pattern, Access access, Handler handler,
                 RouteOptions options) {
  if (!handler) throw std::logic_error("route " + pattern + " has no handler");
  Route route{verb, pattern, access, std::move(handler), options, {}};
  for (auto part : split_path(pattern)) route.segments.emplace_back(part);
  if (route.segments.empty()) throw std::logic_error("bad route pattern " + pattern);
  for (std::size_t s = 0; s + 1 < route.segments.size(); ++s) {
    if (is_tail(route.segments[s])) throw std::logic_error("a {name*} must come last: " + pattern);
  }
  for (const auto& r : routes_) {
    if (r.verb == verb && r.pattern == pattern) {
      throw std::logic_error("route registered twice: " + pattern);
    }
  }
  routes_.push_back(std::move(route));
}

RouteMatch Router::match(Verb verb, std::string_view path) const {
  RouteMatch result;
  const auto parts = split_path(path);
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const Route& route = routes_[i];
    const bool tail = is_tail(route.segments.back());
    if (tail ? parts.size() < route.segments.size() : route.segments.size() != parts.size()) {
      continue;
    }
    const std::size_t fixed = tail ? route.segments.size() - 1 : parts.size();
    bool matched = true;
    for (std::size_t s = 0; s < fixed; ++s) {
      const auto& seg = route.segments[s];
      if (is_param(seg) ? parts[s].empty() : seg != parts[s]) {
        matched = false;
        break;
      }
    }
    if (!matched) continue;
    if (route.verb == verb) {
      result.kind = RouteMatch::Kind::found;
      result.route = &route;
      result.index = i;
      result.params.clear();
      for (std::size_t s = 0; s < fixed; ++s) {
        if (is_param(route.segments[s])) {
          std::string name = route.segments[s].substr(1, route.segments[s].size() - 2);
          auto value = percent_decode(parts[s], false);
          result.params.emplace_back(std::move(name), value ? *value : std::string(parts[s]));
        }
      }
      if (tail) {
        const std::string& seg = route.segments.back();
        std::string rest;
        for (std::size_t s = fixed; s < parts.size(); ++s) {
          if (s > fixed) rest += '/';
          auto value = percent_decode(parts[s], false);
          rest += value ? *value : std::string(parts[s]);
        }
        result.params.emplace_back(seg.substr(1, seg.size() - 3), std::move(rest));
      }
      return result;
    }
    result.kind = RouteMatch::Kind::method_not_allowed;
    std::string name(beast_http::to_string(route.verb));
    if (result.allow.find(name) == std::string::npos) {
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += name;
    }
  }
  return result;
}

}  // namespace hub::http
