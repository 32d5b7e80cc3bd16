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
}  // namespace

void Router::add(Verb verb, std::string pattern, Access access, Handler handler,
                 RouteOptions options) {
  if (!handler) throw std::logic_error("route " + pattern + " has no handler");
  Route route{verb, pattern, access, std::move(handler), options, {}};
  for (auto part : split_path(pattern)) route.segments.emplace_back(part);
  if (route.segments.empty()) throw std::logic_error("bad route pattern " + pattern);
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
    if (route.segments.size() != parts.size()) continue;
    bool matched = true;
    for (std::size_t s = 0; s < parts.size(); ++s) {
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
      for (std::size_t s = 0; s < parts.size(); ++s) {
        if (is_param(route.segments[s])) {
          std::string name = route.segments[s].substr(1, route.segments[s].size() - 2);
          auto value = percent_decode(parts[s], false);
          result.params.emplace_back(std::move(name), value ? *value : std::string(parts[s]));
        }
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
