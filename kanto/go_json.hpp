// Decoding command values the way Kanto's Go handlers do (things.md §7): object keys match
// case-insensitively (an exact match wins), unknown keys are ignored, null leaves the default, and a
// type mismatch fails with Go's encoding/json text, e.g.
//   json: cannot unmarshal string into Go value of type things.createArgs
//   json: cannot unmarshal number 70000 into Go struct field PortMapping.hostPort of type uint16
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

// Returns the error text of a decoding step when it has one: decoders chain their steps with it.
#define GO_JSON_TRY(expr)                    \
    if (auto err_ = (expr); !err_.empty()) { \
        return err_;                         \
    }

namespace kanto::go_json {

// Where a value is decoded into, for error texts.
struct target {
    std::string struct_name;  // "" for a top-level value
    std::string field;        // dotted path inside the struct
    std::string type;         // Go type, e.g. "string", "int64", "things.createArgs"

    std::string error(std::string_view what) const;
    target member(std::string_view struct_type, std::string_view name, std::string_view go_type) const;
};

// Go's name of a JSON value's kind: "string", "number", "object", "array", "bool".
std::string kind(const boost::json::value& v);

// The member `key` of `o` (exact match first, then case-insensitive), or nullptr.
const boost::json::value* member(const boost::json::object& o, std::string_view key);

// Each returns "" or the Go error text; null leaves `out` unchanged.
std::string get(const boost::json::value* v, const target& t, std::string& out);
std::string get(const boost::json::value* v, const target& t, bool& out);
std::string get(const boost::json::value* v, const target& t, std::int64_t& out);  // int64 / int
std::string get_uint16(const boost::json::value* v, const target& t, std::int64_t& out);
std::string get(const boost::json::value* v, const target& t, double& out);
std::string get(const boost::json::value* v, const target& t, std::vector<std::string>& out);
// Checks that v is an object (or null/absent: returns nullptr object pointer and "").
std::string get_object(const boost::json::value* v, const target& t, const boost::json::object*& out);
std::string get_array(const boost::json::value* v, const target& t, const boost::json::array*& out);

}  // namespace kanto::go_json
