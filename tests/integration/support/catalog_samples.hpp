#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace hub::test {

// A resource document as a provider would register it (企业登记信息).
inline nlohmann::json sample_resource(const std::string& provider,
                                      const std::string& name = "企业登记信息") {
  return {
      {"name", name},
      {"summary", "市场主体登记的基本信息，含统一社会信用代码、名称、法定代表人、注册资本"},
      {"provider_code", provider},
      {"category", "basic"},
      {"format", "数据库"},
      {"key", "uscc"},
      {"items",
       {{{"name", "uscc"}, {"title", "统一社会信用代码"}, {"type", "string"}, {"required", true},
         {"sensitivity", "public"}},
        {{"name", "legal_person"}, {"title", "法定代表人"}, {"type", "string"},
         {"required", true}, {"sensitivity", "sensitive"}, {"mask", "name"}},
        {{"name", "reg_capital"}, {"title", "注册资本（万元）"}, {"type", "number"},
         {"required", false}, {"sensitivity", "public"}}}},
      {"share_type", "conditional"},
      {"share_conditions", "用于市场监管和政务服务"},
      {"share_methods", {"api", "bulk"}},
      {"update_cycle", "daily"},
      {"legal_basis", "《市场主体登记管理条例》"},
  };
}

}  // namespace hub::test
