// Outside text in log lines: control characters are escaped, so no message can forge a line.
#include <doctest/doctest.h>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "log_format.hpp"

TEST_CASE("escape_control: newlines, tabs, other control characters and DEL") {
    CHECK(bridge::escape_control("plain text: ok") == "plain text: ok");
    CHECK(bridge::escape_control("a\nb\r\tc") == "a\\nb\\r\\tc");
    CHECK(bridge::escape_control(std::string("x\0y\x1b[31m\x7f", 9)) == "x\\x00y\\x1b[31m\\x7f");
    CHECK(bridge::escape_control("Ünïcode stays") == "Ünïcode stays");
}

TEST_CASE("escaping_formatter: a forged line stays one line") {
    std::ostringstream out;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    sink->set_formatter(
        std::make_unique<bridge::escaping_formatter>(std::make_unique<spdlog::pattern_formatter>("%l %v")));
    spdlog::logger logger("escape-test", sink);
    logger.warn("ignoring {}", "command//x/req/1/stop\n2026-01-01 error forged");
    CHECK(out.str() == "warning ignoring command//x/req/1/stop\\n2026-01-01 error forged\n");
}
