#include "metrics.hpp"

#include <algorithm>
#include <cmath>

#include <boost/json.hpp>

#include "go_duration.hpp"
#include "go_json.hpp"

namespace twin {
namespace go_json = kanto::go_json;
using kanto::parse_go_duration;
namespace json = boost::json;

std::variant<metrics_request, std::string> decode_metrics_request(const json::value* value) {
    metrics_request out;
    const go_json::target top{"", "", "things.metricsRequest"};
    const json::object* o = nullptr;
    if (auto e = go_json::get_object(value, top, o); !e.empty()) return e;
    if (o == nullptr) return out;
    if (const auto* f = go_json::member(*o, "frequency"); f != nullptr && !f->is_null()) {
        std::chrono::nanoseconds period{0};
        if (f->is_number()) {  // whole seconds, the fraction dropped
            period = std::chrono::seconds(static_cast<std::int64_t>(std::trunc(f->to_number<double>())));
        } else if (f->is_string()) {
            const std::string text(f->as_string());
            auto d = parse_go_duration(text);
            if (!d) return "time: invalid duration \"" + text + "\"";
            period = *d;
        } else {
            return std::string("invalid duration");
        }
        if (period.count() > 0) {
            out.period = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(period),
                                  std::chrono::milliseconds(1000));
        }
    }
    const json::array* filters = nullptr;
    if (auto e = go_json::get_array(go_json::member(*o, "filter"),
                                    top.member("metricsRequest", "filter", "[]things.filter"), filters);
        !e.empty()) {
        return e;
    }
    if (filters != nullptr) {
        for (const auto& f : *filters) {
            const go_json::target ft = top.member("metricsRequest", "filter", "things.filter");
            if (f.is_null()) continue;
            if (!f.is_object()) return ft.error(go_json::kind(f));
            metrics_filter mf;
            if (auto e = go_json::get(go_json::member(f.as_object(), "id"),
                                      ft.member("filter", "id", "[]string"), mf.ids);
                !e.empty())
                return e;
            if (auto e = go_json::get(go_json::member(f.as_object(), "originator"),
                                      ft.member("filter", "originator", "string"), mf.originator);
                !e.empty()) {
                return e;
            }
            out.filters.push_back(std::move(mf));
        }
    }
    return out;
}

bool originator_selected(const std::vector<metrics_filter>& filters, const std::string& originator) {
    if (filters.empty()) return true;
    return std::any_of(filters.begin(), filters.end(),
                       [&](const auto& f) { return f.originator.empty() || f.originator == originator; });
}

bool measurement_selected(const std::vector<metrics_filter>& filters, const std::string& originator,
                          const std::string& id) {
    if (filters.empty()) return true;
    for (const auto& f : filters) {
        if (!f.originator.empty() && f.originator != originator) continue;
        if (f.ids.empty()) return true;
        for (const auto& pattern : f.ids) {
            if (pattern == id) return true;
            auto stripped = pattern;
            while (!stripped.empty() && stripped.front() == '*') stripped.erase(stripped.begin());
            while (!stripped.empty() && stripped.back() == '*') stripped.pop_back();
            if (id.rfind(stripped, 0) == 0) return true;  // "cpu.*", "cpu", "memory.u", "*"
        }
    }
    return false;
}

std::vector<measurement> measurements(const metrics_sample& now, const metrics_sample* prev) {
    std::vector<measurement> out;
    auto clamp = [](double v) { return std::clamp(v, 0.0, 100.0); };
    if (now.cpu_ns && now.system_cpu_ns && prev != nullptr && prev->cpu_ns && prev->system_cpu_ns) {
        const double system_delta = *now.system_cpu_ns - *prev->system_cpu_ns;
        if (*prev->system_cpu_ns > 0 && system_delta > 0) {
            out.push_back({"cpu.utilization", clamp((*now.cpu_ns - *prev->cpu_ns) / system_delta * 100.0)});
        }
    }
    if (now.memory_usage) {
        double total = now.memory_limit.value_or(0);
        if (now.machine_memory && (total <= 0 || total > *now.machine_memory)) total = *now.machine_memory;
        const double used = std::max(0.0, *now.memory_usage - now.memory_inactive_file.value_or(0));
        out.push_back({"memory.total", total});
        out.push_back({"memory.used", used});
        if (total != 0) out.push_back({"memory.utilization", clamp(used / total * 100.0)});
    }
    if (now.io_read && now.io_write) {
        out.push_back({"io.readBytes", *now.io_read});
        out.push_back({"io.writeBytes", *now.io_write});
    }
    if (now.net_rx && now.net_tx) {
        out.push_back({"net.readBytes", *now.net_rx});
        out.push_back({"net.writeBytes", *now.net_tx});
    }
    if (now.pids && *now.pids > 0) out.push_back({"pids", *now.pids});
    return out;
}

std::string metrics_message(const thing_id& thing,
                            const std::vector<std::pair<std::string, std::vector<measurement>>>& snapshot,
                            std::int64_t unix_seconds) {
    json::array originators;
    for (const auto& [originator, ms] : snapshot) {
        json::array values;
        for (const auto& m : ms) {
            json::value v;
            // Integral values as integers (Go prints a float64 of 2147483648 as 2147483648).
            if (std::trunc(m.value) == m.value && std::fabs(m.value) < 9e15)
                v = static_cast<std::int64_t>(m.value);
            else
                v = m.value;
            values.push_back(json::object{{"id", m.id}, {"value", v}});
        }
        originators.push_back(json::object{{"originator", originator}, {"measurements", std::move(values)}});
    }
    return json::serialize(json::object{
        {"topic", thing.topic_prefix() + "/things/live/messages/data"},
        {"headers", json::object{{"content-type", "application/json"}, {"response-required", false}}},
        {"path", "/features/Metrics/outbox/messages/data"},
        {"value", json::object{{"snapshot", std::move(originators)}, {"timestamp", unix_seconds}}}});
}

}  // namespace twin
