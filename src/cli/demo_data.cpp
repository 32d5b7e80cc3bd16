#include "hub/cli/demo_data.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <unordered_set>
#include <vector>

#include "hub/catalog/item_rules.hpp"
#include "hub/members/credentials.hpp"

namespace hub::cli {

namespace {

const std::vector<std::string> kSurnames = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",   "徐",   "孙", "马", "朱", "胡",
    "郭", "何", "林", "罗", "梁", "郑", "谢", "宋", "唐", "许",   "邓",   "冯", "韩", "曹", "曾",
    "彭", "萧", "蔡", "潘", "田", "董", "袁", "叶", "蒋", "杜",   "苏",   "魏", "程", "吕", "丁",
    "沈", "姚", "卢", "钟", "谭", "廖", "范", "陆", "邱", "欧阳", "司徒", "麦", "区", "冼"};
const std::vector<std::string> kGiven = {
    "伟",   "芳",   "娜",   "敏",   "静",   "丽",   "强",   "磊",   "军",   "洋",   "勇",
    "艳",   "杰",   "娟",   "涛",   "明",   "超",   "秀英", "霞",   "平",   "刚",   "桂英",
    "建华", "志强", "嘉欣", "子豪", "梓涵", "浩然", "晓东", "国强", "海燕", "丽华", "伟明",
    "家豪", "咏诗", "俊杰", "雅婷", "锦荣", "惠芬", "振邦", "少华", "玉珍", "文杰", "颖琳"};

struct District {
  const char* name;
  const char* division;
  std::vector<std::string> roads;
};
const std::vector<District> kDistricts = {
    {"越秀区", "440104", {"中山五路", "环市东路", "解放北路", "东风中路", "北京路", "农林下路"}},
    {"海珠区", "440105", {"江南大道中", "新港西路", "工业大道北", "宝岗大道", "昌岗中路"}},
    {"荔湾区", "440103", {"中山八路", "康王中路", "芳村大道", "龙津西路", "花地大道"}},
    {"天河区",
     "440106",
     {"天河路", "体育西路", "黄埔大道西", "中山大道西", "珠江东路", "天河北路"}},
    {"白云区", "440111", {"机场路", "白云大道北", "广园中路", "同和路", "太和镇大源路"}},
    {"黄埔区", "440112", {"开创大道", "科学大道", "黄埔东路", "萝岗大道", "香雪三路"}},
    {"番禺区", "440113", {"市桥街清河东路", "迎宾路", "汉溪大道", "南村镇兴南大道"}},
    {"花都区", "440114", {"新华街公益路", "迎宾大道", "风神大道", "狮岭镇金狮大道"}},
    {"南沙区", "440115", {"进港大道", "海滨路", "蕉门河中心区", "黄阁镇市南路"}},
    {"从化区", "440117", {"街口街中田路", "河滨北路", "温泉镇温泉东路"}},
    {"增城区", "440118", {"荔城街府佑路", "新塘镇港口大道", "增江街增江大道"}},
};
const std::vector<std::string> kBrands = {
    "恒达", "华信", "粤海", "南方", "珠江", "天润", "嘉禾", "云帆", "星河", "明德",
    "盛世", "鸿运", "岭南", "羊城", "穗丰", "越秀", "新穗", "广益", "泰和", "瑞丰",
    "金穗", "汇通", "正大", "宏图", "致远", "博雅", "安信", "腾达", "众合", "康源"};
struct Industry {
  const char* word;
  const char* name;
};
const std::vector<Industry> kIndustries = {{"信息技术", "信息传输、软件和信息技术服务业"},
                                           {"科技", "科学研究和技术服务业"},
                                           {"贸易", "批发和零售业"},
                                           {"电子", "制造业"},
                                           {"服装", "制造业"},
                                           {"餐饮管理", "住宿和餐饮业"},
                                           {"建筑工程", "建筑业"},
                                           {"物流", "交通运输、仓储和邮政业"},
                                           {"医药", "批发和零售业"},
                                           {"文化传媒", "文化、体育和娱乐业"},
                                           {"企业管理咨询", "租赁和商务服务业"},
                                           {"物业管理", "房地产业"}};
const char* kCodeChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";

template <typename T>
const T& pick(std::mt19937& rng, const std::vector<T>& v) {
  return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
}

int between(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

std::string person_name(std::mt19937& rng) { return pick(rng, kSurnames) + pick(rng, kGiven); }

std::string date(int y, int m, int d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

std::string id_for(std::mt19937& rng, const District& d, int year) {
  char body[32];
  std::snprintf(body, sizeof body, "%s%04d%02d%02d%03d", d.division, year, between(rng, 1, 12),
                between(rng, 1, 28), between(rng, 1, 999));
  return citizen_id(body);
}

std::string phone(std::mt19937& rng) {
  static const std::vector<std::string> prefixes = {"135", "136", "137", "138", "139", "150",
                                                    "158", "186", "188", "189", "177", "199"};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08d", between(rng, 0, 99999999));
  return pick(rng, prefixes) + buf;
}

}  // namespace

std::string citizen_id(const std::string& first17) {
  return first17 + catalog::citizen_id_check_character(first17);
}

std::string demo_enterprises_ndjson(int count) {
  std::mt19937 rng(20261127);
  std::string out;
  // An enterprise's name is unique (企业登记信息's name item is): a name drawn twice gets its
  // district, then an ordinal, without another draw, so every later record stays as it was.
  std::unordered_set<std::string> names;
  auto unique_name = [&names](const std::string& brands, const std::string& district,
                              const std::string& word) {
    std::string name = "广州市" + brands + word + "有限公司";
    if (names.insert(name).second) return name;
    const std::string place = district.substr(0, district.size() - std::string("区").size());
    name = "广州市" + brands + place + word + "有限公司";
    for (int n = 2; !names.insert(name).second; ++n) {
      name = "广州市" + brands + place + word + std::to_string(n) + "有限公司";
    }
    return name;
  };
  for (int i = 0; i < count; ++i) {
    const District& d = pick(rng, kDistricts);
    const Industry& ind = pick(rng, kIndustries);
    std::string first17 = std::string("91") + d.division;
    for (int k = 0; k < 9; ++k) first17.push_back(kCodeChars[between(rng, 0, 30)]);
    const std::string uscc = first17 + members::uscc_check_character(first17);
    const int founded = between(rng, 1995, 2025);
    const int roll = between(rng, 1, 100);
    const std::string brand = pick(rng, kBrands);  // drawn where the list drew them before
    const std::string brands = brand + pick(rng, kBrands);
    nlohmann::json rec = {{"uscc", uscc},
                          {"name", unique_name(brands, d.name, ind.word)},
                          {"legal_person", person_name(rng)},
                          {"legal_person_id", id_for(rng, d, between(rng, 1960, 1998))},
                          {"reg_capital", between(rng, 1, 2000) * 10},
                          {"established", date(founded, between(rng, 1, 12), between(rng, 1, 28))},
                          {"district", d.name},
                          {"industry", ind.name},
                          {"address", std::string("广州市") + d.name + pick(rng, d.roads) +
                                          std::to_string(between(rng, 1, 999)) + "号" +
                                          std::to_string(between(rng, 1, 30)) + "楼"},
                          {"status", roll <= 88   ? "存续"
                                     : roll <= 95 ? "在业"
                                     : roll <= 98 ? "注销"
                                                  : "吊销"}};
    out += rec.dump() + "\n";
  }
  return out;
}

std::string demo_power_ndjson(const std::string& enterprises, int count) {
  std::mt19937 rng(6012);
  std::string out;
  std::size_t start = 0;
  for (int e = 0; e < count; ++e) {
    const std::size_t end = enterprises.find('\n', start);
    if (end == std::string::npos) break;
    const auto firm = nlohmann::json::parse(enterprises.substr(start, end - start));
    start = end + 1;
    char account[16];
    std::snprintf(account, sizeof account, "0300%06d", 100000 + e * 37);
    const int base = between(rng, 2, 400) * 1000;  // kWh a month
    for (int m = 0; m < 12; ++m) {
      const int year = m == 0 ? 2025 : 2026, month = m == 0 ? 12 : m;
      char period[8];
      std::snprintf(period, sizeof period, "%04d-%02d", year, month);
      nlohmann::json rec = {{"record_id", std::string(account) + "-" + period},
                            {"account_no", account},
                            {"uscc", firm["uscc"]},
                            {"customer_name", firm["name"]},
                            {"month", period},
                            {"kwh", base + between(rng, -base / 5, base / 5)},
                            {"district", firm["district"]}};
      // What a real extract carries now and then: a meter read backwards, a month keyed as 13,
      // a credit code mistyped, a truncated account number. Stored and flagged.
      const int n = e * 12 + m;
      if (n == 37) rec["kwh"] = -1280;
      if (n == 101) rec["month"] = "2026-13";
      if (n == 203) {
        std::string uscc = rec["uscc"];
        uscc.back() = uscc.back() == '0' ? '1' : '0';
        rec["uscc"] = uscc;
      }
      if (n == 350) rec["account_no"] = std::string(account).substr(0, 8);
      out += rec.dump() + "\n";
    }
  }
  return out;
}

std::string demo_residents_ndjson(int count) {
  std::mt19937 rng(11643);
  std::string out;
  for (int i = 0; i < count; ++i) {
    const District& d = pick(rng, kDistricts);
    const int year = between(rng, 1945, 2012);
    const std::string id = id_for(rng, d, year);
    nlohmann::json rec = {
        {"id_number", id},
        {"name", person_name(rng)},
        {"gender", (id[16] - '0') % 2 ? "男" : "女"},
        {"birth_date", date(year, std::stoi(id.substr(10, 2)), std::stoi(id.substr(12, 2)))},
        {"household_address", std::string("广东省广州市") + d.name + pick(rng, d.roads) +
                                  std::to_string(between(rng, 1, 500)) + "号" +
                                  std::to_string(between(rng, 101, 2808)) + "房"},
        {"phone", phone(rng)},
        {"district", d.name}};
    out += rec.dump() + "\n";
  }
  return out;
}

}  // namespace hub::cli
