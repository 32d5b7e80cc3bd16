#include <gtest/gtest.h>

#include "hub/core/metrics.hpp"

namespace {

TEST(Metrics, CountsByRouteAndStatusAcrossShards) {
  hub::Metrics m({"GET /healthz", "unmatched"}, 2);
  m.observe_request(0, 0, 200, 150);
  m.observe_request(1, 0, 200, 3000);
  m.observe_request(1, 1, 404, 10);
  auto text = m.render();
  EXPECT_NE(text.find("hub_http_requests_total{route=\"GET /healthz\",status=\"200\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("hub_http_requests_total{route=\"unmatched\",status=\"404\"} 1"),
            std::string::npos);
  EXPECT_NE(
      text.find(
          "hub_http_request_duration_seconds_bucket{route=\"GET /healthz\",le=\"0.00025\"} 1"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("hub_http_request_duration_seconds_count{route=\"GET /healthz\"} 2"),
            std::string::npos);
}

TEST(Metrics, ExtraSourcesAreAppended) {
  hub::Metrics m({"x"}, 1);
  m.add_source([](std::string& out) { out += "hub_open_connections 7\n"; });
  EXPECT_NE(m.render().find("hub_open_connections 7"), std::string::npos);
}

}  // namespace
