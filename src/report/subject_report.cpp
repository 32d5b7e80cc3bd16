// A citizen's report from the subject log, as an .xlsx workbook in Chinese (libxlsxwriter).
#include "hub/report/subject_report.hpp"

#include <xlsxwriter.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "workbook.hpp"

namespace hub::report {

using xlsx::check;

std::string city_time(const std::string& utc) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char t = 0;
  if (utc.size() < 20 ||
      std::sscanf(utc.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d", &y, &mo, &d, &t, &h, &mi, &s) != 7 ||
      (t != 'T' && t != ' ') || utc.back() != 'Z') {
    return utc;
  }
  namespace chr = std::chrono;
  const chr::year_month_day ymd{chr::year{y}, chr::month{static_cast<unsigned>(mo)},
                                chr::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return utc;
  const auto when = chr::sys_days{ymd} + chr::hours{h + 8} + chr::minutes{mi} + chr::seconds{s};
  const auto day = chr::floor<chr::days>(when);
  const chr::year_month_day local{day};
  const chr::hh_mm_ss clock{when - day};
  char out[32];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u %02ld:%02ld:%02lld",
                static_cast<int>(local.year()), static_cast<unsigned>(local.month()),
                static_cast<unsigned>(local.day()), static_cast<long>(clock.hours().count()),
                static_cast<long>(clock.minutes().count()),
                static_cast<long long>(clock.seconds().count()));
  return out;
}

std::string operation_zh(const std::string& operation) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 11> kNames{{
      {"read", "按键读取"},
      {"query", "条件查询"},
      {"changes", "变更订阅"},
      {"verify", "核验"},
      {"aggregate", "统计"},
      {"licence", "电子证照查询"},
      {"call", "接口调用"},
      {"push", "数据推送"},
      {"import", "批量导入"},
      {"compute", "联合计算"},
      {"report_value", "指标报送"},
  }};
  for (const auto& [op, zh] : kNames) {
    if (op == operation) return std::string(zh);
  }
  return operation;
}

std::string masked_key(const std::string& key) {
  // By characters of ASCII keys (ID numbers, credit codes); other keys by bytes would cut UTF-8,
  // so they keep their first and last ASCII-safe parts only when all ASCII, else are hidden.
  for (unsigned char c : key) {
    if (c >= 0x80) return "（已隐去）";
  }
  if (key.size() <= 4) return std::string(key.size(), '*');
  const std::size_t keep_head = key.size() >= 14 ? 6 : 2, keep_tail = 4;
  if (keep_head + keep_tail >= key.size())
    return key.substr(0, 1) + std::string(key.size() - 1, '*');
  return key.substr(0, keep_head) + std::string(key.size() - keep_head - keep_tail, '*') +
         key.substr(key.size() - keep_tail);
}

namespace {

std::string named(const std::string& code, const std::string& name) {
  return name.empty() ? code : name + "（" + code + "）";
}

std::string outcome_zh(int status) {
  if (status >= 200 && status < 300) return "已提供 (" + std::to_string(status) + ")";
  if (status == 404) return "未找到 (404)";
  if (status == 401 || status == 403) return "已拒绝 (" + std::to_string(status) + ")";
  return "未提供 (" + std::to_string(status) + ")";
}

}  // namespace

std::string subject_report_xlsx(const SubjectReport& report, const std::string& tmp_dir) {
  return xlsx::write_workbook(tmp_dir, [&report](lxw_workbook* book) {
    lxw_worksheet* sheet = xlsx::add_sheet(book, "数据访问记录");
    const auto [title, note, head] = xlsx::common_styles(book);
    format_set_text_wrap(note);
    format_set_align(note, LXW_ALIGN_VERTICAL_TOP);
    lxw_format* cell = workbook_add_format(book);
    format_set_border(cell, LXW_BORDER_THIN);
    format_set_text_wrap(cell);
    format_set_align(cell, LXW_ALIGN_VERTICAL_TOP);
    lxw_format* number = workbook_add_format(book);
    format_set_border(number, LXW_BORDER_THIN);
    format_set_align(number, LXW_ALIGN_VERTICAL_TOP);
    format_set_num_format(number, "0");

    static constexpr std::array<std::pair<const char*, double>, 11> kColumns{{
        {"序号", 6},
        {"访问时间（北京时间）", 20},
        {"使用单位", 34},
        {"提供单位", 34},
        {"数据资源", 34},
        {"操作", 12},
        {"用途", 30},
        {"用途编码", 16},
        {"结果", 12},
        {"账本序号", 10},
        {"覆盖该记录的签名检查点", 44},
    }};
    const auto last_col = static_cast<lxw_col_t>(kColumns.size() - 1);
    const std::string heading = "数据访问记录 · 数据主体 " + report.subject;
    check(worksheet_merge_range(sheet, 0, 0, 0, last_col, heading.c_str(), title), "title");
    const std::string generated = "生成时间 " + city_time(report.generated_at) +
                                  "（北京时间）· 共 " + std::to_string(report.accesses.size()) +
                                  " 条 · 账本 " + report.origin;
    check(worksheet_merge_range(sheet, 1, 0, 1, last_col, generated.c_str(), note), "note");
    const char* explain =
        "本表列出经数据共享交换平台提供、核验或查询过该数据主体记录的每一次请求，来自平台的防篡改"
        "账本（主体日志）。平台只保存数据主体标识的带密钥哈希，不保存标识本身。每条记录的“账本序号”"
        "可在平台上取得包含证明（GET /api/v1/ledger/proof/inclusion），“签名检查点”为最早包含该记录"
        "的已签名账本状态（树大小、根哈希、签名时间）：此后该记录无法被删改而不被审计发现。";
    worksheet_set_row(sheet, 2, 48, nullptr);
    check(worksheet_merge_range(sheet, 2, 0, 2, last_col, explain, note), "note");

    constexpr lxw_row_t kHead = 4, kFirst = 5;
    worksheet_set_row(sheet, kHead, 30, nullptr);
    for (lxw_col_t c = 0; c <= last_col; ++c) {
      check(worksheet_write_string(sheet, kHead, c, kColumns[c].first, head), "header");
      worksheet_set_column(sheet, c, c, kColumns[c].second, nullptr);
    }
    lxw_row_t row = kFirst;
    for (const auto& a : report.accesses) {
      const auto text = [&](lxw_col_t c, const std::string& v) {
        check(worksheet_write_string(sheet, row, c, v.c_str(), cell), "cell");
      };
      check(worksheet_write_number(sheet, row, 0, static_cast<double>(row - kFirst + 1), number),
            "cell");
      text(1, city_time(a.time));
      text(2, named(a.consumer_code, a.consumer_name));
      text(3, named(a.provider_code, a.provider_name));
      text(4, named(a.resource_code, a.resource_name));
      text(5, operation_zh(a.operation));
      text(6, a.purpose);
      text(7, a.purpose_code.value_or("—"));
      text(8, outcome_zh(a.status));
      check(worksheet_write_number(sheet, row, 9, static_cast<double>(a.index), number), "cell");
      text(10, a.checkpoint_size
                   ? "树大小 " + std::to_string(*a.checkpoint_size) + "，签名于 " +
                         city_time(a.checkpoint_signed_at) + "，根哈希 " + a.checkpoint_root_hash
                   : "尚未签名（稍后重新生成）");
      ++row;
    }
    if (report.accesses.empty()) {
      check(worksheet_merge_range(sheet, row, 0, row, last_col,
                                  "账本中没有命名该数据主体的请求记录。", note),
            "note");
    }
    worksheet_freeze_panes(sheet, kFirst, 0);
    if (!report.accesses.empty()) {
      check(worksheet_autofilter(sheet, kHead, 0, row - 1, last_col), "autofilter");
    }
    worksheet_set_landscape(sheet);
    worksheet_fit_to_pages(sheet, 1, 0);
  });
}

}  // namespace hub::report
