// The registration workbook's columns, and a filled-in workbook (or its CSV) read into
// catalogue documents with every problem named by sheet, row and field.
#include "hub/catalog/spreadsheet.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>

#include "hub/core/csv_table.hpp"
#include "hub/core/text.hpp"
#include "hub/core/xlsx_reader.hpp"

namespace hub::catalog {

namespace {

const std::vector<SheetChoice> kYesNo = {{"true", "是"}, {"false", "否"}};

}  // namespace

const std::vector<SheetColumn>& resource_sheet_columns() {
  static const std::vector<SheetColumn> columns = {
      {"资源代码",
       "code",
       false,
       {},
       "更新已登记的资源时填写其资源代码；新资源留空，由系统生成",
       26},
      {"资源名称", "name", true, {}, "如：企业登记信息（1 至 200 字）", 24},
      {"资源摘要", "summary", true, {}, "资源的内容、用途和范围", 40},
      {"提供方代码", "provider_code", true, {}, "提供方的统一社会信用代码（18 位）", 22},
      {"资源分类",
       "category",
       true,
       {{"basic", "基础信息资源"}, {"theme", "主题信息资源"}, {"department", "部门信息资源"}},
       "",
       16},
      {"资源格式", "format", true, {}, "如：数据库、电子表格、接口", 12},
      {"主键信息项",
       "key",
       true,
       {},
       "唯一标识一条记录的信息项名称（填信息项表中的“信息项名称”）",
       14},
      {"共享类型",
       "share_type",
       true,
       {{"unconditional", "无条件共享"}, {"conditional", "有条件共享"}, {"none", "不予共享"}},
       "",
       14},
      {"共享条件", "share_conditions", false, {}, "有条件共享、不予共享时说明条件或依据", 30},
      {"共享方式",
       "share_methods",
       true,
       {{"api", "接口"}, {"bulk", "批量"}, {"api,bulk", "接口、批量"}},
       "",
       12},
      {"更新周期",
       "update_cycle",
       true,
       {{"realtime", "实时"},
        {"daily", "每日"},
        {"weekly", "每周"},
        {"monthly", "每月"},
        {"quarterly", "每季度"},
        {"semiannual", "每半年"},
        {"yearly", "每年"}},
       "",
       10},
      {"共享依据", "legal_basis", false, {}, "法律法规、政策文件", 30},
      {"关联资源代码", "related_codes", false, {}, "多个用逗号分隔", 26},
      {"分类代码", "class_code", false, {}, "类.项.目.细目，如 2.01.03", 12},
      {"发布日期", "release_date", false, {}, "YYYY-MM-DD", 12},
      {"质量模式",
       "quality_mode",
       false,
       {{"reject", "拒收不合规记录"}, {"flag", "接收并标记不合规记录"}},
       "不填为“拒收不合规记录”",
       20},
  };
  return columns;
}

const std::vector<SheetColumn>& item_sheet_columns() {
  static const std::vector<SheetColumn> columns = {
      {"所属资源",
       "items.resource",
       true,
       {},
       "填资源表中的“资源名称”（或已登记资源的资源代码）",
       24},
      {"信息项名称", "items.name", true, {}, "小写英文字母开头，字母、数字、下划线，如 uscc", 16},
      {"中文名称", "items.title", true, {}, "如：统一社会信用代码", 20},
      {"数据类型",
       "items.type",
       true,
       {{"string", "字符串"},
        {"integer", "整数"},
        {"number", "数值"},
        {"boolean", "布尔"},
        {"date", "日期"},
        {"datetime", "日期时间"}},
       "",
       10},
      {"是否必填", "items.required", true, kYesNo, "", 8},
      {"敏感级别",
       "items.sensitivity",
       true,
       {{"public", "公开"}, {"internal", "内部"}, {"sensitive", "敏感"}},
       "",
       10},
      {"脱敏规则",
       "items.mask",
       false,
       {{"name", "姓名"},
        {"id_number", "证件号码"},
        {"phone", "电话号码"},
        {"address", "地址"},
        {"bank_card", "银行卡号"},
        {"full", "全部隐藏"}},
       "仅敏感的字符串信息项；不填为全部隐藏",
       10},
      {"格式（正则表达式）", "items.pattern", false, {}, "RE2 语法，如 ^4401[0-9]{2}$", 20},
      {"取值范围", "items.enum", false, {}, "可选值，用“|”分隔，如 男|女", 20},
      {"代码表", "items.code_list", false, {{"gb2260", "行政区划代码 GB/T 2260"}}, "", 20},
      {"最小值", "items.min", false, {}, "整数、数值信息项", 10},
      {"最大值", "items.max", false, {}, "整数、数值信息项", 10},
      {"最大长度", "items.max_length", false, {}, "字符串信息项，按字符计", 10},
      {"校验规则",
       "items.check",
       false,
       {{"uscc", "统一社会信用代码"}, {"citizen_id", "公民身份号码"}},
       "",
       16},
      {"取值唯一", "items.unique", false, kYesNo, "不同记录不得取相同的值（主键除外）", 10},
  };
  return columns;
}

namespace {

using nlohmann::json;

// Spaces, tabs, line ends and the ideographic space (U+3000) off both ends.
std::string trim(std::string_view s) {
  auto space_at_front = [&s]() {
    if (s.empty()) return std::size_t{0};
    if (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')
      return std::size_t{1};
    return s.starts_with("\u3000") ? std::size_t{3} : std::size_t{0};
  };
  auto space_at_back = [&s]() {
    if (s.empty()) return std::size_t{0};
    if (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')
      return std::size_t{1};
    return s.ends_with("\u3000") ? std::size_t{3} : std::size_t{0};
  };
  while (auto n = space_at_front()) s.remove_prefix(n);
  while (auto n = space_at_back()) s.remove_suffix(n);
  return std::string(s);
}

std::string lower_ascii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// A cell's text quoted in a message, at most 60 bytes of it (cut on a character boundary).
std::string quote_cell(std::string_view text) {
  std::size_t end = 0;
  while (end < text.size() && end < 60) {
    const std::size_t n = utf8_sequence_length(text, end);
    if (n == 0 || end + n > 60) break;
    end += n;
  }
  return "“" + std::string(text.substr(0, end)) + (end < text.size() ? "…”" : "”");
}

// Splits a list cell on commas, ideographic commas and semicolons (, ， 、 ; ；).
std::vector<std::string> list_of(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  auto push = [&] {
    auto t = trim(current);
    if (!t.empty()) out.push_back(std::move(t));
    current.clear();
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto rest = text.substr(i);
    if (rest.starts_with("、") || rest.starts_with("，") || rest.starts_with("；")) {
      push();
      i += 3;
    } else if (text[i] == ',' || text[i] == ';') {
      push();
      ++i;
    } else {
      current.push_back(text[i++]);
    }
  }
  push();
  return out;
}

// A cell of a controlled field: its Chinese label or the API's code (any case).
std::optional<std::string> choice_of(const SheetColumn& col, const std::string& text) {
  const std::string lower = lower_ascii(text);
  for (const auto& c : col.choices) {
    if (text == c.label || lower == c.code) return std::string(c.code);
  }
  return std::nullopt;
}

std::optional<bool> yes_no(const std::string& text) {
  const std::string t = lower_ascii(text);
  if (t == "是" || t == "true" || t == "1" || t == "y" || t == "yes") return true;
  if (t == "否" || t == "false" || t == "0" || t == "n" || t == "no") return false;
  return std::nullopt;
}

// A number as written (Excel's cells are decimal text): an integer when it is one.
std::optional<json> number_of(const std::string& text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
  if (v == std::floor(v) && std::fabs(v) <= 9007199254740992.0) {
    return json(static_cast<std::int64_t>(v));
  }
  return json(v);
}

// One cell as the JSON value of its field (`field` without "items."); nullopt with `why` when
// the cell cannot be one. Enum values stay text here: numeric items' are made numbers once the
// item's type is known (typed_enums).
std::optional<json> cell_value(const SheetColumn& col, std::string_view field,
                               const std::string& text, bool date1904, std::string& why) {
  if (field == "share_methods") {
    json out = json::array();
    for (const auto& part : list_of(text)) {
      const std::string lower = lower_ascii(part);
      if (part == "接口" || lower == "api") {
        out.push_back("api");
      } else if (part == "批量" || lower == "bulk") {
        out.push_back("bulk");
      } else {
        why = quote_cell(part) + " is not 接口 (api) or 批量 (bulk)";
        return std::nullopt;
      }
    }
    return out;
  }
  if (field == "required" || field == "unique") {
    if (auto b = yes_no(text)) return json(*b);
    why = "is 是 or 否";
    return std::nullopt;
  }
  if (!col.choices.empty()) {
    if (auto code = choice_of(col, text)) return json(*code);
    std::string labels;
    for (const auto& c : col.choices) labels += (labels.empty() ? "" : "、") + std::string(c.label);
    why = quote_cell(text) + " is not one of " + labels;
    return std::nullopt;
  }
  if (field == "related_codes") {
    json out = json::array();
    for (auto& code : list_of(text)) out.push_back(std::move(code));
    return out;
  }
  if (field == "enum") {
    json out = json::array();
    std::string current;
    for (std::size_t i = 0; i <= text.size(); ++i) {
      if (i == text.size() || text[i] == '|') {
        out.push_back(trim(current));
        current.clear();
      } else {
        current.push_back(text[i]);
      }
    }
    return out;
  }
  if (field == "min" || field == "max" || field == "max_length") {
    auto n = number_of(text);
    if (!n || (field == "max_length" && !n->is_number_integer())) {
      why = field == "max_length" ? "is a whole number" : "is a number";
      return std::nullopt;
    }
    return n;
  }
  if (field == "release_date") {
    if (auto d = excel_date(text, date1904)) return json(*d);
    std::string t = text;
    std::replace(t.begin(), t.end(), '/', '-');
    return json(t);
  }
  return json(text);
}

// The enum of an integer or number item as numbers (a value that is not one stays text, for
// validate_resource to name).
void typed_enums(json& item) {
  auto e = item.find("enum");
  auto t = item.find("type");
  if (e == item.end() || !e->is_array() || t == item.end() || !t->is_string()) return;
  if (*t != "integer" && *t != "number") return;
  for (auto& v : *e) {
    if (!v.is_string()) continue;
    if (auto n = number_of(v.get<std::string>())) v = *n;
  }
}

// A sheet's columns by the field row: field → column index (0-based). A field the sheet does not
// have is an error, so that a shifted or renamed column never fills the wrong field; headings
// (with or without their " *") are taken for field names too.
struct Header {
  std::vector<const SheetColumn*> by_index;  // nullptr: an empty header cell
  std::map<std::string, std::size_t> index;  // field → column
};

const SheetColumn* column_named(const std::string& name,
                                const std::vector<const std::vector<SheetColumn>*>& sets) {
  for (const auto* set : sets) {
    for (const auto& c : *set) {
      std::string heading(c.heading);
      if (name == c.field || name == heading || name == heading + " *" || name == heading + "*") {
        return &c;
      }
    }
  }
  return nullptr;
}

Header header_of(const std::vector<std::string>& row, const std::string& sheet, int row_number,
                 const std::vector<const std::vector<SheetColumn>*>& sets,
                 std::vector<SheetError>& errors) {
  Header h;
  for (std::size_t c = 0; c < row.size(); ++c) {
    const std::string name = trim(row[c]);
    const SheetColumn* col = name.empty() ? nullptr : column_named(name, sets);
    if (!name.empty() && col == nullptr) {
      errors.push_back({sheet, row_number, name,
                        "is not a field of this sheet (row " + std::to_string(row_number) +
                            " names the API field each column fills)"});
    } else if (col != nullptr && !h.index.emplace(std::string(col->field), c).second) {
      errors.push_back({sheet, row_number, std::string(col->field), "is named twice"});
      col = nullptr;
    }
    h.by_index.push_back(col);
  }
  for (const auto* set : sets) {
    for (const auto& col : *set) {
      if (col.required && !h.index.contains(std::string(col.field))) {
        errors.push_back({sheet, row_number, std::string(col.field),
                          "the column " + std::string(col.heading) + " is missing"});
      }
    }
  }
  return h;
}

bool blank(const std::vector<std::string>& row) {
  return std::all_of(row.begin(), row.end(), [](const std::string& c) { return trim(c).empty(); });
}

bool is_item_field(std::string_view field) { return field.starts_with("items."); }

// The cells of one row into a resource's fields and an item, by the header.
struct RowCells {
  std::string code;
  json resource = json::object();  // every resource column of the header: value or null
  json item = json::object();      // the item's non-empty cells
  std::string item_resource;       // items.resource
  bool has_resource_cells = false;
  bool has_item_cells = false;
};

RowCells cells_of(const std::vector<std::string>& row, const Header& h, const std::string& sheet,
                  int row_number, std::vector<SheetError>& errors, bool date1904 = false) {
  RowCells out;
  for (std::size_t c = 0; c < h.by_index.size(); ++c) {
    const SheetColumn* col = h.by_index[c];
    if (col == nullptr) continue;
    const std::string text = c < row.size() ? trim(row[c]) : std::string();
    const std::string_view field = col->field;
    if (field == "code") {
      out.code = text;
      out.has_resource_cells |= !text.empty();
      continue;
    }
    if (field == "items.resource") {
      out.item_resource = text;
      continue;
    }
    const bool item = is_item_field(field);
    const std::string_view name = item ? field.substr(6) : field;
    if (text.empty()) {
      if (!item) out.resource[std::string(name)] = nullptr;
      continue;
    }
    (item ? out.has_item_cells : out.has_resource_cells) = true;
    std::string why;
    auto value = cell_value(*col, name, text, date1904, why);
    if (!value) {
      errors.push_back({sheet, row_number, std::string(field), why});
      continue;
    }
    (item ? out.item : out.resource)[std::string(name)] = std::move(*value);
  }
  return out;
}

void add_item(SheetResource& r, RowCells& cells, const std::string& sheet, int row_number) {
  typed_enums(cells.item);
  r.items.push_back(std::move(cells.item));
  r.item_rows.push_back(row_number);
  r.item_sheet = sheet;
}

void check_counts(SheetRegistration& out) {
  if (cap_errors(out.errors)) return;
  std::size_t items = 0;
  for (const auto& r : out.resources) items += r.items.size();
  if (out.resources.size() > kMaxSheetResources) {
    out.errors.push_back({"", 0, "",
                          "a workbook registers at most " + std::to_string(kMaxSheetResources) +
                              " resources: split it"});
  }
  if (items > kMaxSheetItems) {
    out.errors.push_back(
        {"", 0, "",
         "a workbook lists at most " + std::to_string(kMaxSheetItems) + " items: split it"});
  }
}

const std::vector<const std::vector<SheetColumn>*> kResourceSet = {&resource_sheet_columns()};
const std::vector<const std::vector<SheetColumn>*> kItemSet = {&item_sheet_columns()};

}  // namespace

SheetRegistration read_registration_xlsx(std::string_view bytes) {
  SheetRegistration out;
  xlsx::XlsxWorkbook book;
  try {
    xlsx::XlsxLimits limits;
    limits.max_rows = kMaxSheetItems + kFirstDataRow;
    const std::vector<std::string> sheets = {std::string(kResourceSheet), std::string(kItemSheet)};
    book = xlsx::read_xlsx(bytes, limits, sheets);
  } catch (const xlsx::XlsxError& e) {
    out.errors.push_back({"", 0, "", e.what()});
    return out;
  }
  const std::string rs(kResourceSheet), is(kItemSheet);
  const auto* resources = book.sheet(kResourceSheet);
  const auto* items = book.sheet(kItemSheet);
  if (resources == nullptr) out.errors.push_back({rs, 0, "", "the workbook has no sheet 资源"});
  if (items == nullptr) out.errors.push_back({is, 0, "", "the workbook has no sheet 信息项"});
  if (resources == nullptr || items == nullptr) return out;

  static const std::vector<std::string> none;
  const auto& resource_fields = resources->rows.size() >= 2 ? resources->rows[1] : none;
  const Header rh = header_of(resource_fields, rs, 2, kResourceSet, out.errors);
  const auto& item_fields = items->rows.size() >= 2 ? items->rows[1] : none;
  const Header ih = header_of(item_fields, is, 2, kItemSet, out.errors);
  if (!out.errors.empty()) return out;

  // Resources, and the names and codes their items may name them by.
  std::map<std::string, std::size_t> by_name, by_code;
  for (std::size_t r = kFirstDataRow - 1; r < resources->rows.size(); ++r) {
    if (out.errors.size() >= kMaxSheetErrors) break;
    const auto& row = resources->rows[r];
    if (blank(row)) continue;
    const int number = static_cast<int>(r + 1);
    RowCells cells = cells_of(row, rh, rs, number, out.errors, book.date1904);
    SheetResource res;
    res.row = number;
    res.sheet = rs;
    res.item_sheet = is;
    res.code = cells.code;
    res.fields = std::move(cells.resource);
    const std::size_t index = out.resources.size();
    const auto name = res.fields.value("name", json()).is_string()
                          ? res.fields["name"].get<std::string>()
                          : std::string();
    if (!name.empty() && !by_name.emplace(name, index).second) {
      by_name[name] = SIZE_MAX;  // two resources of one name: their items must use codes
    }
    if (!res.code.empty() && !by_code.emplace(res.code, index).second) {
      out.errors.push_back({rs, number, "code", "the resource " + res.code + " is listed twice"});
    }
    out.resources.push_back(std::move(res));
  }
  // Items, under the resource they name (an empty 所属资源: the row above's).
  std::string previous;
  for (std::size_t r = kFirstDataRow - 1; r < items->rows.size(); ++r) {
    if (out.errors.size() >= kMaxSheetErrors) break;
    const auto& row = items->rows[r];
    if (blank(row)) continue;
    const int number = static_cast<int>(r + 1);
    RowCells cells = cells_of(row, ih, is, number, out.errors, book.date1904);
    const std::string owner = cells.item_resource.empty() ? previous : cells.item_resource;
    previous = owner;
    std::size_t index = SIZE_MAX;
    if (auto c = by_code.find(owner); c != by_code.end()) {
      index = c->second;
    } else if (auto n = by_name.find(owner); n != by_name.end()) {
      index = n->second;
      if (index == SIZE_MAX) {
        out.errors.push_back({is, number, "items.resource",
                              "two resources in sheet 资源 are named " + quote_cell(owner) +
                                  ": name the resource by its code"});
        continue;
      }
    }
    if (index == SIZE_MAX) {
      out.errors.push_back({is, number, "items.resource",
                            owner.empty()
                                ? std::string("names no resource")
                                : quote_cell(owner) + " is not a resource of sheet 资源"});
      continue;
    }
    add_item(out.resources[index], cells, is, number);
  }
  check_counts(out);
  return out;
}

SheetRegistration read_registration_csv(std::string_view text) {
  SheetRegistration out;
  const std::string sheet = "csv";
  std::string why;
  CsvLimits limits;
  limits.max_records = kMaxSheetItems + 1;
  auto table = read_csv_table(text, limits, why);
  if (!table) {
    out.errors.push_back({sheet, 0, "", why});
    return out;
  }
  const CsvTable& records = *table;
  if (records.empty()) {
    out.errors.push_back({sheet, 1, "", "the file is empty (its first line names the fields)"});
    return out;
  }
  static const std::vector<const std::vector<SheetColumn>*> both = {&resource_sheet_columns(),
                                                                    &item_sheet_columns()};
  const Header h = header_of(records[0], sheet, 1, both, out.errors);
  // items.resource is the 信息项 sheet's tie; in one table the line's own resource is it.
  std::erase_if(out.errors, [](const SheetError& e) { return e.field == "items.resource"; });
  if (!out.errors.empty()) return out;
  for (std::size_t r = 1; r < records.size(); ++r) {
    if (out.errors.size() >= kMaxSheetErrors) break;
    const auto& row = records[r];
    if (blank(row)) continue;
    const int number = static_cast<int>(r + 1);
    RowCells cells = cells_of(row, h, sheet, number, out.errors);
    const std::string name = cells.resource.value("name", json()).is_string()
                                 ? cells.resource["name"].get<std::string>()
                                 : std::string();
    SheetResource* current = out.resources.empty() ? nullptr : &out.resources.back();
    // The resource of the line above goes on while a line names no other: the same code, or no
    // code and the same name, or neither.
    const bool continues =
        current != nullptr &&
        (cells.code.empty() ? name.empty() || current->fields.value("name", json()) == json(name)
                            : cells.code == current->code);
    if (!continues) {
      if (!cells.has_resource_cells) {
        out.errors.push_back({sheet, number, "name", "names no resource"});
        continue;
      }
      SheetResource res;
      res.row = number;
      res.sheet = sheet;
      res.code = cells.code;
      res.fields = std::move(cells.resource);
      out.resources.push_back(std::move(res));
      current = &out.resources.back();
    } else {
      // A later line of the resource may repeat its fields or leave them empty, not change them.
      for (const auto& [field, value] : cells.resource.items()) {
        if (value.is_null()) continue;
        if (current->fields.value(field, json()) != value) {
          out.errors.push_back(
              {sheet, number, field,
               "differs from the resource's first line (" + std::to_string(current->row) + ")"});
        }
      }
    }
    if (cells.has_item_cells) add_item(*current, cells, sheet, number);
  }
  check_counts(out);
  return out;
}

std::optional<std::string> excel_date(const std::string& text, bool date1904) {
  if (text.empty() || text.size() > 7 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const long serial = std::strtol(text.c_str(), nullptr, 10) + (date1904 ? 1462 : 0);
  if (serial < 61 || serial > 2958465) return std::nullopt;  // 1900-03-01 .. 9999-12-31
  // Days since 1970-01-01, then the civil date (H. Hinnant's days_from_civil inverse).
  long z = serial - 25569 + 719468;
  const long era = (z >= 0 ? z : z - 146096) / 146097;
  const long doe = z - era * 146097;
  const long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long y = yoe + era * 400;
  const long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long mp = (5 * doy + 2) / 153;
  const long d = doy - (153 * mp + 2) / 5 + 1;
  const long m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char out[80];
  std::snprintf(out, sizeof out, "%04ld-%02ld-%02ld", y, m, d);
  return std::string(out);
}

bool cap_errors(std::vector<SheetError>& errors) {
  if (errors.size() < kMaxSheetErrors) return false;
  errors.resize(kMaxSheetErrors);
  errors.push_back({"", 0, "",
                    "at most " + std::to_string(kMaxSheetErrors) +
                        " errors are listed: fix these and check the file again"});
  return true;
}

SheetError sheet_error_of(const SheetResource& r, const std::string& path,
                          const std::string& message) {
  // items[3].type → the fourth item's row, column items.type
  if (path.starts_with("items[")) {
    const auto close = path.find(']');
    const std::size_t index =
        close == std::string::npos ? SIZE_MAX : std::strtoul(path.c_str() + 6, nullptr, 10);
    if (index < r.item_rows.size()) {
      std::string field = "items";
      if (close + 1 < path.size() && path[close + 1] == '.') field += path.substr(close + 1);
      return {r.item_sheet, r.item_rows[index], field, message};
    }
  }
  return {r.sheet, r.row, path, message};
}

}  // namespace hub::catalog
