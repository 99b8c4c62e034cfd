#include "http_fetch.hpp"

#include <openssl/evp.h>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace bridge {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct url_parts {
    bool tls = false;
    std::string host, port, target;
};

bool parse_url(const std::string& url, url_parts& out) {
    const auto sep = url.find("://");
    if (sep == std::string::npos) return false;
    const auto scheme = url.substr(0, sep);
    if (scheme != "http" && scheme != "https") return false;
    out.tls = scheme == "https";
    auto rest = url.substr(sep + 3);
    const auto slash = rest.find('/');
    out.target = slash == std::string::npos ? "/" : rest.substr(slash);
    auto authority = rest.substr(0, slash);
    if (const auto at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
    if (!authority.empty() && authority.front() == '[') {  // [::1]:8080
        const auto close = authority.find(']');
        if (close == std::string::npos) return false;
        out.host = authority.substr(1, close - 1);
        out.port =
            close + 1 < authority.size() && authority[close + 1] == ':' ? authority.substr(close + 2) : "";
    } else {
        const auto colon = authority.rfind(':');
        out.host = authority.substr(0, colon);
        out.port = colon == std::string::npos ? "" : authority.substr(colon + 1);
    }
    if (out.port.empty()) out.port = out.tls ? "443" : "80";
    return !out.host.empty();
}

std::string hex_digest(const std::string& data, const EVP_MD* md) {
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), buf, &len, md, nullptr);
    std::string out;
    for (unsigned int i = 0; i < len; ++i) out += fmt::format("{:02x}", buf[i]);
    return out;
}

// One GET; on a redirect `location` is set instead of a body.
template <class Stream>
asio::awaitable<void> exchange(Stream& stream, const url_parts& u, std::size_t max_bytes,
                               twin::http_result& r, std::string& location, beast::error_code& ec) {
    http::request<http::empty_body> req{http::verb::get, u.target, 11};
    req.set(http::field::host, u.host);
    req.set(http::field::user_agent, "kanto-twin-bridge");
    co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_bytes);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    auto& res = parser.get();
    const auto status = res.result_int();
    if (status >= 300 && status < 400 && res.count(http::field::location) != 0) {
        location = std::string(res[http::field::location]);
        co_return;
    }
    if (status < 200 || status >= 300) {
        r.error = fmt::format("HTTP status {} {}", status, std::string(res.reason()));
        co_return;
    }
    r.ok = true;
    r.body = std::move(res.body());
}

}  // namespace

http_fetch::http_fetch(asio::io_context& io, std::chrono::milliseconds timeout, std::size_t max_bytes)
    : io_(io), tls_(asio::ssl::context::tls_client), timeout_(timeout), max_bytes_(max_bytes) {
    tls_.set_default_verify_paths();
    tls_.set_verify_mode(asio::ssl::verify_peer);
    tls_.set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                     asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
}

namespace {

// A coroutine function, not a capturing lambda: its parameters live in the coroutine frame.
asio::awaitable<twin::http_result> fetch(asio::io_context& io, asio::ssl::context& tls_context,
                                         std::string url, std::chrono::milliseconds timeout,
                                         std::size_t max_bytes) {
    twin::http_result r;
    std::string current = url;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (int redirects = 0; redirects <= 5; ++redirects) {
        url_parts u;
        if (!parse_url(current, u)) {
            r.error = "cannot download " + current + ": not an http:// or https:// URL";
            co_return r;
        }
        beast::error_code ec;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          std::chrono::steady_clock::now());
        // Name resolution counts against the deadline too: race it with a timer.
        tcp::resolver resolver(io);
        asio::steady_timer resolve_deadline(io, std::max(left, std::chrono::milliseconds(1)));
        tcp::resolver::results_type endpoints;
        {
            using namespace asio::experimental::awaitable_operators;
            auto won =
                co_await (resolver.async_resolve(u.host, u.port, asio::as_tuple(asio::use_awaitable)) ||
                          resolve_deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
            if (won.index() == 0) {
                std::tie(ec, endpoints) = std::get<0>(std::move(won));
            } else {
                ec = beast::error::timeout;
            }
        }
        std::string location;
        beast::tcp_stream tcp_stream(io);
        tcp_stream.expires_after(
            std::max(left, std::chrono::milliseconds(1)));  // one deadline for everything
        if (!ec) co_await tcp_stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec && u.tls) {
            beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp_stream), tls_context);
            SSL_set_tlsext_host_name(tls.native_handle(), u.host.c_str());
            tls.set_verify_callback(asio::ssl::host_name_verification(u.host));
            co_await tls.async_handshake(asio::ssl::stream_base::client,
                                         asio::redirect_error(asio::use_awaitable, ec));
            if (!ec) co_await exchange(tls, u, max_bytes, r, location, ec);
        } else if (!ec) {
            co_await exchange(tcp_stream, u, max_bytes, r, location, ec);
        }
        if (ec == beast::error::timeout) {
            r.error = fmt::format("downloading {} timed out after {} ms", url, timeout.count());
            co_return r;
        }
        if (ec == http::error::body_limit) {
            r.error =
                fmt::format("downloading {} failed: the artifact is larger than {} bytes", url, max_bytes);
            co_return r;
        }
        if (ec) {
            r.error = "downloading " + url + " failed: " + ec.message();
            co_return r;
        }
        if (location.empty()) {
            if (!r.ok) r.error = "downloading " + url + " failed: " + r.error;
            co_return r;
        }
        current = location.rfind("/", 0) == 0
                      ? (u.tls ? "https://" : "http://") + u.host + ":" + u.port + location
                      : location;
    }
    r.error = "downloading " + url + " failed: too many redirects";
    co_return r;
}

}  // namespace

void http_fetch::get(const std::string& url, std::function<void(twin::http_result)> done) {
    if (stopped_) return;
    const auto id = next_++;
    auto& signal = *live_.emplace(id, std::make_unique<asio::cancellation_signal>()).first->second;
    auto finish = [this, id, done = std::move(done)](std::exception_ptr e, twin::http_result r) {
        live_.erase(id);
        if (stopped_) return;  // cancelled by stop(): nobody waits any more
        if (e) {
            r = {};
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                r.error = std::string("download failed: ") + ex.what();
            }
        }
        if (r.ok) {
            r.md5 = hex_digest(r.body, EVP_md5());
            r.sha1 = hex_digest(r.body, EVP_sha1());
            r.sha256 = hex_digest(r.body, EVP_sha256());
        }
        done(std::move(r));
    };
    asio::co_spawn(io_, fetch(io_, tls_, url, timeout_, max_bytes_),
                   asio::bind_cancellation_slot(signal.slot(), std::move(finish)));
}

void http_fetch::stop() {
    stopped_ = true;
    for (auto& [id, signal] : live_) signal->emit(asio::cancellation_type::terminal);
}

}  // namespace bridge
