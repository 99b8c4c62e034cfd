// Downloads SoftwareUpdatable artifacts over HTTP or HTTPS (Boost.Beast + OpenSSL) with what the
// original lacks (B5): the HTTP status is checked, the whole download has a timeout, the body a size
// limit, and HTTPS verifies the server against the system's CAs and its host name. Results are
// posted to the io_context with the body's MD5, SHA1 and SHA256.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "actions.hpp"

namespace bridge {

class http_fetch {
  public:
    http_fetch(boost::asio::io_context& io, std::chrono::milliseconds timeout, std::size_t max_bytes);

    void get(const std::string& url, std::function<void(twin::http_result)> done);
    // Cancels the downloads in flight; their completions are not called.
    void stop();
    std::size_t in_flight() const { return live_.size(); }

  private:
    boost::asio::io_context& io_;
    boost::asio::ssl::context tls_;
    std::chrono::milliseconds timeout_;
    std::size_t max_bytes_;
    std::uint64_t next_ = 0;
    std::map<std::uint64_t, std::unique_ptr<boost::asio::cancellation_signal>> live_;
    bool stopped_ = false;
};

}  // namespace bridge
