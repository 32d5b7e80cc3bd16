#pragma once

#include <string>

namespace hub::cli {

// Realistic, deterministic demo records (the same on every run): Guangzhou enterprises for 企业登记
// 信息 (valid unified social credit codes, legal persons with valid ID numbers) and residents
// for 户籍人口基本信息 (ID numbers, names, addresses, phones). NDJSON, one record a line.
std::string demo_enterprises_ndjson(int count);
std::string demo_residents_ndjson(int count);

// A resident ID number (GB 11643) with its check character, and whether one is valid.
std::string citizen_id(const std::string& first17);
bool valid_citizen_id(const std::string& id);

}  // namespace hub::cli
