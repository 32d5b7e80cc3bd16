#include "hub/app/workbooks.hpp"

#include <filesystem>

namespace hub {

boost::asio::awaitable<std::string> workbook_off_thread(
    Services& services, const std::function<std::string(const std::string&)>& write) {
  const std::string tmp = (services.config.data_dir / "tmp").string();
  auto work = [&write, tmp] {
    std::error_code ec;
    std::filesystem::create_directories(tmp, ec);
    return write(ec ? std::string() : tmp);
  };
  co_return co_await off_thread(services, work);
}

}  // namespace hub
