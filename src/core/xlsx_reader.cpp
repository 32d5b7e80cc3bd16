// Reads an .xlsx workbook's cells: libzip for the package, expat for its XML parts.
#include "hub/core/xlsx_reader.hpp"

#include <expat.h>
#include <zip.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

namespace hub::xlsx {

namespace {

// The package, open over the request's bytes (libzip reads them in place).
class Package {
 public:
  Package(std::string_view bytes, const XlsxLimits& limits) : limits_(limits) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (source == nullptr) throw XlsxError("the file cannot be read");
    archive_ = zip_open_from_source(source, ZIP_RDONLY, &error);
    if (archive_ == nullptr) {
      zip_source_free(source);
      zip_error_fini(&error);
      throw XlsxError("the file is not an .xlsx workbook (not a zip package)");
    }
    zip_error_fini(&error);
    const zip_int64_t entries = zip_get_num_entries(archive_, 0);
    if (entries < 0 || static_cast<std::size_t>(entries) > limits_.max_entries) {
      zip_discard(archive_);  // a constructor that throws has no destructor run
      archive_ = nullptr;
      throw XlsxError("the workbook has more than " + std::to_string(limits_.max_entries) +
                      " parts");
    }
  }
  ~Package() {
    if (archive_) zip_discard(archive_);
  }
  Package(const Package&) = delete;
  Package& operator=(const Package&) = delete;

  bool has(const std::string& name) const {
    return zip_name_locate(archive_, name.c_str(), 0) >= 0;
  }

  // A part, inflated, within the limits: the size the directory claims is checked first, and
  // what actually comes out while reading (the directory may lie).
  std::string read(const std::string& name) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(archive_, name.c_str(), 0, &st) != 0) throw XlsxError("no part " + name);
    if ((st.valid & ZIP_STAT_SIZE) && st.size > limits_.max_entry_bytes) {
      throw XlsxError("the part " + name + " is larger than " +
                      std::to_string(limits_.max_entry_bytes >> 20) + " MiB");
    }
    std::unique_ptr<zip_file_t, decltype(&zip_fclose)> file(zip_fopen(archive_, name.c_str(), 0),
                                                            &zip_fclose);
    if (!file) throw XlsxError("the part " + name + " cannot be read");
    std::string out;
    char buffer[64 * 1024];
    while (true) {
      const zip_int64_t n = zip_fread(file.get(), buffer, sizeof buffer);
      if (n < 0) throw XlsxError("the part " + name + " is damaged");
      if (n == 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
      total_ += static_cast<std::size_t>(n);
      if (out.size() > limits_.max_entry_bytes || total_ > limits_.max_total_bytes) {
        throw XlsxError("the workbook inflates beyond its limits (" +
                        std::to_string(limits_.max_total_bytes >> 20) + " MiB)");
      }
    }
    return out;
  }

 private:
  const XlsxLimits& limits_;
  zip_t* archive_ = nullptr;
  std::size_t total_ = 0;
};

// One XML part read by expat with namespace processing ("uri|local" names): handlers see local
// names and attributes by local name. A doctype is refused; depth is bounded.
class XmlReader {
 public:
  using Attributes = std::map<std::string, std::string>;
  struct Handler {
    virtual ~Handler() = default;
    virtual void start(std::string_view name, const Attributes& attributes) = 0;
    virtual void end(std::string_view name) = 0;
    virtual void text(std::string_view chars) = 0;
  };

  static void parse(const std::string& part, const std::string& xml, Handler& handler,
                    std::size_t max_depth) {
    XmlReader reader(part, handler, max_depth);
    std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(
        XML_ParserCreateNS(nullptr, '|'), &XML_ParserFree);
    if (!parser) throw XlsxError("out of memory reading " + part);
    reader.parser_ = parser.get();
    XML_SetUserData(parser.get(), &reader);
    XML_SetElementHandler(parser.get(), &XmlReader::on_start, &XmlReader::on_end);
    XML_SetCharacterDataHandler(parser.get(), &XmlReader::on_text);
    XML_SetStartDoctypeDeclHandler(parser.get(), &XmlReader::on_doctype);
    const bool ok =
        XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), 1) == XML_STATUS_OK;
    if (!reader.error_.empty()) throw XlsxError(reader.error_);
    if (!ok) {
      throw XlsxError("the part " + part + " is not well-formed XML: " +
                      XML_ErrorString(XML_GetErrorCode(parser.get())) + " (line " +
                      std::to_string(XML_GetCurrentLineNumber(parser.get())) + ")");
    }
  }

 private:
  XmlReader(const std::string& part, Handler& handler, std::size_t max_depth)
      : part_(part), handler_(handler), max_depth_(max_depth) {}

  static std::string_view local(const char* name) {
    std::string_view n(name);
    const auto bar = n.rfind('|');
    return bar == std::string_view::npos ? n : n.substr(bar + 1);
  }
  void fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    XML_StopParser(parser_, XML_FALSE);
  }
  static void on_start(void* data, const XML_Char* name, const XML_Char** attributes) {
    auto* self = static_cast<XmlReader*>(data);
    if (!self->error_.empty()) return;
    if (++self->depth_ > self->max_depth_) {
      self->fail("the part " + self->part_ + " nests deeper than " +
                 std::to_string(self->max_depth_));
      return;
    }
    Attributes a;
    for (int i = 0; attributes[i] != nullptr; i += 2) {
      a[std::string(local(attributes[i]))] = attributes[i + 1];
    }
    try {
      self->handler_.start(local(name), a);
    } catch (const XlsxError& e) {
      self->fail(e.what());
    }
  }
  static void on_end(void* data, const XML_Char* name) {
    auto* self = static_cast<XmlReader*>(data);
    if (!self->error_.empty()) return;
    --self->depth_;
    try {
      self->handler_.end(local(name));
    } catch (const XlsxError& e) {
      self->fail(e.what());
    }
  }
  static void on_text(void* data, const XML_Char* chars, int length) {
    auto* self = static_cast<XmlReader*>(data);
    if (!self->error_.empty()) return;
    try {
      self->handler_.text(std::string_view(chars, static_cast<std::size_t>(length)));
    } catch (const XlsxError& e) {
      self->fail(e.what());
    }
  }
  static void on_doctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    auto* self = static_cast<XmlReader*>(data);
    self->fail("the part " + self->part_ + " declares a document type: refused");
  }

  const std::string& part_;
  Handler& handler_;
  std::size_t max_depth_;
  std::size_t depth_ = 0;
  XML_Parser parser_ = nullptr;
  std::string error_;
};

// xl/workbook.xml: the sheets, in order, with their relationship ids.
struct WorkbookPart : XmlReader::Handler {
  explicit WorkbookPart(const XlsxLimits& l) : limits(l) {}
  const XlsxLimits& limits;
  std::vector<std::pair<std::string, std::string>> sheets;  // name, r:id
  bool date1904 = false;
  void start(std::string_view name, const XmlReader::Attributes& a) override {
    if (name == "workbookPr") {
      auto d = a.find("date1904");
      date1904 = d != a.end() && (d->second == "1" || d->second == "true");
      return;
    }
    if (name != "sheet") return;
    if (sheets.size() >= limits.max_sheets) {
      throw XlsxError("the workbook has more than " + std::to_string(limits.max_sheets) +
                      " sheets");
    }
    auto n = a.find("name");
    auto id = a.find("id");
    if (n != a.end() && id != a.end()) sheets.emplace_back(n->second, id->second);
  }
  void end(std::string_view) override {}
  void text(std::string_view) override {}
};

// xl/_rels/workbook.xml.rels: relationship id → target part.
struct RelationshipsPart : XmlReader::Handler {
  std::map<std::string, std::string> targets;
  void start(std::string_view name, const XmlReader::Attributes& a) override {
    if (name != "Relationship") return;
    auto id = a.find("Id");
    auto target = a.find("Target");
    if (id != a.end() && target != a.end()) targets[id->second] = target->second;
  }
  void end(std::string_view) override {}
  void text(std::string_view) override {}
};

// xl/sharedStrings.xml: each <si>'s text, its runs' <t> joined (phonetic <rPh> runs left out).
struct SharedStringsPart : XmlReader::Handler {
  explicit SharedStringsPart(const XlsxLimits& l) : limits(l) {}
  const XlsxLimits& limits;
  std::vector<std::string> strings;
  bool in_t = false;
  int in_phonetic = 0;
  void start(std::string_view name, const XmlReader::Attributes&) override {
    if (name == "si") {
      if (strings.size() >= limits.max_shared_strings) {
        throw XlsxError("the workbook has more than " + std::to_string(limits.max_shared_strings) +
                        " distinct texts");
      }
      strings.emplace_back();
    } else if (name == "rPh") {
      ++in_phonetic;
    } else if (name == "t") {
      in_t = true;
    }
  }
  void end(std::string_view name) override {
    if (name == "t") in_t = false;
    if (name == "rPh") --in_phonetic;
  }
  void text(std::string_view chars) override {
    if (!in_t || in_phonetic > 0 || strings.empty()) return;
    strings.back().append(chars);
    if (strings.back().size() > limits.max_cell_bytes) {
      throw XlsxError("a text of the workbook is longer than " +
                      std::to_string(limits.max_cell_bytes) + " bytes");
    }
  }
};

// A worksheet's cells.
struct SheetPart : XmlReader::Handler {
  SheetPart(const XlsxLimits& l, const std::vector<std::string>& s, XlsxSheet& out,
            std::size_t& text_bytes, std::size_t& cell_slots)
      : limits(l), shared(s), sheet(out), cell_text(text_bytes), slots(cell_slots) {}
  const XlsxLimits& limits;
  const std::vector<std::string>& shared;
  XlsxSheet& sheet;
  std::size_t& cell_text;  // of every sheet read so far
  std::size_t& slots;      // cells and rows held, of every sheet read so far
  bool in_row = false;
  std::size_t row = 0;       // 1-based, of the current <row>
  std::size_t next_row = 1;  // when a <row> has no r
  std::size_t column = 0;    // 1-based, of the current <c>
  std::size_t next_column = 1;
  std::string type;
  std::string value;
  bool in_value = false;
  bool in_inline = false;

  // Rows and columns are bounded where a value is stored (end): empty, merely formatted cells
  // and rows past the limits are common in real workbooks and hold nothing.
  void start(std::string_view name, const XmlReader::Attributes& a) override {
    if (name == "row") {
      auto r = a.find("r");
      row = r == a.end() ? next_row : std::strtoul(r->second.c_str(), nullptr, 10);
      in_row = true;
      next_row = row + 1;
      next_column = 1;
    } else if (name == "c") {
      auto r = a.find("r");
      column = r == a.end() ? next_column : column_of_reference(r->second);
      next_column = column + 1;
      auto t = a.find("t");
      type = t == a.end() ? "n" : t->second;
      value.clear();
    } else if (name == "v") {
      in_value = true;
    } else if (name == "is") {
      in_inline = true;
    } else if (name == "t" && in_inline) {
      in_value = true;
    }
  }
  void end(std::string_view name) override {
    if (name == "v" || name == "t") in_value = false;
    if (name == "is") in_inline = false;
    if (name == "row") in_row = false;
    // A cell outside any row (not what a spreadsheet program writes) holds nothing.
    if (name != "c" || !in_row) return;
    std::string text;
    if (type == "s") {
      const auto index = std::strtoul(value.c_str(), nullptr, 10);
      if (value.empty() || index >= shared.size()) {
        throw XlsxError("sheet " + sheet.name + " refers to a text that is not there");
      }
      text = shared[index];
    } else if (type == "b") {
      text = value == "1" ? "true" : "false";
    } else if (type == "e") {
      text.clear();  // an error value (#N/A): empty
    } else {
      text = value;  // n, str, inlineStr, d
    }
    if (text.empty()) return;
    if (row == 0 || row > limits.max_rows) {
      throw XlsxError("sheet " + sheet.name + " has a value in a row numbered " +
                      (row == 0 ? std::string("0") : std::to_string(row)) + ": at most " +
                      std::to_string(limits.max_rows) + " rows are read");
    }
    if (column == 0 || column > limits.max_columns) {
      throw XlsxError("sheet " + sheet.name + " has a value " +
                      (column == 0 ? std::string("in a cell whose reference is not a column")
                                   : "in column " + std::to_string(column)) +
                      ": at most " + std::to_string(limits.max_columns) + " columns are read");
    }
    cell_text += text.size();
    if (cell_text > limits.max_cell_text_bytes) {
      throw XlsxError("the workbook's cells hold more than " +
                      std::to_string(limits.max_cell_text_bytes >> 20) + " MiB of text");
    }
    // Every slot a row holds counts, the empty ones before a value too: a value in the last
    // column of every row costs 64 slots for a few bytes of XML.
    auto& cells = sheet.rows;
    if (cells.size() < row) {
      slots += row - cells.size();
      cells.resize(row);
    }
    auto& line = cells[row - 1];
    if (line.size() < column) {
      slots += column - line.size();
      line.resize(column);
    }
    if (slots > limits.max_cells) {
      throw XlsxError("the workbook holds more than " + std::to_string(limits.max_cells) +
                      " cells (the empty ones before a value in its row counted)");
    }
    line[column - 1] = std::move(text);
  }
  void text(std::string_view chars) override {
    if (!in_value) return;
    value.append(chars);
    if (value.size() > limits.max_cell_bytes) {
      throw XlsxError("a cell of sheet " + sheet.name + " is longer than " +
                      std::to_string(limits.max_cell_bytes) + " bytes");
    }
  }
};

// A relationship target relative to xl/ ("worksheets/sheet1.xml", or "/xl/worksheets/...").
std::string part_of(const std::string& target) {
  if (!target.empty() && target.front() == '/') return target.substr(1);
  return "xl/" + target;
}

}  // namespace

std::size_t column_of_reference(std::string_view reference) {
  std::size_t column = 0, letters = 0;
  for (char ch : reference) {
    if (ch < 'A' || ch > 'Z') break;
    if (++letters > 3) return 0;
    column = column * 26 + static_cast<std::size_t>(ch - 'A' + 1);
  }
  return letters == 0 ? 0 : column;
}

const std::string& XlsxSheet::cell(std::size_t row, std::size_t column) const {
  static const std::string empty;
  if (row == 0 || column == 0 || row > rows.size() || column > rows[row - 1].size()) return empty;
  return rows[row - 1][column - 1];
}

const XlsxSheet* XlsxWorkbook::sheet(std::string_view name) const {
  for (const auto& s : sheets) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

XlsxWorkbook read_xlsx(std::string_view bytes, const XlsxLimits& limits,
                       const std::vector<std::string>& only) {
  Package package(bytes, limits);
  if (!package.has("xl/workbook.xml")) {
    throw XlsxError("the file is not an .xlsx workbook (no xl/workbook.xml)");
  }
  WorkbookPart workbook(limits);
  XmlReader::parse("xl/workbook.xml", package.read("xl/workbook.xml"), workbook, limits.max_depth);
  RelationshipsPart relationships;
  XmlReader::parse("xl/_rels/workbook.xml.rels", package.read("xl/_rels/workbook.xml.rels"),
                   relationships, limits.max_depth);
  SharedStringsPart shared(limits);
  if (package.has("xl/sharedStrings.xml")) {
    XmlReader::parse("xl/sharedStrings.xml", package.read("xl/sharedStrings.xml"), shared,
                     limits.max_depth);
  }
  XlsxWorkbook out;
  out.date1904 = workbook.date1904;
  std::size_t cell_text = 0, slots = 0;
  std::set<std::string> names, parts;
  for (const auto& [name, id] : workbook.sheets) {
    if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) continue;
    auto target = relationships.targets.find(id);
    if (target == relationships.targets.end()) continue;
    const std::string part = part_of(target->second);
    if (!package.has(part)) continue;
    // Each sheet and each part once: a workbook naming one part a thousand times is not read a
    // thousand times.
    if (!names.insert(name).second || !parts.insert(part).second) {
      throw XlsxError("the workbook lists the sheet " + name + " (or its part) twice");
    }
    XlsxSheet sheet;
    sheet.name = name;
    SheetPart cells(limits, shared.strings, sheet, cell_text, slots);
    XmlReader::parse(part, package.read(part), cells, limits.max_depth);
    out.sheets.push_back(std::move(sheet));
  }
  return out;
}

}  // namespace hub::xlsx
