// The report as an .xlsx workbook, written with libxlsxwriter.
#include <xlsxwriter.h>

#include <array>
#include <functional>
#include <map>
#include <stdexcept>

#include "hub/report/report.hpp"
#include "workbook.hpp"

namespace hub::report {

using xlsx::check;

std::string to_xlsx(const Report& report, const std::string& tmp_dir) {
  return xlsx::write_workbook(tmp_dir, [&report](lxw_workbook* book) {
    lxw_worksheet* sheet = xlsx::add_sheet(book, "共享情况通报");
    const auto [title, note, head] = xlsx::common_styles(book);
    lxw_format* field = workbook_add_format(book);
    format_set_italic(field);
    format_set_font_size(field, 9);
    format_set_font_color(field, 0x7F7F7F);
    format_set_border(field, LXW_BORDER_THIN);
    lxw_format* cell = workbook_add_format(book);
    format_set_border(cell, LXW_BORDER_THIN);
    lxw_format* count = workbook_add_format(book);
    format_set_border(count, LXW_BORDER_THIN);
    format_set_num_format(count, "#,##0");
    lxw_format* score = workbook_add_format(book);
    format_set_border(score, LXW_BORDER_THIN);
    format_set_num_format(score, "0.00");
    format_set_bold(score);
    lxw_format* hours = workbook_add_format(book);
    format_set_border(hours, LXW_BORDER_THIN);
    format_set_num_format(hours, "0.0");
    lxw_format* share = workbook_add_format(book);  // 0..1 shown as a percentage
    format_set_border(share, LXW_BORDER_THIN);
    format_set_num_format(share, "0.00%");
    lxw_format* total = workbook_add_format(book);
    format_set_bold(total);
    format_set_border(total, LXW_BORDER_THIN);
    format_set_bg_color(total, 0xF2F2F2);
    lxw_format* total_count = workbook_add_format(book);
    format_set_bold(total_count);
    format_set_border(total_count, LXW_BORDER_THIN);
    format_set_bg_color(total_count, 0xF2F2F2);
    format_set_num_format(total_count, "#,##0");
    lxw_format* podium = workbook_add_format(book);  // ranks 1 to 3
    format_set_border(podium, LXW_BORDER_THIN);
    format_set_bold(podium);
    format_set_bg_color(podium, 0xFFF2CC);

    const auto& cols = columns();
    const auto last_col = static_cast<lxw_col_t>(cols.size() - 1);
    const std::string heading = "共享情况通报 " + report.from + " 至 " + report.to;
    check(worksheet_merge_range(sheet, 0, 0, 0, last_col, heading.c_str(), title), "title");
    const std::string generated =
        "生成时间 generated at " + report.generated_at + " · 按综合得分排名 ranked by score";
    check(worksheet_merge_range(sheet, 1, 0, 1, last_col, generated.c_str(), note), "note");

    constexpr lxw_row_t kTitles = 3, kFields = 4, kFirst = 5;
    worksheet_set_row(sheet, kTitles, 36, nullptr);
    for (lxw_col_t c = 0; c <= last_col; ++c) {
      check(worksheet_write_string(sheet, kTitles, c, std::string(cols[c].title_zh).c_str(), head),
            "header");
      check(worksheet_write_string(sheet, kFields, c, std::string(cols[c].field).c_str(), field),
            "header");
    }
    worksheet_set_column(sheet, 0, 0, 22, nullptr);
    worksheet_set_column(sheet, 1, 1, 40, nullptr);
    worksheet_set_column(sheet, 2, 3, 9, nullptr);
    worksheet_set_column(sheet, 4, last_col, 13, nullptr);

    lxw_row_t row = kFirst;
    auto write = [&](lxw_col_t c, const Cell& v, lxw_format* number) {
      if (const auto* text = std::get_if<std::string_view>(&v)) {
        check(worksheet_write_string(sheet, row, c, std::string(*text).c_str(), cell), "cell");
      } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        check(worksheet_write_number(sheet, row, c, static_cast<double>(*n), number), "cell");
      } else if (const auto* d = std::get_if<double>(&v)) {
        check(worksheet_write_number(sheet, row, c, *d, number), "cell");
      } else {
        check(worksheet_write_blank(sheet, row, c, cell), "cell");
      }
    };
    auto format_of = [&](const Column& col, const AgencyRow& r) -> lxw_format* {
      switch (col.kind) {
        case CellKind::rank:
          return r.rank <= 3 ? podium : cell;
        case CellKind::score:
          return score;
        case CellKind::count:
          return count;
        case CellKind::hours:
          return hours;
        case CellKind::share:
          return share;
        case CellKind::text:
          break;
      }
      return cell;
    };
    for (const auto& r : report.agencies) {
      for (lxw_col_t c = 0; c <= last_col; ++c) write(c, cols[c].value(r), format_of(cols[c], r));
      ++row;
    }
    const lxw_row_t last_agency = row;
    // The totals, for people: every count column summed (rank, score and medians are not sums).
    if (!report.agencies.empty()) {
      const nlohmann::json sums = totals(report.agencies);
      check(worksheet_write_string(sheet, row, 0, "合计 total", total), "cell");
      for (lxw_col_t c = 1; c <= last_col; ++c) {
        const Column& col = cols[c];
        if (col.kind == CellKind::count) {
          write(c, Cell{sums[std::string(col.field)].get<std::int64_t>()}, total_count);
        } else {
          check(worksheet_write_blank(sheet, row, c, total), "cell");
        }
      }
      ++row;
      const std::string connected = "有共享活动的成员单位 members connected: " +
                                    std::to_string(sums["members_connected"].get<std::int64_t>()) +
                                    " / " + std::to_string(report.agencies.size());
      check(worksheet_merge_range(sheet, row, 0, row, last_col, connected.c_str(), note), "note");
    }
    worksheet_freeze_panes(sheet, kFirst, 2);
    // The filter covers the agencies, not the totals below them.
    check(worksheet_autofilter(sheet, kFields, 0, last_agency > kFirst ? last_agency - 1 : kFields,
                               last_col),
          "autofilter");
    worksheet_set_landscape(sheet);
    worksheet_fit_to_pages(sheet, 1, 0);

    // Requests by consumer and purpose code (API.md Part 2: purpose codes in the report).
    lxw_worksheet* by_purpose = xlsx::add_sheet(book, "按用途编码统计");
    std::map<std::string, std::string, std::less<>> names;
    for (const auto& a : report.agencies) names[a.agency_code] = a.agency_name;
    const std::array<std::pair<const char*, const char*>, 5> heads{{{"使用单位", "consumer_code"},
                                                                    {"单位名称", "consumer_name"},
                                                                    {"用途编码", "purpose_code"},
                                                                    {"已提供请求数", "requests"},
                                                                    {"被拒绝请求数", "refused"}}};
    const std::string purpose_title = "按用途编码统计 " + report.from + " 至 " + report.to;
    check(worksheet_merge_range(by_purpose, 0, 0, 0, 4, purpose_title.c_str(), title), "title");
    for (lxw_col_t c = 0; c < heads.size(); ++c) {
      check(worksheet_write_string(by_purpose, 2, c, heads[c].first, head), "header");
      check(worksheet_write_string(by_purpose, 3, c, heads[c].second, field), "header");
    }
    worksheet_set_column(by_purpose, 0, 0, 22, nullptr);
    worksheet_set_column(by_purpose, 1, 1, 40, nullptr);
    worksheet_set_column(by_purpose, 2, 2, 34, nullptr);
    worksheet_set_column(by_purpose, 3, 4, 14, nullptr);
    lxw_row_t at = 4;
    for (const auto& p : report.purposes) {
      const auto name = names.find(p.consumer_code);
      check(worksheet_write_string(by_purpose, at, 0, p.consumer_code.c_str(), cell), "cell");
      check(worksheet_write_string(by_purpose, at, 1,
                                   name == names.end() ? "" : name->second.c_str(), cell),
            "cell");
      check(worksheet_write_string(
                by_purpose, at, 2,
                p.purpose_code.empty() ? "（未填用途编码）" : p.purpose_code.c_str(), cell),
            "cell");
      check(worksheet_write_number(by_purpose, at, 3, static_cast<double>(p.requests), count),
            "cell");
      check(worksheet_write_number(by_purpose, at, 4, static_cast<double>(p.refused), count),
            "cell");
      ++at;
    }
    worksheet_freeze_panes(by_purpose, 4, 0);
  });
}

}  // namespace hub::report
