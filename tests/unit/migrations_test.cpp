#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hub/api/system.hpp"
#include "hub/store/migrations.hpp"

namespace {

TEST(Migrations, EmbeddedInOrderWithChecksums) {
  const auto& all = hub::pg::embedded_migrations();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().version, 1);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].version, static_cast<int>(i) + 1) << "migration versions have a gap";
    EXPECT_EQ(all[i].checksum.size(), 64u);
    EXPECT_FALSE(all[i].sql.empty());
  }
  EXPECT_EQ(hub::pg::latest_migration_version(), all.back().version);
}

TEST(OpenApi, EmbeddedDocumentIsOpenApi31) {
  auto doc = nlohmann::json::parse(hub::api::openapi_document());
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_TRUE(doc["paths"].is_object());
}

}  // namespace
