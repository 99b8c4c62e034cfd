#include "go_json.hpp"

#include <cctype>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <boost/json.hpp>

namespace kanto::go_json {
namespace json = boost::json;

std::string target::error(std::string_view what) const {
    if (struct_name.empty())
        return "json: cannot unmarshal " + std::string(what) + " into Go value of type " + type;
    return "json: cannot unmarshal " + std::string(what) + " into Go struct field " + struct_name + "." +
           field + " of type " + type;
}

target target::member(std::string_view struct_type, std::string_view name, std::string_view go_type) const {
    // Go names the struct of the field and the field's path from the value being decoded.
    target t;
    t.struct_name = std::string(struct_type);
    t.field = field.empty() || struct_name.empty() ? std::string(name) : field + "." + std::string(name);
    t.type = std::string(go_type);
    return t;
}

std::string kind(const json::value& v) {
    switch (v.kind()) {
        case json::kind::string:
            return "string";
        case json::kind::bool_:
            return "bool";
        case json::kind::object:
            return "object";
        case json::kind::array:
            return "array";
        case json::kind::null:
            return "null";
        default:
            return "number";
    }
}

const json::value* member(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key)) return v;
    for (const auto& [k, v] : o) {
        if (k.size() != key.size()) continue;
        bool equal = true;
        for (std::size_t i = 0; i < key.size() && equal; ++i) {
            equal = std::tolower(static_cast<unsigned char>(k[i])) ==
                    std::tolower(static_cast<unsigned char>(key[i]));
        }
        if (equal) return &v;
    }
    return nullptr;
}

std::string get(const json::value* v, const target& t, std::string& out) {
    if (v == nullptr || v->is_null()) return {};
    if (!v->is_string()) return t.error(kind(*v));
    out = std::string(v->as_string());
    return {};
}

std::string get(const json::value* v, const target& t, bool& out) {
    if (v == nullptr || v->is_null()) return {};
    if (!v->is_bool()) return t.error(kind(*v));
    out = v->as_bool();
    return {};
}

namespace {

// An integral JSON number within [lo, hi], or Go's "number <literal>" complaint.
std::string get_integer(const json::value* v, const target& t, std::int64_t& out, long double lo,
                        long double hi) {
    if (v == nullptr || v->is_null()) return {};
    if (!v->is_number()) return t.error(kind(*v));
    if (v->is_int64()) {
        const auto n = v->as_int64();
        if (n < lo || n > hi) return t.error("number " + std::to_string(n));
        out = n;
        return {};
    }
    if (v->is_uint64()) {
        const auto n = v->as_uint64();
        if (static_cast<long double>(n) > hi) return t.error("number " + std::to_string(n));
        out = static_cast<std::int64_t>(n);
        return {};
    }
    const double d = v->as_double();
    if (std::trunc(d) != d || d < lo || d > hi)
        return t.error(fmt::format("number {}", d));  // Go quotes 1.5, not 1.5E0
    out = static_cast<std::int64_t>(d);
    return {};
}

}  // namespace

std::string get(const json::value* v, const target& t, std::int64_t& out) {
    return get_integer(v, t, out, static_cast<long double>(std::numeric_limits<std::int64_t>::min()),
                       static_cast<long double>(std::numeric_limits<std::int64_t>::max()));
}

std::string get_uint16(const json::value* v, const target& t, std::int64_t& out) {
    return get_integer(v, t, out, 0, 65535);
}

std::string get(const json::value* v, const target& t, double& out) {
    if (v == nullptr || v->is_null()) return {};
    if (!v->is_number()) return t.error(kind(*v));
    out = v->to_number<double>();
    return {};
}

std::string get(const json::value* v, const target& t, std::vector<std::string>& out) {
    if (v == nullptr || v->is_null()) return {};
    if (!v->is_array()) return t.error(kind(*v));
    out.clear();
    for (const auto& e : v->as_array()) {
        if (e.is_null()) {
            out.emplace_back();
            continue;
        }
        if (!e.is_string()) return t.error(kind(e));
        out.emplace_back(e.as_string());
    }
    return {};
}

std::string get_object(const json::value* v, const target& t, const json::object*& out) {
    out = nullptr;
    if (v == nullptr || v->is_null()) return {};
    if (!v->is_object()) return t.error(kind(*v));
    out = &v->as_object();
    return {};
}

std::string get_array(const json::value* v, const target& t, const json::array*& out) {
    out = nullptr;
    if (v == nullptr || v->is_null()) return {};
    if (!v->is_array()) return t.error(kind(*v));
    out = &v->as_array();
    return {};
}

}  // namespace kanto::go_json
