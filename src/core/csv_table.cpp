// A small CSV table read whole (csv_table.hpp).
#include "hub/core/csv_table.hpp"

#include <iconv.h>

#include "hub/core/text.hpp"

namespace hub {

namespace {

// Whether `text` is well-formed UTF-8.
bool utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// GB18030 (what Excel writes for "CSV" on a Chinese system) to UTF-8, with glibc's iconv;
// nullopt when the bytes are not GB18030 either.
std::optional<std::string> from_gb18030(std::string_view text) {
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out(text.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(text.data());
  std::size_t in_left = text.size();
  char* to = out.data();
  std::size_t out_left = out.size();
  const std::size_t r = iconv(cd, &in, &in_left, &to, &out_left);
  iconv_close(cd);
  if (r == static_cast<std::size_t>(-1) || in_left != 0) return std::nullopt;
  out.resize(out.size() - out_left);
  return out;
}

// RFC 4180 records (quoted fields may hold line ends and "" quotes), within `limits`;
// false with `why`.
bool csv_records(std::string_view text, const CsvLimits& limits, CsvTable& records,
                 std::string& why) {
  std::vector<std::string> record;
  std::string field;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (field.size() > limits.max_field_bytes) {
      why = "a cell of line " + std::to_string(records.size() + 1) + " is longer than " +
            std::to_string(limits.max_field_bytes) + " bytes";
      return false;
    }
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      if (record.size() + 2 > limits.max_fields) {
        why = "line " + std::to_string(records.size() + 1) + " has more than " +
              std::to_string(limits.max_fields) + " columns";
        return false;
      }
      record.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      record.push_back(std::move(field));
      field.clear();
      was_quoted = false;
      records.push_back(std::move(record));
      record.clear();
      if (records.size() > limits.max_records) {
        why = "the file has more than " + std::to_string(limits.max_records) + " lines";
        return false;
      }
    } else if (was_quoted) {
      why = "line " + std::to_string(records.size() + 1) + ": text after a closing quote";
      return false;
    } else {
      field.push_back(c);
    }
  }
  if (quoted) {
    why = "a quoted field is not closed";
    return false;
  }
  if (field.size() > limits.max_field_bytes) {
    why = "a cell of line " + std::to_string(records.size() + 1) + " is longer than " +
          std::to_string(limits.max_field_bytes) + " bytes";
    return false;
  }
  if (!field.empty() || !record.empty()) {
    if (record.size() + 1 > limits.max_fields) {
      why = "line " + std::to_string(records.size() + 1) + " has more than " +
            std::to_string(limits.max_fields) + " columns";
      return false;
    }
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  return true;
}

}  // namespace

std::optional<CsvTable> read_csv_table(std::string_view text, const CsvLimits& limits,
                                       std::string& why) {
  std::string converted;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // Excel's "CSV UTF-8" mark
  if (!utf8(text)) {
    auto gb = from_gb18030(text);
    if (!gb) {
      why = "the file is neither UTF-8 nor GB18030 text";
      return std::nullopt;
    }
    converted = std::move(*gb);
    text = converted;
  }
  CsvTable records;
  if (!csv_records(text, limits, records, why)) return std::nullopt;
  if (records.size() > limits.max_records) {
    why = "the file has more than " + std::to_string(limits.max_records) + " lines";
    return std::nullopt;
  }
  return records;
}

}  // namespace hub
