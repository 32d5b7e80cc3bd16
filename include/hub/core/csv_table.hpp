#pragma once
// A CSV file as people's spreadsheet programs save it, read whole: UTF-8 (a BOM dropped) or
// GB18030 (what Excel writes as "CSV" on a Chinese system), RFC 4180 records whose quoted
// fields may hold line ends and "" quotes. Bounded in records, fields a record and bytes a
// field. For the small tables people upload (a registration, return tasks), not bulk imports
// (exchange/lines reads those as a stream).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hub {

struct CsvLimits {
  std::size_t max_records = 20001;  // the header included
  std::size_t max_fields = 64;
  std::size_t max_field_bytes = 65536;
};

using CsvTable = std::vector<std::vector<std::string>>;

// The records, or nullopt with `why` (not UTF-8 or GB18030 text, a quote not closed, text after
// a closing quote, a limit passed: each named with its line).
std::optional<CsvTable> read_csv_table(std::string_view text, const CsvLimits& limits,
                                       std::string& why);

}  // namespace hub
