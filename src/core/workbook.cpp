// The workbooks' common ground (libxlsxwriter): styles, sheets, a private temporary file.
#include "hub/core/workbook.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace hub::xlsx {

namespace {

// Removes the temporary file however the function leaves.
struct TempFile {
  std::string path;
  ~TempFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

}  // namespace

void check(lxw_error e, const char* what) {
  if (e != LXW_NO_ERROR) {
    throw std::runtime_error(std::string("xlsx: ") + what + ": " + lxw_strerror(e));
  }
}

Styles common_styles(lxw_workbook* book) {
  Styles s{workbook_add_format(book), workbook_add_format(book), workbook_add_format(book)};
  format_set_bold(s.title);
  format_set_font_size(s.title, 14);
  format_set_font_color(s.note, 0x595959);
  format_set_bold(s.head);
  format_set_text_wrap(s.head);
  format_set_align(s.head, LXW_ALIGN_CENTER);
  format_set_align(s.head, LXW_ALIGN_VERTICAL_CENTER);
  format_set_bg_color(s.head, 0xDDEBF7);
  format_set_border(s.head, LXW_BORDER_THIN);
  return s;
}

lxw_worksheet* add_sheet(lxw_workbook* book, const char* name) {
  lxw_worksheet* sheet = workbook_add_worksheet(book, name);
  if (sheet == nullptr) throw std::runtime_error("xlsx: cannot add a sheet");
  return sheet;
}

std::string write_workbook(const std::string& tmp_dir,
                           const std::function<void(lxw_workbook*)>& fill) {
  const std::string dir =
      tmp_dir.empty() ? std::filesystem::temp_directory_path().string() : tmp_dir;
  std::string pattern = dir + "/hub-report-XXXXXX";
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) throw std::runtime_error("xlsx: cannot make a temporary file in " + dir);
  ::close(fd);
  TempFile tmp{pattern};

  lxw_workbook_options options{};
  options.tmpdir = const_cast<char*>(dir.c_str());
  lxw_workbook* book = workbook_new_opt(tmp.path.c_str(), &options);
  if (book == nullptr) throw std::runtime_error("xlsx: cannot start a workbook");
  try {
    fill(book);
  } catch (...) {
    workbook_close(book);  // frees it; the file is removed with `tmp`
    throw;
  }
  check(workbook_close(book), "writing the workbook");

  std::ifstream in(tmp.path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in.good() && !in.eof()) throw std::runtime_error("xlsx: cannot read the workbook back");
  return bytes.str();
}

}  // namespace hub::xlsx
